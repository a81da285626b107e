// Reads a HAR 1.2 file (browser developer tools: "Save all as HAR") into observed requests.
// Credentials in it (Authorization, cookies, tokens in bodies) are read only to name the security
// they stand for; their values never reach the document, and become identities only with
// --identities-from-har (identities.ts).
import { AuditError } from '../errors.ts';
import { isObject } from '../spec/refs.ts';
import type { Json } from '../spec/refs.ts';
import type { Observed } from './openapi.ts';

/** More entries than this are not read (the rest is noted). */
export const MAX_ENTRIES = 20_000;

export interface Parsed {
  observed: Observed[];
  /** Entries not read: over the cap, or not requests the auditor can use (data:, ws:, malformed). */
  skipped: number;
  capped: boolean;
}

function invalid(source: string, problem: string): never {
  throw new AuditError('SPEC_INVALID', `the HAR file ${source} ${problem}`);
}

export function parseJsonFile(text: string, source: string, what: string): Json {
  try {
    return JSON.parse(text.replace(/^\uFEFF/, '')) as Json;
  } catch (error) {
    const detail = error instanceof Error ? error.message.split('\n')[0]! : 'syntax error';
    throw new AuditError('SPEC_INVALID', `the ${what} ${source} is not valid JSON: ${detail}`);
  }
}

function pairs(value: Json | undefined): { name: string; value: string }[] {
  if (!Array.isArray(value)) return [];
  return value.flatMap((pair) => (isObject(pair) && typeof pair.name === 'string' ? [{ name: pair.name, value: typeof pair.value === 'string' ? pair.value : '' }] : []));
}

export function parseHar(text: string, source: string, maxEntries = MAX_ENTRIES): Parsed {
  const parsed = parseJsonFile(text, source, 'HAR file');
  if (!isObject(parsed) || !isObject(parsed.log)) invalid(source, 'has no `log` object: export it from the browser with "Save all as HAR"');
  const entries = parsed.log.entries;
  if (!Array.isArray(entries)) invalid(source, 'has no `log.entries` list');
  const observed: Observed[] = [];
  let skipped = 0;
  for (const entry of entries.slice(0, maxEntries)) {
    const request = isObject(entry) ? entry.request : undefined;
    if (!isObject(request) || typeof request.method !== 'string' || typeof request.url !== 'string') {
      skipped++;
      continue;
    }
    let url: URL;
    try {
      url = new URL(request.url);
    } catch {
      skipped++;
      continue;
    }
    if (url.protocol !== 'http:' && url.protocol !== 'https:') {
      skipped++;
      continue;
    }
    const headers = pairs(request.headers);
    // Cookies may be listed apart from the Cookie header: they name session cookies too.
    const cookies = pairs(request.cookies);
    if (cookies.length > 0 && !headers.some((h) => h.name.toLowerCase() === 'cookie')) {
      headers.push({ name: 'Cookie', value: cookies.map((c) => `${c.name}=`).join('; ') });
    }
    const post = isObject(request.postData) ? request.postData : undefined;
    let bodyText = post !== undefined && typeof post.text === 'string' ? post.text : undefined;
    if (bodyText === undefined && post !== undefined && Array.isArray(post.params)) {
      bodyText = new URLSearchParams(pairs(post.params).map((p): [string, string] => [p.name, p.value])).toString();
    }
    const response = isObject(entry) && isObject(entry.response) ? entry.response : undefined;
    const content = response !== undefined && isObject(response.content) ? response.content : undefined;
    const contentType = content !== undefined && typeof content.mimeType === 'string' ? content.mimeType : pairs(response?.headers).find((h) => h.name.toLowerCase() === 'content-type')?.value;
    observed.push({
      method: request.method,
      url,
      headers,
      ...(bodyText === undefined ? {} : { body: { ...(typeof post?.mimeType === 'string' ? { mimeType: post.mimeType } : {}), text: bodyText } }),
      // Status 0: the browser got no answer (blocked, aborted).
      ...(response !== undefined && typeof response.status === 'number' && response.status > 0
        ? { response: { status: response.status, ...(contentType === undefined ? {} : { contentType }) } }
        : {}),
    });
  }
  const capped = entries.length > maxEntries;
  return { observed, skipped: skipped + Math.max(0, entries.length - maxEntries), capped };
}
