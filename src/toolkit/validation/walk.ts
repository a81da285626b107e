// A copy of a JSON Schema in which a visitor may change every node: the one traversal that
// knows where subschemas live, shared by the rules that close request schemas and the rules
// every request value must meet. The input is never modified (TypeBox schemas are shared
// between routes, and between request and response schemas).

export type SchemaNode = Record<string, unknown>;

/** Keywords whose value is one subschema. */
const SINGLE = ['additionalProperties', 'items', 'additionalItems', 'unevaluatedItems', 'unevaluatedProperties', 'then', 'else', 'propertyNames'] as const;
/** Keywords whose value is a list of subschemas (`items` in its draft-07 tuple form too). */
const LISTS = ['allOf', 'anyOf', 'oneOf', 'prefixItems', 'items'] as const;
/** Keywords whose value maps names to subschemas. */
const MAPS = ['properties', 'patternProperties', 'dependentSchemas', '$defs', 'definitions'] as const;

export type SubschemaKeyword = (typeof SINGLE)[number] | (typeof LISTS)[number] | (typeof MAPS)[number];

/**
 * `visit` sees each node (a fresh copy it may change) with its context, before the node's
 * subschemas are copied; `descend` gives the context of the subschemas under a keyword.
 * Subschemas under `not`, `if` and `contains` are kept as they are: a rule added inside a
 * negation or a condition would change what the schema means, not tighten it.
 */
export function rewriteSchema<C>(
  schema: unknown,
  context: C,
  visit: (node: SchemaNode, context: C) => void,
  descend: (node: SchemaNode, keyword: SubschemaKeyword, context: C) => C,
): unknown {
  if (typeof schema !== 'object' || schema === null || Array.isArray(schema)) return schema;
  const node = copyNode(schema as SchemaNode);
  visit(node, context);
  for (const keyword of SINGLE) {
    const inner = node[keyword];
    if (typeof inner === 'object' && inner !== null && !Array.isArray(inner)) node[keyword] = rewriteSchema(inner, descend(node, keyword, context), visit, descend);
  }
  for (const keyword of LISTS) {
    const inner = node[keyword];
    if (Array.isArray(inner)) node[keyword] = inner.map((member) => rewriteSchema(member, descend(node, keyword, context), visit, descend));
  }
  for (const keyword of MAPS) {
    const inner = node[keyword];
    if (typeof inner !== 'object' || inner === null) continue;
    const copied: SchemaNode = {};
    for (const [name, member] of Object.entries(inner)) copied[name] = rewriteSchema(member, descend(node, keyword, context), visit, descend);
    node[keyword] = copied;
  }
  return node;
}

/** A shallow copy that keeps TypeBox's non-enumerable markers (`~kind`, `~optional`). */
function copyNode(node: SchemaNode): SchemaNode {
  const copy: SchemaNode = { ...node };
  for (const key of Object.getOwnPropertyNames(node)) {
    if (key.startsWith('~') && !Object.prototype.propertyIsEnumerable.call(node, key)) {
      Object.defineProperty(copy, key, { value: node[key], enumerable: false, configurable: true, writable: true });
    }
  }
  return copy;
}

/** The JSON types a node names (`type: 'x'` or `type: [...]`). */
export function typesOf(node: SchemaNode): readonly unknown[] {
  return Array.isArray(node.type) ? node.type : node.type === undefined ? [] : [node.type];
}
