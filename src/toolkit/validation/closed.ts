// Request schemas are closed by default, so a client cannot set a field the route did not
// declare (mass assignment, OWASP API3). Every object of a body, query string or path is
// given `additionalProperties: false` unless it states `additionalProperties` (or
// `unevaluatedProperties`) itself: an explicit `additionalProperties: true` is the one way to
// leave an object open, and it shows in the OpenAPI document. Header schemas stay open:
// clients send many headers, and only the declared ones are checked.
//
// Compositions close where they are composed. An intersection (`allOf`, TypeBox's
// Intersect) cannot close its members one by one (each would refuse the others' fields), so
// the intersection gets `unevaluatedProperties: false` (JSON Schema 2019-09, which the
// validator implements): a property is allowed when some member that matched declared it.
// The members of a union (`anyOf`/`oneOf`) are closed one by one, each a whole alternative.
import { rewriteSchema, typesOf, type SchemaNode, type SubschemaKeyword } from './walk.ts';

/** Where a node sits: on its own, or inside a composition that closes it as a whole. */
type Context = 'standalone' | 'composed';

/** Keywords whose members are evaluated together with the node that holds them. */
const COMPOSING = new Set<SubschemaKeyword>(['allOf', 'then', 'else', 'dependentSchemas']);
const ALTERNATIVES = new Set<SubschemaKeyword>(['anyOf', 'oneOf']);

function isObjectNode(node: SchemaNode): boolean {
  return typesOf(node).includes('object') || node.properties !== undefined || node.patternProperties !== undefined;
}

function composes(node: SchemaNode): boolean {
  return ['allOf', 'then', 'else', 'dependentSchemas'].some((keyword) => node[keyword] !== undefined) ||
    (isObjectNode(node) && (node.anyOf !== undefined || node.oneOf !== undefined));
}

/** Only objects can match: the node says so, or an intersection holds an object, or every alternative is one. */
function onlyObjects(node: SchemaNode): boolean {
  const types = typesOf(node);
  if (types.length > 0) return types.length === 1 && types[0] === 'object';
  const members = (keyword: string): SchemaNode[] => (Array.isArray(node[keyword]) ? (node[keyword] as SchemaNode[]) : []);
  const alternatives = [...members('anyOf'), ...members('oneOf')];
  return members('allOf').some(onlyObjects) || (alternatives.length > 0 && alternatives.every(onlyObjects));
}

function close(node: SchemaNode, context: Context): void {
  if (node.additionalProperties !== undefined || node.unevaluatedProperties !== undefined || context === 'composed') return;
  if (composes(node)) {
    if (!isObjectNode(node) && !onlyObjects(node)) return;
    // Said outright (it was already implied): the validator's strict mode wants the type
    // beside an object keyword, and the document reads better with it.
    node.type ??= 'object';
    node.unevaluatedProperties = false;
  } else if (isObjectNode(node)) {
    node.additionalProperties = false;
  }
}

function childContext(node: SchemaNode, keyword: SubschemaKeyword, context: Context): Context {
  if (COMPOSING.has(keyword)) return 'composed';
  // A union's members are whole alternatives, unless the union itself is one part of a
  // composition, or sits beside properties of its own node (both are closed at that node).
  if (ALTERNATIVES.has(keyword)) return context === 'composed' || isObjectNode(node) || node.unevaluatedProperties !== undefined ? 'composed' : 'standalone';
  return 'standalone';
}

/** A closed copy of one request-part schema (body, query string or path parameters). */
export function closeSchema(schema: unknown): unknown {
  return rewriteSchema<Context>(schema, 'standalone', close, childContext);
}

export interface RouteSchemas {
  body?: unknown;
  querystring?: unknown;
  query?: unknown;
  params?: unknown;
}

/** The route's schemas with body, query string and params closed (headers and responses untouched). */
export function closeRequestSchemas<T extends RouteSchemas>(schemas: T): T {
  const closed: RouteSchemas = { ...schemas };
  for (const part of ['querystring', 'query', 'params'] as const) {
    if (schemas[part] !== undefined) closed[part] = closeSchema(schemas[part]);
  }
  const body = schemas.body as { content?: Record<string, { schema?: unknown }> } | undefined;
  if (body?.content !== undefined && typeof body.content === 'object') {
    // Per-media-type bodies: `{ content: { 'application/json': { schema } } }`.
    const content: Record<string, unknown> = {};
    for (const [type, media] of Object.entries(body.content)) content[type] = { ...media, schema: closeSchema(media.schema) };
    closed.body = { ...body, content };
  } else if (body !== undefined) {
    closed.body = closeSchema(body);
  }
  return closed as T;
}

interface SchemaError {
  keyword: string;
  schemaPath: string;
  params: Record<string, unknown>;
}

/** Property names a composition declares: its own and its members', not nested objects'. */
function declaredNames(node: unknown, names = new Set<string>()): Set<string> {
  if (typeof node !== 'object' || node === null) return names;
  const schema = node as SchemaNode;
  for (const map of ['properties', 'dependentSchemas'] as const) {
    if (typeof schema[map] === 'object' && schema[map] !== null) for (const name of Object.keys(schema[map])) names.add(name);
  }
  for (const keyword of ['allOf', 'anyOf', 'oneOf']) if (Array.isArray(schema[keyword])) for (const member of schema[keyword] as unknown[]) declaredNames(member, names);
  for (const keyword of ['then', 'else']) declaredNames(schema[keyword], names);
  return names;
}

/** The node an error's `schemaPath` (`#/allOf/0/unevaluatedProperties`) belongs to. */
function nodeAt(schema: unknown, schemaPath: string): unknown {
  const steps = schemaPath.replace(/^#\/?/, '').split('/').slice(0, -1);
  let node = schema;
  for (const step of steps) node = (node as Record<string, unknown> | undefined)?.[step.replaceAll('~1', '/').replaceAll('~0', '~')];
  return node;
}

/**
 * When one member of an intersection fails, the validator also reports every property that
 * member declared as "unevaluated": true, but an echo of the member's own error, and with
 * unions it can push the real cause out of the list the client sees. Those echoes are
 * dropped while another error remains; an undeclared property is always reported.
 */
export function withoutEchoes<E extends SchemaError>(errors: E[], schema: unknown): E[] {
  const kept = errors.filter((error) => error.keyword !== 'unevaluatedProperties' || !declaredNames(nodeAt(schema, error.schemaPath)).has(String(error.params.unevaluatedProperty)));
  return kept.length > 0 ? kept : errors;
}
