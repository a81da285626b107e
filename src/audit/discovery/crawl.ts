// Discovery without a spec: reads the target as a browser and a curious user would, with safe
// requests only (GET of paths the safety policy calls reads, and OPTIONS), inside a budget, and
// writes what it learnt as an OpenAPI document that every check then reads like a published one.
//
// Soft 404s first: a single-page app answers every unknown path with the same 200 page, so two
// random paths are fetched before anything else and any answer that looks like theirs is not a
// route.
import { randomBytes } from 'node:crypto';
import type { HttpClient, HttpResponse } from '../http/client.ts';
import { usable } from '../http/client.ts';
import { isRead } from '../safety/policy.ts';
import { buildSpec, parseSpecText } from '../spec/load.ts';
import type { ApiSpec } from '../spec/load.ts';
import { isObject } from '../spec/refs.ts';
import type { Json, JsonObject } from '../spec/refs.ts';
import type { Target } from '../target.ts';
import { fromHeaders, fromHtml, fromJson, fromRobots, fromScript, fromSitemap, samePath, swaggerDocuments, type Hint } from './extract.ts';
import { COMMON_PATHS } from './wordlist.ts';

export const DEFAULT_CRAWL_BUDGET = 250;
const BODY_CAP = 2 * 1024 * 1024;
const STATIC = /\.(?:m?js|css|png|jpe?g|gif|svg|ico|webp|woff2?|ttf|eot|map)$/i;
const ID_SEGMENT = /^(?:\d+|[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}|[0-9a-f]{12,}|[A-Za-z0-9_-]{20,})$/i;

export interface CrawledRoute {
  method: string;
  /** The template: id-like segments replaced by `{id}`. */
  path: string;
  via: Set<string>;
  /** A concrete path seen for it, for examples. */
  example?: string;
  status?: number;
  fields?: string[];
  /** The fields travel as a JSON body (a script's call), not as a form. */
  json?: boolean;
  /** Query parameter names seen in links and calls. */
  query: Set<string>;
}

export interface Crawl {
  /** What was learnt, as a spec (undefined when nothing was found). */
  spec?: ApiSpec;
  routes: CrawledRoute[];
  /** Published documents found through a Swagger UI or Redoc page. */
  documents: string[];
  requests: number;
  /** Set when unknown paths answer like a page (a soft 404). */
  softNotFound?: number;
  /** Paths named somewhere but not fetched, with the reason (unsafe name, budget). */
  skipped: { path: string; reason: string }[];
}

interface Fingerprint {
  status: number;
  type: string;
  text: string;
  /** The text without the path that was asked for (pages that echo it). */
  echoless: string;
}

function fingerprint(response: HttpResponse, asked: string): Fingerprint {
  return { status: response.status, type: response.headers['content-type'] ?? '', text: response.text, echoless: response.text.replaceAll(asked, '') };
}

/** The same page: catch-alls answer identical bytes, or identical but for the path they echo. */
function looksAlike(a: Fingerprint, b: Fingerprint): boolean {
  return a.status === b.status && a.type === b.type && (a.text === b.text || a.echoless === b.echoless);
}

/** `/orders/42/items` → `/orders/{id}/items` (and `{id2}` for a second id). */
export function templateOf(path: string, knownIds: ReadonlySet<string>): string {
  let n = 0;
  return path
    .split('/')
    .map((segment) => {
      if (segment === '' || segment.includes('{') || STATIC.test(segment) || !(ID_SEGMENT.test(segment) || knownIds.has(segment))) return segment;
      n += 1;
      return n === 1 ? '{id}' : `{id${n}}`;
    })
    .join('/');
}

function queryNames(raw: string): string[] {
  const at = raw.indexOf('?');
  return at === -1 ? [] : [...new URLSearchParams(raw.slice(at + 1).split('#')[0]).keys()].filter((name) => /^[\w.[\]-]{1,64}$/.test(name));
}

/** Ids in an answer: values of `id` and `*_id`/`*Id` fields. */
function collectIds(value: Json, out: Set<string>, depth = 0): void {
  if (depth > 8 || out.size > 500) return;
  if (Array.isArray(value)) for (const item of value.slice(0, 50)) collectIds(item, out, depth + 1);
  else if (isObject(value)) {
    for (const [key, item] of Object.entries(value)) {
      if (/^(?:id|uuid)$|_id$|Id$/.test(key) && (typeof item === 'string' || typeof item === 'number') && String(item).length <= 80) out.add(String(item));
      else collectIds(item, out, depth + 1);
    }
  }
}

function hintsOf(response: HttpResponse, path: string): Hint[] {
  const type = response.headers['content-type'] ?? '';
  const hints = fromHeaders(response.headers);
  if (path.endsWith('/robots.txt')) return [...hints, ...fromRobots(response.text)];
  if (/xml/.test(type) || path.endsWith('.xml')) return [...hints, ...fromSitemap(response.text)];
  if (/javascript|ecmascript/.test(type) || /\.m?js$/.test(path)) return [...hints, ...fromScript(response.text)];
  if (/html/.test(type)) return [...hints, ...fromHtml(response.text), ...fromScript(response.text)];
  if (/json/.test(type)) {
    try {
      return [...hints, ...fromJson(JSON.parse(response.text))];
    } catch {
      return hints;
    }
  }
  return hints;
}

export async function crawl(target: Target, client: HttpClient, budget = DEFAULT_CRAWL_BUDGET): Promise<Crawl> {
  const origin = new URL(target.base.origin);
  const prefix = target.prefix;
  const routes = new Map<string, CrawledRoute>();
  const skipped: { path: string; reason: string }[] = [];
  const documents: string[] = [];
  const published: ApiSpec[] = [];
  const ids = new Set<string>();
  const queue: { path: string; via: string }[] = [];
  const queued = new Set<string>();
  let requests = 0;

  const get = async (path: string) => {
    requests += 1;
    const url = new URL(path, origin);
    const result = await client.send({ method: 'GET', url, purpose: 'discovery (no spec)', maxBodyBytes: BODY_CAP, onThrottle: 'retry' });
    return usable(result) ? result.response : undefined;
  };

  // Two random paths, at the root and under the API's prefix: the shape of "not found".
  const soft: Fingerprint[] = [];
  for (const path of [`/${randomBytes(6).toString('hex')}`, `${prefix}/api/${randomBytes(6).toString('hex')}/${randomBytes(3).toString('hex')}`]) {
    const response = await get(path);
    if (response !== undefined && response.status !== 404) soft.push(fingerprint(response, path));
  }
  const isSoft = (response: HttpResponse, path: string) => soft.some((fp) => looksAlike(fp, fingerprint(response, path)));

  const record = (method: string, path: string, via: string, extra: Partial<Omit<CrawledRoute, 'query'>> = {}, query: readonly string[] = []) => {
    const template = templateOf(path, ids);
    const key = `${method} ${template}`;
    const route = routes.get(key) ?? { method, path: template, via: new Set<string>(), query: new Set<string>() };
    route.via.add(via);
    for (const name of query) route.query.add(name);
    if (route.example === undefined && template !== path) route.example = path;
    Object.assign(route, extra);
    routes.set(key, route);
  };
  const enqueue = (path: string, via: string) => {
    if (queued.has(path)) return;
    queued.add(path);
    if (!isRead({ method: 'GET', path })) {
      skipped.push({ path, reason: 'its name says it acts or destroys; never fetched' });
      return;
    }
    queue.push({ path, via });
  };

  enqueue('/', 'start');
  if (prefix !== '') enqueue(`${prefix}/`, 'start');
  for (const path of COMMON_PATHS) enqueue(path, 'wordlist');
  if (prefix !== '') for (const path of COMMON_PATHS) if (path.startsWith('/api') || path.startsWith('/v')) enqueue(`${prefix}${path}`, 'wordlist');

  while (queue.length > 0) {
    if (requests >= budget) {
      for (const rest of queue.splice(0)) skipped.push({ path: rest.path, reason: 'the discovery budget ran out' });
      break;
    }
    // Paths named by the target itself come before the wordlist's guesses.
    const index = queue.findIndex((item) => item.via !== 'wordlist');
    const { path, via } = queue.splice(index === -1 ? 0 : index, 1)[0]!;
    const response = await get(path);
    if (response === undefined || response.status === 404 || response.status === 410) continue;
    if (response.status === 405) {
      record('GET', path, via, { status: 405 });
      continue;
    }
    if (isSoft(response, path) && path !== '/') continue;
    // A redirect names where the route is (a trailing slash, a login page): follow the hint only.
    if (response.status >= 300 && response.status < 400) {
      for (const hint of fromHeaders(response.headers)) {
        const moved = samePath(hint.path, new URL(path, origin));
        if (moved !== undefined) enqueue(moved, via);
      }
      continue;
    }
    record('GET', path, via, { status: response.status });
    if (response.status >= 400) continue;
    if (/json/.test(response.headers['content-type'] ?? '')) {
      try {
        collectIds(JSON.parse(response.text) as Json, ids);
      } catch {
        // Not JSON after all: nothing to learn ids from.
      }
    }
    for (const documentUrl of swaggerDocuments(response.text)) {
      const documentPath = samePath(documentUrl, new URL(path, origin));
      if (documentPath === undefined || documents.includes(documentPath) || requests >= budget) continue;
      documents.push(documentPath);
      const document = await get(documentPath);
      if (document?.status !== 200) continue;
      try {
        published.push(buildSpec(parseSpecText(document.text, documentPath), new URL(documentPath, origin).href));
      } catch {
        skipped.push({ path: documentPath, reason: 'a Swagger UI page names it, but it is not an OpenAPI 3 document' });
      }
    }
    // A directory listing served without its trailing slash (`/backup` as `/backup/`) names its
    // files relative to the directory, whatever a browser would make of the URL.
    const listing = !path.endsWith('/') && /<title>\s*Index of /i.test(response.text.slice(0, 2048));
    const page = new URL(listing ? `${path}/` : path, origin);
    for (const hint of hintsOf(response, path)) {
      const hinted = samePath(hint.path, page);
      if (hinted === undefined || !hinted.startsWith('/')) continue;
      const query = [...(hint.query ?? []), ...queryNames(hint.path)];
      if (query.length > 0) record(hint.method, hinted, hint.via, {}, query);
      if (hint.method !== 'GET' || hinted.includes('{')) {
        record(hint.method, hinted, hint.via, { ...(hint.fields === undefined ? {} : { fields: hint.fields }), ...(hint.json === true ? { json: true } : {}) });
        continue;
      }
      enqueue(hinted, hint.via);
    }
  }

  const found = [...routes.values()].filter((route) => !(route.method === 'GET' && STATIC.test(route.path)));
  const spec = found.length === 0 && published.length === 0 ? undefined : buildSpec(documentOf(found, published, ids), `discovered by crawling ${origin.origin}`);
  return { ...(spec === undefined ? {} : { spec }), routes: found, documents, requests, ...(soft[0] === undefined ? {} : { softNotFound: soft[0].status }), skipped };
}

/** The OpenAPI 3.1 document of what was found, with any published partial documents merged in. */
function documentOf(routes: CrawledRoute[], published: ApiSpec[], ids: ReadonlySet<string>): JsonObject {
  const paths: Record<string, Record<string, Json>> = {};
  const schemes: Record<string, Json> = {};
  const example = [...ids][0] ?? '1';
  for (const route of routes) {
    const item = (paths[route.path] ??= {});
    const parameters: Json[] = [...route.path.matchAll(/\{([^}]+)\}/g)].map((m) => ({ name: m[1]!, in: 'path', required: true, schema: { type: 'string' }, example: exampleFor(route, m[1]!) ?? example }));
    for (const name of route.query) parameters.push({ name, in: 'query', required: false, schema: { type: 'string' } });
    const operation: Record<string, Json> = {
      summary: `found by ${[...route.via].sort().join(', ')}`,
      parameters,
      responses: { [String(route.status ?? 200)]: { description: 'as seen' } },
    };
    if (route.fields !== undefined && route.fields.length > 0 && route.method !== 'GET') {
      const properties = Object.fromEntries(route.fields.map((field) => [field, { type: 'string' }]));
      const type = route.json === true ? 'application/json' : 'application/x-www-form-urlencoded';
      operation.requestBody = { required: true, content: { [type]: { schema: { type: 'object', properties } } } };
    }
    item[route.method.toLowerCase()] = operation;
  }
  for (const spec of published) {
    const server = spec.servers.map((url) => { try { return new URL(url, 'http://x').pathname.replace(/\/+$/, ''); } catch { return ''; } })[0] ?? '';
    const theirs = isObject(spec.document.paths) ? spec.document.paths : {};
    // Their document-wide security moves onto each operation: the merged document has none.
    const security = spec.document.security ?? [];
    for (const [path, item] of Object.entries(theirs)) {
      if (!isObject(item)) continue;
      const operations = Object.fromEntries(Object.entries(inlined(spec.document, item) as Record<string, Json>).map(([method, op]) => [method, isObject(op) && op.security === undefined ? { ...op, security } : op]));
      paths[`${server}${path}`] = { ...(paths[`${server}${path}`] ?? {}), ...operations };
    }
    const components = isObject(spec.document.components) ? spec.document.components : {};
    if (isObject(components.securitySchemes)) Object.assign(schemes, components.securitySchemes);
  }
  return { openapi: '3.1.0', info: { title: 'discovered', version: '0' }, paths, components: { securitySchemes: schemes } };
}

function exampleFor(route: CrawledRoute, name: string): string | undefined {
  if (route.example === undefined) return undefined;
  const names = [...route.path.matchAll(/\{([^}]+)\}/g)].map((m) => m[1]!);
  const template = route.path.split('/');
  const concrete = route.example.split('/');
  const at = template.indexOf(`{${name}}`);
  return names.includes(name) && at >= 0 ? concrete[at] : undefined;
}

/** A path item with its local references resolved, so it can live in another document. */
function inlined(document: JsonObject, value: Json, depth = 0): Json {
  if (depth > 20) return value;
  if (Array.isArray(value)) return value.map((item) => inlined(document, item, depth + 1));
  if (!isObject(value)) return value;
  if (typeof value.$ref === 'string' && value.$ref.startsWith('#/')) {
    let cursor: Json | undefined = document;
    for (const token of value.$ref.slice(2).split('/')) cursor = isObject(cursor) ? cursor[token.replaceAll('~1', '/').replaceAll('~0', '~')] : undefined;
    return cursor === undefined ? {} : inlined(document, cursor, depth + 1);
  }
  return Object.fromEntries(Object.entries(value).map(([key, item]) => [key, inlined(document, item, depth + 1)]));
}
