// Where the object a POST created lives: its Location header, else the collection URL plus the
// `id` of the answer's JSON. Checks register it so that the audit deletes what it created.
import type { UsableResult } from '../http/client.ts';
import { isObject } from '../spec/refs.ts';
import { parseJson } from './links.ts';

export function createdUrl(collection: URL, result: UsableResult): URL | undefined {
  const location = result.response.headers.location;
  if (location !== undefined) {
    try {
      return new URL(location, collection);
    } catch {
      return undefined;
    }
  }
  const json = parseJson(result.response.text);
  const id = isObject(json) ? json.id : undefined;
  if (typeof id !== 'string' && typeof id !== 'number') return undefined;
  const url = new URL(collection.href);
  url.pathname = `${url.pathname.replace(/\/$/, '')}/${encodeURIComponent(String(id))}`;
  url.search = '';
  return url;
}
