// A published spec often documents only part of an API (a partner sub-API, the v2 routes): what
// crawling found beyond it joins the one operation list every check uses. An operation the spec
// already has keeps the spec's description. When crawling found routes outside the spec's server
// path (the spec documents `/partners/v1`, the shop lives under `/api`), the spec's paths are
// written out in full and its server path dropped, so both fit one document.
import { writeFile } from 'node:fs/promises';
import { AuditError, errorCode } from '../errors.ts';
import { structuralKey } from '../imports/openapi.ts';
import { buildSpec } from '../spec/load.ts';
import type { ApiSpec } from '../spec/load.ts';
import { isObject } from '../spec/refs.ts';
import type { JsonObject } from '../spec/refs.ts';

export interface Merged {
  spec: ApiSpec;
  added: number;
  /** Crawled paths outside the spec's server path (the spec's paths were then written out in full). */
  outside: string[];
}

function crawledPaths(crawled: ApiSpec, crawledPrefix: string): [string, JsonObject][] {
  const paths = isObject(crawled.document.paths) ? crawled.document.paths : {};
  return Object.entries(paths).flatMap(([path, item]): [string, JsonObject][] => (isObject(item) ? [[`${crawledPrefix}${path}`, item]] : []));
}

const under = (path: string, prefix: string): boolean => prefix === '' || path === prefix || path.startsWith(`${prefix}/`);

/** The spec with its server path moved into each path (`/partners/v1` + `/catalog`). */
function rebased(document: JsonObject, prefix: string): JsonObject {
  const paths = isObject(document.paths) ? document.paths : {};
  const rest: JsonObject = { ...document };
  delete rest.servers;
  return { ...rest, paths: Object.fromEntries(Object.entries(paths).map(([path, item]) => [`${prefix}${path}`, item])) };
}

/**
 * `crawledPrefix` and `specPrefix`: the path each document's paths are relative to (the crawl's
 * is the base URL's path; the spec's, its server path when the base URL has none).
 */
export function mergeCrawled(published: ApiSpec, crawled: ApiSpec, crawledPrefix: string, specPrefix: string): Merged {
  const found = crawledPaths(crawled, crawledPrefix);
  const outside = found.filter(([path]) => !under(path, specPrefix)).map(([path]) => path);
  const prefix = outside.length > 0 ? '' : specPrefix;
  const document = structuredClone(outside.length > 0 ? rebased(published.document, specPrefix) : published.document);
  const paths: JsonObject = isObject(document.paths) ? document.paths : (document.paths = {});
  const known = new Set<string>();
  for (const [path, item] of Object.entries(paths)) {
    if (isObject(item)) for (const method of Object.keys(item)) known.add(structuralKey(method, path));
  }
  let added = 0;
  for (const [absolute, item] of found) {
    const relative = absolute.slice(prefix.length) || '/';
    for (const [method, operation] of Object.entries(item)) {
      const key = structuralKey(method, relative);
      if (known.has(key) || !isObject(operation)) continue;
      known.add(key);
      const slot = (paths[relative] ??= {}) as JsonObject;
      slot[method] = { ...operation, 'x-rampart-source': 'discovered' };
      added++;
    }
  }
  if (added > 0 && isObject(crawled.document.components) && isObject(crawled.document.components.securitySchemes)) {
    const components = (document.components ??= {}) as JsonObject;
    const schemes = (components.securitySchemes ??= {}) as JsonObject;
    for (const [name, scheme] of Object.entries(crawled.document.components.securitySchemes)) schemes[name] ??= scheme;
  }
  return { spec: added === 0 ? published : buildSpec(document, `${published.source} + discovered`), added, outside };
}

/** `--save-discovered`: the one operation list the audit used, for the user to review and reuse. */
export async function saveDocument(path: string, spec: ApiSpec): Promise<void> {
  const document = { ...spec.document, openapi: spec.document.openapi ?? '3.1.0' };
  try {
    await writeFile(path, `${JSON.stringify(document, null, 2)}\n`, { mode: 0o600 });
  } catch (error) {
    throw new AuditError('USAGE', `cannot write --save-discovered ${path}: ${errorCode(error) ?? (error instanceof Error ? error.message : String(error))}`);
  }
}
