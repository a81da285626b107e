// Objects an identity owns: the spec's create routes paired with their read, update and delete
// routes (by path, `Location` headers and OpenAPI links), canary values written into them, and
// the ids that reach them. Used by the checks that act as several identities.
import type { CheckContext } from '../check.ts';
import type { HttpResult, UsableResult } from '../http/client.ts';
import { usable } from '../http/client.ts';
import type { AuditIdentity } from '../identities/identity.ts';
import type { ApiSpec, Operation } from '../spec/load.ts';
import { matchTemplate } from '../spec/load.ts';
import { deref, isObject } from '../spec/refs.ts';
import type { Json, JsonObject } from '../spec/refs.ts';
import { synthesize } from '../spec/synth.ts';
import { parseJson } from './links.ts';

export interface Family {
  create: Operation;
  /** The item route template, e.g. `/notes/{id}`, and its id parameter. */
  item: string;
  param: string;
  read?: Operation;
  update?: Operation;
  remove?: Operation;
}

const STRING_FORMATS_KEPT = new Set(['email', 'uri', 'url', 'date', 'date-time', 'uuid', 'ipv4', 'ipv6', 'hostname', 'byte', 'password', 'time']);

/** Create routes (POST, JSON body, authenticated) with an item route `<path>/{id}` beside them. */
export function families(spec: ApiSpec): Family[] {
  const out: Family[] = [];
  for (const create of spec.operations) {
    if (create.method !== 'POST' || create.requestBody === undefined || !/json/i.test(create.requestBody.contentType)) continue;
    const base = create.path.replace(/\/+$/, '');
    const linked = linkedOperation(spec, create);
    const items = spec.operations.filter((o) => {
      const match = new RegExp(`^${escape(base)}/\\{([^}/]+)\\}$`).exec(o.path);
      return match !== null;
    });
    const itemPath = linked?.path ?? items[0]?.path;
    if (itemPath === undefined) continue;
    const param = /\{([^}/]+)\}$/.exec(itemPath)?.[1];
    if (param === undefined) continue;
    const at = (method: string): Operation | undefined => spec.operations.find((o) => o.path === itemPath && o.method === method);
    const update = at('PATCH') ?? at('PUT');
    const read = at('GET');
    const remove = at('DELETE');
    out.push({ create, item: itemPath, param, ...(read ? { read } : {}), ...(update ? { update } : {}), ...(remove ? { remove } : {}) });
  }
  return out;
}

function escape(text: string): string {
  return text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
}

/** The operation a create route's 2xx response links to (OpenAPI `links` with an operationId). */
function linkedOperation(spec: ApiSpec, create: Operation): Operation | undefined {
  const raw = (spec.document.paths as JsonObject | undefined)?.[create.path];
  const item = deref(spec.document, raw);
  const operation = isObject(item) ? deref(spec.document, item[create.method.toLowerCase()]) : undefined;
  const responses = isObject(operation) && isObject(operation.responses) ? operation.responses : {};
  for (const [status, response] of Object.entries(responses)) {
    if (!/^2/.test(status)) continue;
    const resolved = deref(spec.document, response);
    if (!isObject(resolved) || !isObject(resolved.links)) continue;
    for (const link of Object.values(resolved.links)) {
      const l = deref(spec.document, link);
      if (isObject(l) && typeof l.operationId === 'string') {
        const target = spec.operations.find((o) => o.operationId === l.operationId);
        if (target) return target;
      }
    }
  }
  return undefined;
}

/** A body for a create or update route whose free-text fields carry the canary. */
export function canaryBody(spec: ApiSpec, operation: Operation, canary: string, base?: JsonObject): JsonObject | undefined {
  const schema = deref(spec.document, operation.requestBody?.schema);
  const synthesized = synthesize(spec.document, schema, { all: false });
  const value: JsonObject = { ...(isObject(synthesized) ? synthesized : {}) };
  const properties = isObject(schema) && isObject(schema.properties) ? schema.properties : {};
  if (base) for (const [key, v] of Object.entries(base)) if (key in properties && !readOnly(spec, properties[key])) value[key] = v;
  let placed = false;
  for (const [key, raw] of Object.entries(properties)) {
    const property = deref(spec.document, raw);
    if (!isObject(property) || property.type !== 'string' || property.readOnly === true || Array.isArray(property.enum)) continue;
    if (typeof property.format === 'string' && STRING_FORMATS_KEPT.has(property.format)) continue;
    if (typeof property.pattern === 'string') continue;
    const max = typeof property.maxLength === 'number' ? property.maxLength : Infinity;
    if (max < canary.length) continue;
    value[key] = canary;
    placed = true;
  }
  return placed ? value : undefined;
}

function readOnly(spec: ApiSpec, raw: Json | undefined): boolean {
  const property = deref(spec.document, raw);
  return isObject(property) && property.readOnly === true;
}

/** Where a created object lives: its Location header, else its id in the body on the item route. */
export function createdUrl(ctx: CheckContext, family: Family, result: UsableResult): { url: URL; id: string } | undefined {
  const location = result.response.headers.location;
  if (location !== undefined) {
    try {
      const url = new URL(location, result.request.url);
      const route = ctx.target.routeOf(url);
      if (url.origin === ctx.target.origin && matchTemplate(family.item, route)) {
        const id = decodeURIComponent(route.split('/').pop() ?? '');
        return { url, id };
      }
    } catch {
      // fall through to the body
    }
  }
  const json = parseJson(result.response.text);
  if (!isObject(json)) return undefined;
  const id = json[family.param] ?? json.id;
  if (typeof id !== 'string' && typeof id !== 'number') return undefined;
  const planned = ctx.planner!.plan(family.read ?? family.remove ?? family.update!, { values: { [family.param]: String(id) } });
  return { url: planned.url, id: String(id) };
}

/** Request parts for an item route at a known URL. */
export function itemRequest(operation: Operation, url: URL, body?: JsonObject): { method: string; url: URL; headers: Record<string, string>; body?: string } {
  return {
    method: operation.method,
    url,
    headers: body === undefined ? {} : { 'content-type': 'application/json' },
    ...(body === undefined ? {} : { body: JSON.stringify(body) }),
  };
}

/** The JSON object an answer carries, if it is 2xx JSON. */
export function objectOf(result: HttpResult): JsonObject | undefined {
  if (!usable(result) || result.response.status < 200 || result.response.status >= 300) return undefined;
  const json = parseJson(result.response.text);
  return isObject(json) ? json : undefined;
}

export function ok(result: HttpResult): result is UsableResult {
  return usable(result) && result.response.status >= 200 && result.response.status < 300;
}

export function carries(result: HttpResult, canary: string): boolean {
  return usable(result) && result.response.text.includes(canary);
}

/** The ordinary identities, A then B. */
export function users(ctx: CheckContext): AuditIdentity[] {
  return ctx.identities.filter((i) => i.role === 'user');
}
