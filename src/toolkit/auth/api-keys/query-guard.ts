// API keys never travel in URLs: a query string is written to access logs, proxy logs and
// browser history, and sent onward in Referer headers. A request with a key-named parameter
// or a key-shaped value is refused with a 400 that says why — even when it also carries a
// valid credential, and on every route — so the client learns to fix it instead of the key
// being silently ignored (or, worse, accepted).
import { HttpProblem } from '../../errors/problem.ts';
import { API_KEY_SEARCH_PATTERN } from './format.ts';

export const API_KEY_IN_QUERY = new HttpProblem(400, {
  slug: 'api-key-in-query',
  title: 'API key in the URL',
  detail:
    'API keys are not accepted in the query string: URLs leak through server and proxy logs, browser history and Referer headers. ' +
    'Send the key in the X-API-Key header (or Authorization: ApiKey <key>), and consider this key exposed: delete it and create a new one.',
});

/** Parameter names, lowercased with everything but letters and digits removed. */
const KEY_NAMES: ReadonlySet<string> = new Set(['apikey', 'xapikey']);

function decode(text: string): string {
  try {
    return decodeURIComponent(text.replaceAll('+', ' '));
  } catch {
    return text;
  }
}

/**
 * True when the URL's query has a parameter named like `api_key`, `apikey`, `api-key` or
 * `x-api-key` (any case or separator), or any name or value containing an API key.
 */
export function hasApiKeyInQuery(url: string): boolean {
  const start = url.indexOf('?');
  if (start === -1) return false;
  for (const pair of url.slice(start + 1).split('&')) {
    const eq = pair.indexOf('=');
    const name = decode(eq === -1 ? pair : pair.slice(0, eq));
    if (KEY_NAMES.has(name.toLowerCase().replace(/[^a-z0-9]/g, ''))) return true;
    if (API_KEY_SEARCH_PATTERN.test(name) || (eq !== -1 && API_KEY_SEARCH_PATTERN.test(decode(pair.slice(eq + 1))))) return true;
  }
  return false;
}

/**
 * The URL with every query name or value that contains an API key replaced by `[redacted]`,
 * for log lines about a refused request. (Parameters named like a key are redacted by the
 * logger already, whatever they hold.)
 */
export function redactKeysInQuery(url: string): string {
  const start = url.indexOf('?');
  if (start === -1) return url;
  const pairs = url.slice(start + 1).split('&').map((pair) => {
    const eq = pair.indexOf('=');
    const name = eq === -1 ? pair : pair.slice(0, eq);
    if (API_KEY_SEARCH_PATTERN.test(decode(name))) return '[redacted]';
    return eq !== -1 && API_KEY_SEARCH_PATTERN.test(decode(pair.slice(eq + 1))) ? `${name}=[redacted]` : pair;
  });
  return `${url.slice(0, start)}?${pairs.join('&')}`;
}
