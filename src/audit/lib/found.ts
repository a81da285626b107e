// Objects an identity already owns, found rather than created: an item route `GET <collection>/{id}`
// paired with the listing `GET <collection>` beside it, the objects a listing returns (bare array
// or inside an envelope), their ids, and the values that tell one object apart from anything else.
// Only reads: the auditor never changes or deletes an object it did not create.
import type { HttpResult } from '../http/client.ts';
import { usable } from '../http/client.ts';
import type { ApiSpec, Operation } from '../spec/load.ts';
import { isObject } from '../spec/refs.ts';
import type { Json, JsonObject } from '../spec/refs.ts';

export interface Listed {
  /** `GET <collection>`, which needs credentials: each caller sees its own objects. */
  list: Operation;
  /** `GET <collection>/{param}`. */
  read: Operation;
  param: string;
}

/** Keys under which APIs commonly wrap a page of results. */
const ENVELOPES = ['items', 'data', 'results', 'records', 'entries', 'content', 'objects', 'rows', 'values', 'list', 'hits'];
/** Shorter strings (`true`, `EUR`, `open`) recur across unrelated objects: not proof of whose object it is. */
const MIN_DISTINCTIVE = 4;

/** Item routes with an authenticated listing of the same collection (collections without other path parameters). */
export function listedFamilies(spec: ApiSpec, isProtected: (operation: Operation) => boolean): Listed[] {
  const out: Listed[] = [];
  for (const read of spec.operations) {
    const match = /^(\/[^{}]*)\/\{([^}/]+)\}$/.exec(read.path);
    if (read.method !== 'GET' || match === null) continue;
    const collection = match[1]!;
    const list = spec.operations.find((o) => o.method === 'GET' && o.path.replace(/\/+$/, '') === collection);
    // A public listing shows everyone the same objects: there is no owner to impersonate.
    if (list === undefined || !isProtected(list)) continue;
    out.push({ list, read, param: match[2]! });
  }
  return out;
}

/** The objects of a listing: a top-level array, else an array under a usual envelope key or the collection's name. */
export function listedObjects(json: Json | undefined, collection: string, depth = 0): JsonObject[] {
  if (Array.isArray(json)) return json.filter(isObject);
  if (!isObject(json) || depth > 1) return [];
  const name = collection.split('/').filter(Boolean).pop() ?? '';
  for (const key of [...ENVELOPES, name]) {
    const value = json[key];
    if (Array.isArray(value)) return value.filter(isObject);
    // `{ data: { items: [...] } }`
    if (isObject(value)) {
      const inner = listedObjects(value, collection, depth + 1);
      if (inner.length > 0) return inner;
    }
  }
  return [];
}

/** The object's id: the field named like the path parameter, else `id`. */
export function idOf(object: JsonObject, param: string): string | undefined {
  const value = object[param] ?? object.id;
  return typeof value === 'string' || typeof value === 'number' ? String(value) : undefined;
}

/** String values of an object (nested ones included) long enough to be its own, the id excepted (the URL carries it). */
export function distinctiveValues(json: Json | undefined, id: string, depth = 0, out: string[] = []): string[] {
  if (depth > 4 || out.length >= 50) return out;
  if (typeof json === 'string') {
    if (json.length >= MIN_DISTINCTIVE && json !== id && !out.includes(json)) out.push(json);
  } else if (Array.isArray(json)) {
    for (const item of json.slice(0, 20)) distinctiveValues(item, id, depth + 1, out);
  } else if (isObject(json)) {
    for (const value of Object.values(json)) distinctiveValues(value, id, depth + 1, out);
  }
  return out;
}

/** Does the answer hold the value as a whole JSON string (quoted, so a longer value containing it does not count)? */
export function holdsValue(result: HttpResult, value: string): boolean {
  return usable(result) && result.response.text.includes(JSON.stringify(value));
}
