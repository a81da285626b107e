// Helpers for passive checks, which judge answers to requests other checks sent: where an answer
// belongs (the spec route its URL matches), and what its request carried (so that a value the
// target merely echoed is never taken for something the target leaked).
import type { CheckContext } from '../check.ts';
import type { Location } from '../finding.ts';
import type { SentRequest, UsableResult } from '../http/client.ts';
import { matchTemplate } from '../spec/load.ts';
import { isObject } from '../spec/refs.ts';
import type { Json } from '../spec/refs.ts';
import { stripEchoes } from './compare.ts';
import { parseJson } from './links.ts';

/** Bodies longer than this are not parsed for their values (an 8 MiB body-limit probe). */
const PARSED_BODY = 256 * 1024;

/** The spec route a request reached (the template with fewest parameters wins), else its path relative to the target. */
export function locate(ctx: Pick<CheckContext, 'spec' | 'target'>, method: string, url: string | URL): Location {
  const route = ctx.target.routeOf(new URL(url));
  const upper = method.toUpperCase();
  const candidates = (ctx.spec?.operations ?? []).filter((o) => matchTemplate(o.path, route));
  const params = (path: string): number => (path.match(/\{/g) ?? []).length;
  const best = candidates.filter((o) => o.method === upper).sort((a, b) => params(a.path) - params(b.path))[0];
  return { method: upper, route: best?.path ?? route };
}

function decode(value: string): string {
  try {
    return decodeURIComponent(value);
  } catch {
    return value;
  }
}

function leaves(value: Json, out: string[], depth = 0): void {
  if (depth > 8) return;
  if (typeof value === 'string' || typeof value === 'number') out.push(String(value));
  else if (Array.isArray(value)) for (const item of value) leaves(item, out, depth + 1);
  else if (isObject(value)) {
    for (const [key, item] of Object.entries(value)) {
      out.push(key);
      leaves(item, out, depth + 1);
    }
  }
}

/** Every value the request carried (path segments, query values, body values and the raw body), longest first. */
export function echoesOf(request: SentRequest): string[] {
  const url = new URL(request.url);
  const out: string[] = [];
  for (const segment of url.pathname.split('/')) if (segment !== '') out.push(decode(segment));
  for (const [name, value] of url.searchParams) out.push(name, value);
  const body = request.body === undefined ? undefined : typeof request.body === 'string' ? request.body : request.body.toString('utf8');
  if (body !== undefined && body !== '') {
    out.push(body);
    const json = body.length > PARSED_BODY ? undefined : parseJson(body);
    if (json !== undefined) leaves(json, out);
    else if (body.length <= PARSED_BODY && !body.trimStart().startsWith('{')) for (const [name, value] of new URLSearchParams(body)) out.push(name, value);
  }
  // Plain short words (`lists`, `debug`, an id) are the spec's own names or everywhere in ordinary
  // text: removing them would cut real words, signatures included. Payloads have punctuation or length.
  return [...new Set(out.filter((v) => v.length >= 16 || (v.length >= 2 && /[^\p{L}\p{N}_-]/u.test(v))))].sort((a, b) => b.length - a.length);
}

/** The answer's text without anything its request carried (a value longer than the text cannot be in it). */
export function answerText(result: UsableResult): string {
  const text = result.response.text;
  return stripEchoes(text, echoesOf(result.request).filter((v) => v.length <= text.length));
}
