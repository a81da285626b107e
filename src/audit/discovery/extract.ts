// What an answer says about other routes: robots.txt and sitemap entries, links and forms in
// HTML, path-like strings in JSON, Location and Link headers, route strings and fetch/axios
// calls in JavaScript, and the document URL(s) a Swagger UI or Redoc page is configured with.
// Pure functions over text: the crawler decides what to fetch.

/** A route hint: a path (same origin), and what a client would send there when that is known. */
export interface Hint {
  path: string;
  method: string;
  /** Where it was named: robots, sitemap, page, form, json, header, bundle, swagger-page. */
  via: string;
  /** Body fields: an HTML form's inputs, or the keys of an object literal a script sends. */
  fields?: string[];
  /** The fields travel as JSON (a script's call), not as a form. */
  json?: boolean;
  /** Query parameter names: from the URL's query, or a call's `{ params: { … } }`. */
  query?: string[];
}

const MAX_HINTS_PER_ANSWER = 500;
// A path worth trying: starts with one slash, then URL path characters only (template holes are
// turned into {id} first). No protocol-relative //host, no spaces or quotes.
const PATH_LIKE = /^\/(?!\/)[A-Za-z0-9\-._~%!$&'()*+,;=:@/{}]*$/;

/** The path of `raw` when it is on `origin` (relative, or absolute to the same origin). */
export function samePath(raw: string, base: URL): string | undefined {
  const trimmed = raw.trim();
  if (trimmed === '' || /^(?:javascript|data|mailto|tel):/i.test(trimmed) || trimmed.startsWith('#')) return undefined;
  let url: URL;
  try {
    url = new URL(trimmed, base);
  } catch {
    return undefined;
  }
  if (url.origin !== base.origin) return undefined;
  // URL encodes the braces of a template; they are kept as written.
  return url.pathname.replaceAll('%7B', '{').replaceAll('%7D', '}');
}

export function fromRobots(text: string): Hint[] {
  const hints: Hint[] = [];
  for (const line of text.split(/\r?\n/).slice(0, 2000)) {
    const match = /^\s*(allow|disallow|sitemap)\s*:\s*(\S+)/i.exec(line);
    if (match === null) continue;
    // A Disallow is a hint, not a wall: it names what the owner would rather not have found.
    const value = match[2]!.replace(/[*$].*$/, '');
    hints.push({ path: value, method: 'GET', via: match[1]!.toLowerCase() === 'sitemap' ? 'sitemap' : 'robots' });
  }
  return hints;
}

export function fromSitemap(text: string): Hint[] {
  return [...text.matchAll(/<loc>\s*([^<\s]+)\s*<\/loc>/gi)].slice(0, MAX_HINTS_PER_ANSWER).map((m) => ({ path: m[1]!, method: 'GET', via: 'sitemap' }));
}

export function fromHtml(text: string): Hint[] {
  const hints: Hint[] = [];
  for (const m of text.matchAll(/\b(?:href|src|action|data-url|data-href)\s*=\s*["']([^"'<>]+)["']/gi)) hints.push({ path: m[1]!, method: 'GET', via: 'page' });
  for (const form of text.matchAll(/<form\b([^>]*)>([\s\S]*?)<\/form>/gi)) {
    const attributes = form[1]!;
    const action = /\baction\s*=\s*["']([^"']*)["']/i.exec(attributes)?.[1] ?? '';
    const method = (/\bmethod\s*=\s*["']?(\w+)/i.exec(attributes)?.[1] ?? 'GET').toUpperCase();
    const fields = [...form[2]!.matchAll(/<(?:input|select|textarea)\b[^>]*\bname\s*=\s*["']([^"']+)["']/gi)].map((f) => f[1]!);
    hints.push({ path: action === '' ? '.' : action, method, via: 'form', fields });
  }
  return hints.slice(0, MAX_HINTS_PER_ANSWER);
}

/** Every string value in a JSON document that is a path or a URL (links, next pages, file URLs). */
export function fromJson(value: unknown, out: Hint[] = [], depth = 0): Hint[] {
  if (out.length >= MAX_HINTS_PER_ANSWER || depth > 12) return out;
  if (typeof value === 'string') {
    if ((value.startsWith('/') && PATH_LIKE.test(value.split(/[?#]/)[0]!)) || /^https?:\/\//i.test(value)) out.push({ path: value, method: 'GET', via: 'json' });
  } else if (Array.isArray(value)) {
    for (const item of value.slice(0, 200)) fromJson(item, out, depth + 1);
  } else if (typeof value === 'object' && value !== null) {
    for (const item of Object.values(value)) fromJson(item, out, depth + 1);
  }
  return out;
}

export function fromHeaders(headers: Record<string, string>): Hint[] {
  const hints: Hint[] = [];
  if (headers.location !== undefined) hints.push({ path: headers.location, method: 'GET', via: 'header' });
  for (const m of (headers.link ?? '').matchAll(/<([^>]+)>/g)) hints.push({ path: m[1]!, method: 'GET', via: 'header' });
  return hints;
}

/** `${id}` and `:id` become `{id}` so a template reads as one route, not many. */
function templated(path: string): string {
  return path.replace(/\$\{[^}]*\}/g, '{id}').replace(/\/:([A-Za-z_]\w*)/g, '/{$1}');
}

/**
 * Route strings in a script: quoted or template literals that look like paths under a few
 * letters, and the method of a `fetch(…, { method })`, `axios.post(…)` or `http.put(…)` call.
 */
export function fromScript(text: string): Hint[] {
  const hints: Hint[] = [];
  // A route table (`orders: '/api/orders'`), so that `axios.post(ROUTES.orders, …)` has a path.
  const table = new Map<string, string>();
  for (const m of text.matchAll(/\b([A-Za-z_$][\w$]*)\s*:\s*(["'`])(\/[A-Za-z0-9\-._~/{}$:]*)\2/g)) table.set(m[1]!, templated(m[3]!));
  // `.get(` / `.post(` on any client, with a literal path, a literal followed by `+ id`, or a table entry; then the body's keys.
  const call = /\.\s*(get|post|put|patch|delete)\s*(?:<[^>]*>)?\s*\(\s*(?:(["'`])([^"'`\n]{1,300})\2(\s*\+)?|(?:[A-Za-z_$][\w$]*\.)*([A-Za-z_$][\w$]*))\s*(?:,\s*\{([^{}]{0,400})\})?/g;
  for (const m of text.matchAll(call)) pushCall(hints, table, m[1]!, m[3], m[4], m[5], m[6]);
  const withParams = /\.\s*get\s*\(\s*(?:(["'`])([^"'`\n]{1,300})\1|(?:[A-Za-z_$][\w$]*\.)*([A-Za-z_$][\w$]*))\s*,\s*\{\s*params\s*:\s*\{([^{}]{0,400})\}/g;
  for (const m of text.matchAll(withParams)) {
    const path = m[2] === undefined ? table.get(m[3] ?? '') : templated(m[2]);
    if (path?.startsWith('/') === true) hints.push({ path, method: 'GET', via: 'bundle', query: keysOf(m[4]!) });
  }
  // A wrapper taking the method first: `send('POST', ROUTES.session, { login, password })`.
  const wrapped = /\b[A-Za-z_$][\w$]*\s*\(\s*["'](GET|POST|PUT|PATCH|DELETE)["']\s*,\s*(?:(["'`])([^"'`\n]{1,300})\2(\s*\+)?|(?:[A-Za-z_$][\w$]*\.)*([A-Za-z_$][\w$]*))\s*(?:,\s*\{([^{}]{0,400})\})?/g;
  for (const m of text.matchAll(wrapped)) pushCall(hints, table, m[1]!, m[3], m[4], m[5], m[6]);
  const fetched = /\bfetch\s*\(\s*(["'`])([^"'`\n]{1,300})\1(\s*\+)?[^,)]*(?:,\s*\{([^}]{0,400})\})?/g;
  for (const m of text.matchAll(fetched)) {
    const method = /\bmethod\s*:\s*["'`](\w+)["'`]/i.exec(m[4] ?? '')?.[1]?.toUpperCase() ?? 'GET';
    hints.push({ path: templated(m[2]!) + (m[3] === undefined ? '' : '{id}'), method, via: 'bundle' });
  }
  // Any other path-like literal under a usual API root; one followed by `+` is a prefix of an id.
  for (const m of text.matchAll(/(["'`])(\/(?:api|v\d|rest|admin|auth|internal|partners?|graphql|files|users|account)[A-Za-z0-9\-._~/{}$:]*)\1(\s*\+)?/g)) {
    if (m[3] !== undefined) {
      hints.push({ path: `${templated(m[2]!)}{id}`, method: 'GET', via: 'bundle' });
      continue;
    }
    hints.push({ path: templated(m[2]!), method: 'GET', via: 'bundle' });
    if (hints.length >= MAX_HINTS_PER_ANSWER) break;
  }
  return hints.slice(0, MAX_HINTS_PER_ANSWER);
}

/** The keys of an object literal's text: `login: a, password: b` → login, password. */
function keysOf(body: string): string[] {
  return [...body.matchAll(/(?:^|,)\s*["']?([A-Za-z_$][\w$]*)["']?\s*(?::|,|$)/g)].map((f) => f[1]!);
}

/** One call found in a script: its path (literal, literal + id, or route-table entry) and its body's keys. */
function pushCall(hints: Hint[], table: ReadonlyMap<string, string>, verb: string, literal: string | undefined, plus: string | undefined, name: string | undefined, body: string | undefined): void {
  const path = literal === undefined ? table.get(name ?? '') : templated(literal) + (plus === undefined ? '' : '{id}');
  if (path === undefined || !path.startsWith('/')) return;
  const method = verb.toUpperCase();
  const fields = method === 'GET' || method === 'DELETE' ? [] : keysOf(body ?? '');
  hints.push({ path, method, via: 'bundle', ...(fields.length > 0 ? { fields, json: true } : {}) });
}

/** The OpenAPI document URL(s) a Swagger UI (`url:`/`urls:`/`configUrl`) or Redoc (`spec-url`) page is set up with. */
export function swaggerDocuments(text: string): string[] {
  const urls = new Set<string>();
  if (!/swagger|redoc|openapi/i.test(text)) return [];
  for (const m of text.matchAll(/\b(?:url|configUrl|specUrl)\s*:\s*["'`]([^"'`\s]+)["'`]/g)) urls.add(m[1]!);
  for (const m of text.matchAll(/\bspec-url\s*=\s*["']([^"']+)["']/g)) urls.add(m[1]!);
  return [...urls].filter((u) => /json|ya?ml|openapi|swagger|api-docs/i.test(u)).slice(0, 10);
}
