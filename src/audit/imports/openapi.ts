// Builds an OpenAPI 3.1 document from requests a user already has (a HAR, a Postman collection):
// paths with id-looking segments turned into `{id}` parameters (the seen values as examples),
// methods, query parameters, JSON bodies with a schema inferred from the examples, response
// content types, and the security the requests carried. Credentials are never written: the
// document names the header, cookie or query parameter that carried one, never its value.
import type { Json, JsonObject } from '../spec/refs.ts';

/** One request as an import saw it, with what its answer said if it was recorded. */
export interface Observed {
  method: string;
  url: URL;
  headers: { name: string; value: string }[];
  body?: { mimeType?: string; text: string };
  response?: { status?: number; contentType?: string };
  /** Path segments the source itself marks as parameters (Postman `{{var}}`, `:var`), by index. */
  namedSegments?: Map<number, string>;
}

export interface BuildOptions {
  /** Only requests to this origin are kept. */
  origin: string;
  /** The API's path prefix (the target's base path or the spec's server path): kept requests are under it; paths are written relative to it. */
  prefix: string;
  /** Written into each operation as `x-rampart-source`. */
  source: string;
}

export interface Built {
  document: JsonObject;
  /** Requests kept, and those dropped because they went elsewhere. */
  kept: number;
  dropped: number;
  /** Did any kept request carry a credential (never written; see --identities-from-har)? */
  credentialsSeen: boolean;
}

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;
/** A name whose value is a secret: its value is never written. */
export const SENSITIVE = /pass|secret|token|auth|session|cookie|credential|api[-_]?key|^key$|otp|jwt|bearer|signature/i;
/** A field holding a password: `format: password`, so the checks know a login when they see one. */
export const PASSWORD = /pass(?:word)?$|passwd|^pwd$|^pin$/i;
export const KEY_HEADER = /^(?:x-[\w-]*(?:token|key|auth)[\w-]*|api[-_]?key|[\w-]*-token)$/i;
const KEY_QUERY = /^(?:api[-_]?key|apikey|access_token|auth_token|token|key)$/i;
export const SESSION_COOKIE = /sess|sid$|token|auth|jwt|remember|login/i;
const METHODS = new Set(['GET', 'PUT', 'POST', 'DELETE', 'OPTIONS', 'HEAD', 'PATCH', 'TRACE']);
const MAX_DEPTH = 12;
const MAX_EXAMPLES = 5;

/** Does a path segment look like an id: a number, a UUID, long hex? */
export function looksLikeId(segment: string): boolean {
  return /^\d+$/.test(segment) || UUID.test(segment) || /^[0-9a-f]{16,}$/i.test(segment);
}

interface Scheme {
  name: string;
  definition: JsonObject;
}

/** The security schemes a request's credentials stand for (names only; values dropped). */
function schemesOf(observed: Observed): Scheme[] {
  const out: Scheme[] = [];
  for (const { name, value } of observed.headers) {
    const lower = name.toLowerCase();
    if (lower === 'authorization') {
      const kind = /^\s*(\w+)/.exec(value)?.[1]?.toLowerCase();
      if (kind === 'bearer') out.push({ name: 'importedBearer', definition: { type: 'http', scheme: 'bearer' } });
      else if (kind === 'basic') out.push({ name: 'importedBasic', definition: { type: 'http', scheme: 'basic' } });
      else out.push({ name: 'importedAuthorization', definition: { type: 'apiKey', in: 'header', name: 'Authorization' } });
    } else if (lower === 'cookie') {
      for (const pair of value.split(';')) {
        const cookie = pair.split('=')[0]?.trim() ?? '';
        if (cookie !== '' && SESSION_COOKIE.test(cookie)) {
          out.push({ name: `importedCookie_${safeName(cookie)}`, definition: { type: 'apiKey', in: 'cookie', name: cookie } });
        }
      }
    } else if (KEY_HEADER.test(name)) {
      out.push({ name: `importedHeader_${safeName(name)}`, definition: { type: 'apiKey', in: 'header', name } });
    }
  }
  for (const name of observed.url.searchParams.keys()) {
    if (KEY_QUERY.test(name)) out.push({ name: `importedQuery_${safeName(name)}`, definition: { type: 'apiKey', in: 'query', name } });
  }
  return out;
}

function safeName(name: string): string {
  return name.replace(/[^\w.-]/g, '_');
}

function scalarSchema(value: string): JsonObject {
  if (/^-?\d{1,15}$/.test(value)) return { type: 'integer' };
  if (/^-?\d+\.\d+$/.test(value)) return { type: 'number' };
  if (value === 'true' || value === 'false') return { type: 'boolean' };
  return { type: 'string' };
}

/** A JSON Schema for one example value. */
export function inferSchema(value: Json, depth = 0): JsonObject {
  if (depth > MAX_DEPTH) return {};
  if (value === null) return { type: 'null' };
  if (typeof value === 'boolean') return { type: 'boolean' };
  if (typeof value === 'number') return { type: Number.isInteger(value) ? 'integer' : 'number' };
  if (typeof value === 'string') {
    if (/^[^@\s]+@[^@\s]+\.[^@\s]+$/.test(value)) return { type: 'string', format: 'email' };
    if (UUID.test(value)) return { type: 'string', format: 'uuid' };
    if (/^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}/.test(value)) return { type: 'string', format: 'date-time' };
    return { type: 'string' };
  }
  if (Array.isArray(value)) return value.length === 0 ? { type: 'array' } : { type: 'array', items: inferSchema(value[0]!, depth + 1) };
  const properties: JsonObject = {};
  for (const [key, inner] of Object.entries(value)) properties[key] = PASSWORD.test(key) && typeof inner === 'string' ? { type: 'string', format: 'password' } : inferSchema(inner, depth + 1);
  return { type: 'object', properties, required: Object.keys(value) };
}

/** Two examples' schemas as one: properties united, required only what both had. */
function mergeSchemas(a: JsonObject, b: JsonObject): JsonObject {
  if (a.type !== 'object' || b.type !== 'object') return a;
  const properties: JsonObject = { ...(b.properties as JsonObject), ...(a.properties as JsonObject) };
  const inB = new Set(b.required as string[]);
  return { type: 'object', properties, required: (a.required as string[]).filter((name) => inB.has(name)) };
}

/** An example with every secret-named value blanked, or undefined when nothing else is left. */
function withoutSecrets(value: Json, depth = 0): Json {
  if (depth > MAX_DEPTH || value === null || typeof value !== 'object') return value;
  if (Array.isArray(value)) return value.slice(0, 3).map((inner) => withoutSecrets(inner, depth + 1));
  const out: JsonObject = {};
  for (const [key, inner] of Object.entries(value)) {
    out[key] = SENSITIVE.test(key) && typeof inner !== 'object' ? '' : withoutSecrets(inner, depth + 1);
  }
  return out;
}

interface Draft {
  template: string;
  method: string;
  pathValues: Map<string, Set<string>>;
  query: Map<string, Set<string>>;
  body?: { contentType: string; schema?: JsonObject; example?: Json };
  responses: Map<string, Set<string>>;
  schemes: Map<string, Scheme>;
  anonymous: boolean;
}

function templateOf(observed: Observed, relative: string): { template: string; values: [string, string][] } {
  const segments = relative.split('/');
  const values: [string, string][] = [];
  const used = new Set<string>();
  const offset = observed.url.pathname.split('/').length - segments.length;
  const parts = segments.map((segment, index) => {
    if (index === 0) return segment;
    let decoded: string;
    try {
      decoded = decodeURIComponent(segment);
    } catch {
      decoded = segment;
    }
    const named = observed.namedSegments?.get(index + offset);
    if (named === undefined && !looksLikeId(decoded)) return segment;
    let name = named ?? 'id';
    for (let n = 2; used.has(name); n++) name = `${named ?? 'id'}${n}`;
    used.add(name);
    values.push([name, decoded]);
    return `{${name}}`;
  });
  return { template: parts.join('/') || '/', values };
}

/** `/a/{x}/b` and `/a/{y}/b` are the same route. */
export function structuralKey(method: string, template: string): string {
  return `${method.toUpperCase()} ${template.replace(/\{[^}]*\}/g, '{}').replace(/(.)\/$/, '$1')}`;
}

function parseBody(body: NonNullable<Observed['body']>, headers: Observed['headers']): Draft['body'] {
  const declared = body.mimeType ?? headers.find((h) => h.name.toLowerCase() === 'content-type')?.value ?? '';
  const contentType = declared.split(';')[0]!.trim().toLowerCase() || (/^\s*[[{]/.test(body.text) ? 'application/json' : 'application/octet-stream');
  if (/json/.test(contentType)) {
    try {
      const value = JSON.parse(body.text) as Json;
      return { contentType, schema: inferSchema(value), example: withoutSecrets(value) };
    } catch {
      return { contentType };
    }
  }
  if (contentType === 'application/x-www-form-urlencoded') {
    const form = new URLSearchParams(body.text);
    const properties: JsonObject = {};
    const example: JsonObject = {};
    for (const [key, value] of form) {
      properties[key] = PASSWORD.test(key) ? { type: 'string', format: 'password' } : scalarSchema(value);
      example[key] = SENSITIVE.test(key) ? '' : value;
    }
    return { contentType, schema: { type: 'object', properties, required: Object.keys(properties) }, example };
  }
  return { contentType };
}

/** Turns observed requests into an OpenAPI 3.1 document. */
export function buildDocument(observed: readonly Observed[], options: BuildOptions, title: string): Built {
  const drafts = new Map<string, Draft>();
  let kept = 0;
  let dropped = 0;
  let credentialsSeen = false;
  for (const request of observed) {
    const method = request.method.toUpperCase();
    const pathname = request.url.pathname;
    const under = options.prefix === '' || pathname === options.prefix || pathname.startsWith(`${options.prefix}/`);
    if (request.url.origin !== options.origin || !under || !METHODS.has(method)) {
      dropped++;
      continue;
    }
    kept++;
    const relative = pathname.slice(options.prefix.length) || '/';
    const { template, values } = templateOf(request, relative.startsWith('/') ? relative : `/${relative}`);
    const key = structuralKey(method, template);
    let draft = drafts.get(key);
    if (draft === undefined) {
      draft = { template, method, pathValues: new Map(), query: new Map(), responses: new Map(), schemes: new Map(), anonymous: false };
      drafts.set(key, draft);
    }
    const names = [...draft.template.matchAll(/\{([^}]+)\}/g)].map((m) => m[1]!);
    values.forEach(([, value], index) => {
      const name = names[index] ?? `id${index + 1}`;
      const seen = draft.pathValues.get(name) ?? new Set<string>();
      if (seen.size < MAX_EXAMPLES) seen.add(value);
      draft.pathValues.set(name, seen);
    });
    for (const [name, value] of request.url.searchParams) {
      if (KEY_QUERY.test(name)) continue;
      const seen = draft.query.get(name) ?? new Set<string>();
      if (seen.size < MAX_EXAMPLES && !SENSITIVE.test(name)) seen.add(value);
      draft.query.set(name, seen);
    }
    if (request.body !== undefined && request.body.text !== '') {
      const body = parseBody(request.body, request.headers);
      if (draft.body === undefined) draft.body = body;
      else if (draft.body.schema !== undefined && body?.schema !== undefined) draft.body.schema = mergeSchemas(draft.body.schema, body.schema);
    }
    if (request.response !== undefined) {
      const status = request.response.status !== undefined && request.response.status >= 100 && request.response.status < 600 ? String(request.response.status) : 'default';
      const types = draft.responses.get(status) ?? new Set<string>();
      const type = request.response.contentType?.split(';')[0]?.trim().toLowerCase();
      if (type !== undefined && type !== '') types.add(type);
      draft.responses.set(status, types);
    }
    const schemes = schemesOf(request);
    if (schemes.length === 0) draft.anonymous = true;
    else credentialsSeen = true;
    for (const scheme of schemes) draft.schemes.set(scheme.name, scheme);
  }

  const paths: JsonObject = {};
  const securitySchemes: JsonObject = {};
  for (const draft of drafts.values()) {
    const parameters: Json[] = [];
    for (const [name, seen] of draft.pathValues) {
      const examples = [...seen];
      const numeric = examples.every((value) => /^\d{1,15}$/.test(value));
      parameters.push({ name, in: 'path', required: true, schema: { type: numeric ? 'integer' : 'string', examples: numeric ? examples.map(Number) : examples }, example: numeric ? Number(examples[0]) : examples[0]! });
    }
    for (const [name, seen] of draft.query) {
      const examples = [...seen];
      const schema = examples.length > 0 && examples.every((value) => /^-?\d{1,15}$/.test(value)) ? { type: 'integer' } : { type: 'string' };
      parameters.push({ name, in: 'query', required: false, schema, ...(examples[0] === undefined ? {} : { example: schema.type === 'integer' ? Number(examples[0]) : examples[0] }) });
    }
    const responses: JsonObject = {};
    for (const [status, types] of draft.responses) {
      responses[status] = { description: 'seen in the import', ...(types.size > 0 ? { content: Object.fromEntries([...types].map((type) => [type, {}])) } : {}) };
    }
    if (Object.keys(responses).length === 0) responses.default = { description: 'no answer recorded in the import' };
    // Seen with credentials and never without: the route needs one of them.
    const security: Json[] = draft.anonymous || draft.schemes.size === 0 ? [] : [...draft.schemes.values()].map((scheme) => ({ [scheme.name]: [] }));
    for (const scheme of draft.schemes.values()) securitySchemes[scheme.name] = scheme.definition;
    const operation: JsonObject = {
      'x-rampart-source': options.source,
      parameters,
      responses,
      security,
    };
    if (draft.body !== undefined) {
      const media: JsonObject = {};
      if (draft.body.schema !== undefined) media.schema = draft.body.schema;
      if (draft.body.example !== undefined) media.example = draft.body.example;
      operation.requestBody = { required: true, content: { [draft.body.contentType]: media } };
    }
    const item = (paths[draft.template] ??= {}) as JsonObject;
    item[draft.method.toLowerCase()] = operation;
  }
  const document: JsonObject = {
    openapi: '3.1.0',
    info: { title, version: 'imported' },
    paths,
    ...(Object.keys(securitySchemes).length > 0 ? { components: { securitySchemes } } : {}),
  };
  return { document, kept, dropped, credentialsSeen };
}
