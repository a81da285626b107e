// Reads a Postman collection (v2.1, v2.0) into observed requests: nested folders walked,
// `{{variables}}` resolved from the collection's `variable` list (and `:name` path variables from
// the request's own), auth inherited from folders and the collection. A path segment that is a
// whole variable becomes a path parameter of that name, its value the example.
import { AuditError } from '../errors.ts';
import { isObject } from '../spec/refs.ts';
import type { Json, JsonObject } from '../spec/refs.ts';
import { MAX_ENTRIES, parseJsonFile } from './har.ts';
import type { Parsed } from './har.ts';
import type { Observed } from './openapi.ts';

const MAX_FOLDER_DEPTH = 50;
const VARIABLE = /\{\{\s*([^{}]+?)\s*\}\}/g;

function invalid(source: string, problem: string): never {
  throw new AuditError('SPEC_INVALID', `the Postman collection ${source} ${problem}`);
}

function variables(list: Json | undefined): Map<string, string> {
  const out = new Map<string, string>();
  if (!Array.isArray(list)) return out;
  for (const entry of list) {
    if (!isObject(entry) || entry.disabled === true) continue;
    const key = typeof entry.key === 'string' ? entry.key : typeof entry.id === 'string' ? entry.id : undefined;
    if (key === undefined) continue;
    const value = entry.value;
    out.set(key, typeof value === 'string' ? value : typeof value === 'number' || typeof value === 'boolean' ? String(value) : '');
  }
  return out;
}

/** Replaces `{{name}}` (recursively, a few levels: variables may name variables); unknown ones stay. */
function resolve(text: string, vars: Map<string, string>): string {
  let out = text;
  for (let round = 0; round < 5 && out.includes('{{'); round++) {
    const next = out.replace(VARIABLE, (whole, name: string) => vars.get(name) ?? whole);
    if (next === out) break;
    out = next;
  }
  return out;
}

function authHeaders(auth: JsonObject | undefined): { headers: { name: string; value: string }[]; query: [string, string][] } {
  const none = { headers: [], query: [] };
  if (auth === undefined || typeof auth.type !== 'string') return none;
  // Values are placeholders: only which header or parameter carries the credential matters.
  if (auth.type === 'bearer') return { headers: [{ name: 'Authorization', value: 'Bearer x' }], query: [] };
  if (auth.type === 'basic') return { headers: [{ name: 'Authorization', value: 'Basic x' }], query: [] };
  if (auth.type === 'apikey') {
    const settings = variables(Array.isArray(auth.apikey) ? auth.apikey : []);
    const name = settings.get('key') ?? 'X-API-Key';
    return settings.get('in') === 'query' ? { headers: [], query: [[name, 'x']] } : { headers: [{ name, value: 'x' }], query: [] };
  }
  if (auth.type === 'noauth') return none;
  return { headers: [{ name: 'Authorization', value: `${auth.type} x` }], query: [] };
}

function rawOf(url: Json | undefined): string | undefined {
  if (typeof url === 'string') return url;
  if (!isObject(url)) return undefined;
  if (typeof url.raw === 'string') return url.raw;
  const part = (p: Json): string => (typeof p === 'string' ? p : isObject(p) && typeof p.value === 'string' ? p.value : '');
  const host = Array.isArray(url.host) ? url.host.map(part).join('.') : typeof url.host === 'string' ? url.host : '';
  const path = Array.isArray(url.path) ? url.path.map(part).join('/') : typeof url.path === 'string' ? url.path : '';
  const protocol = typeof url.protocol === 'string' ? `${url.protocol}://` : '';
  return `${protocol}${host}${path === '' ? '' : `/${path.replace(/^\//, '')}`}`;
}

/**
 * A URL that starts with a variable (`{{baseUrl}}/orders`) names its server by that variable: with
 * `server` given (the audited target's origin), the variable's origin is replaced by it and its
 * path kept, so a collection written for another host audits this one.
 */
function serverVariable(raw: string, vars: Map<string, string>, server: string | undefined): string {
  const leading = /^\{\{\s*([^{}]+?)\s*\}\}/.exec(raw);
  if (server === undefined || leading === null) return raw;
  const value = resolve(vars.get(leading[1]!) ?? '', vars);
  let path = '';
  try {
    if (value !== '' && !value.includes('{{')) path = new URL(/^[a-z][\w+.-]*:\/\//i.test(value) ? value : `http://${value}`).pathname.replace(/\/+$/, '');
  } catch {
    path = '';
  }
  return `${server}${path}${raw.slice(leading[0].length)}`;
}

function toObserved(request: JsonObject, vars: Map<string, string>, auth: JsonObject | undefined, server: string | undefined): Observed | undefined {
  const written = rawOf(request.url);
  if (written === undefined || written.trim() === '') return undefined;
  const raw = serverVariable(written.trim(), vars, server);
  const own = variables(isObject(request.url) ? request.url.variable : undefined);
  const [beforeQuery, rawQuery] = splitOnce(raw.trim(), '?');
  const pieces = beforeQuery.split('/');
  const hostIndex = /^[a-z][\w+.-]*:$/i.test(pieces[0] ?? '') && pieces[1] === '' ? 2 : 0;
  const named: { sentinel: string; name: string; value: string }[] = [];
  const marked = pieces.map((piece, index) => {
    if (index <= hostIndex) return piece;
    const whole = /^\{\{\s*([^{}]+?)\s*\}\}$/.exec(piece) ?? /^:([A-Za-z_]\w*)$/.exec(piece);
    if (whole === null) return piece;
    const name = whole[1]!;
    const value = piece.startsWith(':') ? own.get(name) ?? vars.get(name) ?? '' : resolve(piece, vars);
    const sentinel = `rampartvar${named.length}x`;
    named.push({ sentinel, name, value: value === '' || value.includes('{{') ? name : value });
    return sentinel;
  });
  let resolved = resolve(marked.join('/'), vars);
  if (!/^[a-z][\w+.-]*:\/\//i.test(resolved)) resolved = `http://${resolved}`;
  let url: URL;
  try {
    url = new URL(resolved);
  } catch {
    return undefined;
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:') return undefined;
  const namedSegments = new Map<number, string>();
  url.pathname = url.pathname
    .split('/')
    .map((segment, index) => {
      const hit = named.find((n) => n.sentinel === segment);
      if (hit === undefined) return segment;
      namedSegments.set(index, safeParam(hit.name));
      return encodeURIComponent(hit.value);
    })
    .join('/');
  // Query: the list (without disabled entries) when given, else the raw query.
  const query = isObject(request.url) && Array.isArray(request.url.query) ? request.url.query : undefined;
  url.search = '';
  if (query !== undefined) {
    for (const entry of query) {
      if (isObject(entry) && typeof entry.key === 'string' && entry.disabled !== true) {
        url.searchParams.append(resolve(entry.key, vars), resolve(typeof entry.value === 'string' ? entry.value : '', vars));
      }
    }
  } else if (rawQuery !== undefined) {
    for (const [key, value] of new URLSearchParams(resolve(rawQuery, vars))) url.searchParams.append(key, value);
  }
  const headers = (Array.isArray(request.header) ? request.header : []).flatMap((h) =>
    isObject(h) && typeof h.key === 'string' && h.disabled !== true ? [{ name: h.key, value: resolve(typeof h.value === 'string' ? h.value : '', vars) }] : [],
  );
  const effective = isObject(request.auth) && request.auth.type !== 'inherit' ? request.auth : auth;
  const fromAuth = authHeaders(effective);
  headers.push(...fromAuth.headers);
  for (const [key, value] of fromAuth.query) url.searchParams.append(key, value);
  const body = bodyOf(request.body, vars);
  return {
    method: typeof request.method === 'string' ? request.method : 'GET',
    url,
    headers,
    ...(body === undefined ? {} : { body }),
    ...(namedSegments.size > 0 ? { namedSegments } : {}),
  };
}

function safeParam(name: string): string {
  return name.replace(/[^\w.-]/g, '_') || 'param';
}

function splitOnce(text: string, separator: string): [string, string | undefined] {
  const at = text.indexOf(separator);
  return at < 0 ? [text, undefined] : [text.slice(0, at), text.slice(at + 1)];
}

function bodyOf(body: Json | undefined, vars: Map<string, string>): Observed['body'] {
  if (!isObject(body) || body.disabled === true) return undefined;
  if (body.mode === 'raw' && typeof body.raw === 'string') {
    const options = isObject(body.options) && isObject(body.options.raw) ? body.options.raw : {};
    const text = resolve(body.raw, vars);
    const json = options.language === 'json' || /^\s*[[{]/.test(text);
    return { ...(json ? { mimeType: 'application/json' } : {}), text };
  }
  if ((body.mode === 'urlencoded' || body.mode === 'formdata') && Array.isArray(body[body.mode])) {
    const form = new URLSearchParams();
    for (const entry of body[body.mode] as Json[]) {
      if (isObject(entry) && typeof entry.key === 'string' && entry.disabled !== true && entry.type !== 'file') {
        form.append(entry.key, resolve(typeof entry.value === 'string' ? entry.value : '', vars));
      }
    }
    return { mimeType: body.mode === 'urlencoded' ? 'application/x-www-form-urlencoded' : 'multipart/form-data', text: form.toString() };
  }
  if (body.mode === 'graphql' && isObject(body.graphql)) {
    return { mimeType: 'application/json', text: JSON.stringify({ query: body.graphql.query ?? '', variables: {} }) };
  }
  return undefined;
}

/** Example answers saved with a request name its status codes and content types. */
function responsesOf(item: JsonObject): { status?: number; contentType?: string }[] {
  if (!Array.isArray(item.response)) return [];
  return item.response.filter(isObject).map((response) => {
    const type = (Array.isArray(response.header) ? response.header : []).find((h) => isObject(h) && typeof h.key === 'string' && h.key.toLowerCase() === 'content-type');
    return {
      ...(typeof response.code === 'number' ? { status: response.code } : {}),
      ...(isObject(type) && typeof type.value === 'string' ? { contentType: type.value } : {}),
    };
  });
}

/** `server`: the audited target's origin, standing for the variable a URL starts with (`{{baseUrl}}`). */
export function parsePostman(text: string, source: string, server?: string, maxEntries = MAX_ENTRIES): Parsed {
  const parsed = parseJsonFile(text, source, 'Postman collection');
  if (!isObject(parsed) || !isObject(parsed.info) || !Array.isArray(parsed.item)) {
    invalid(source, 'is not a Postman collection (no `info` and `item`): export it from Postman as Collection v2.1');
  }
  const schema = typeof parsed.info.schema === 'string' ? parsed.info.schema : '';
  if (schema !== '' && !/collection\/v2\.[01]/.test(schema)) invalid(source, `uses the schema ${schema}; export it as Collection v2.1`);
  const vars = variables(parsed.variable);
  const observed: Observed[] = [];
  let skipped = 0;
  let seen = 0;
  const walk = (items: Json[], auth: JsonObject | undefined, depth: number): void => {
    if (depth > MAX_FOLDER_DEPTH) invalid(source, `nests folders deeper than ${MAX_FOLDER_DEPTH}`);
    for (const item of items) {
      if (!isObject(item)) {
        skipped++;
        continue;
      }
      const own = isObject(item.auth) && item.auth.type !== 'inherit' ? item.auth : auth;
      if (Array.isArray(item.item)) {
        walk(item.item, own, depth + 1);
        continue;
      }
      if (++seen > maxEntries) {
        skipped++;
        continue;
      }
      const request = typeof item.request === 'string' ? { url: item.request, method: 'GET' } : item.request;
      const one = isObject(request) ? toObserved(request, vars, own, server) : undefined;
      if (one === undefined) {
        skipped++;
        continue;
      }
      const answers = responsesOf(item);
      if (answers.length === 0) observed.push(one);
      for (const response of answers) observed.push({ ...one, response });
    }
  };
  walk(parsed.item, isObject(parsed.auth) ? parsed.auth : undefined, 0);
  return { observed, skipped, capped: seen > maxEntries };
}
