// Redaction for everything that reaches a log line. Matching is by name (any key that looks
// like a credential), by header, by URL query parameter and by value (credential-shaped text
// anywhere in a logged URL, path segments included), so a secret is never written whatever
// shape the logged object has. Over-redaction is the safe failure.

export const REDACTED = '[redacted]';

const SENSITIVE_KEY = /pass(word|phrase)?|pwd|token|secret|(^|[^a-z])key|[a-z]key$|apikey|api_key|authorization|cookie|credential|session|signature|csrf/i;
const SENSITIVE_HEADERS = new Set(['authorization', 'proxy-authorization', 'cookie', 'set-cookie', 'x-api-key', 'x-csrf-token']);

/** Credential-shaped values, whatever field they sit in: our API keys, JWTs, Bearer/Basic headers. */
const CREDENTIAL_VALUE = /rmp_[0-9A-Za-z]{12}_[0-9A-Za-z]{49}|eyJ[\w-]{4,}\.[\w-]{4,}\.[\w-]*|\b(?:Bearer|Basic|ApiKey) +[\w.~+/=-]{8,}/g;

const CREDENTIAL_SHAPE = new RegExp(CREDENTIAL_VALUE.source);

export function scrubValue(value: string): string {
  return value.replace(CREDENTIAL_VALUE, REDACTED);
}

export function isSensitiveKey(key: string): boolean {
  return SENSITIVE_HEADERS.has(key.toLowerCase()) || SENSITIVE_KEY.test(key);
}

/**
 * The URL as it may be logged: every path segment, query name or query value that holds a
 * credential-shaped value (see `looksLikeCredential`) becomes `[redacted]`, and so does every
 * query value whose name looks like a credential (`?api_key=abc` → `?api_key=[redacted]`).
 * Segments are judged percent-decoded, so an encoded token is caught too.
 */
export function scrubUrl(url: string): string {
  const q = url.indexOf('?');
  const path = scrubPath(q === -1 ? url : url.slice(0, q));
  if (q === -1) return path;
  const pairs = url.slice(q + 1).split('&').map((pair) => {
    const eq = pair.indexOf('=');
    const name = eq === -1 ? pair : pair.slice(0, eq);
    const decoded = decode(name);
    if (decoded === undefined || looksLikeCredential(decoded)) return REDACTED;
    if (eq === -1) return pair;
    return isSensitiveKey(decoded) || looksLikeCredential(decode(pair.slice(eq + 1))) ? `${name}=${REDACTED}` : pair;
  });
  return `${path}?${pairs.join('&')}`;
}

/** Every request's URL is logged: a path without a hint of a credential is returned as it is. */
function scrubPath(path: string): string {
  if (!hasRandomRun(path) && !/%|\s|eyJ/.test(path)) return path;
  return path.split('/').map((segment) => (looksLikeCredential(decode(segment)) ? REDACTED : segment)).join('/');
}

function decode(text: string): string | undefined {
  if (!text.includes('%') && !text.includes('+')) return text;
  try {
    return decodeURIComponent(text.replaceAll('+', ' '));
  } catch {
    return undefined;
  }
}

const MIN_TOKEN_RUN = 20;
const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

/**
 * True for what must never be logged: our API keys, JWTs and Bearer/Basic values (the patterns
 * `scrubValue` removes), and long random tokens (see `hasRandomRun`). Undecodable text
 * (`undefined`) counts as a credential: over-redaction is the safe failure.
 */
export function looksLikeCredential(text: string | undefined): boolean {
  return text === undefined || hasRandomRun(text) || CREDENTIAL_SHAPE.test(text);
}

/**
 * A long random token: a run of 20 or more base64url characters (`A-Z a-z 0-9 _ -`, which
 * covers hex too) that mixes at least two of upper case, lower case and digits. Random text of
 * that length is mixed with near certainty; plain words (`ethiopia-yirgacheffe`) are not.
 * Canonical UUIDs are resource ids and stay readable; readable ids that do mix
 * (`grade1-washed-ethiopia`, camelCase names) are redacted too, because over-redaction is the
 * safe failure. One pass without regular expressions: it runs on every logged URL.
 */
function hasRandomRun(text: string): boolean {
  let start = 0;
  let kinds = 0;
  for (let i = 0; i <= text.length; i++) {
    const c = i < text.length ? text.charCodeAt(i) : 0;
    const kind = c >= 65 && c <= 90 ? 1 : c >= 97 && c <= 122 ? 2 : c >= 48 && c <= 57 ? 4 : c === 45 || c === 95 ? 8 : 0;
    if (kind !== 0) {
      kinds |= kind;
      continue;
    }
    const length = i - start;
    const mixed = (kinds & 1) + ((kinds >> 1) & 1) + ((kinds >> 2) & 1) >= 2;
    if (length >= MIN_TOKEN_RUN && mixed && !(length === 36 && UUID.test(text.slice(start, i)))) return true;
    start = i + 1;
    kinds = 0;
  }
  return false;
}

/** Deep copy with sensitive keys replaced; bounded in depth and breadth, cycle-safe. */
export function redact(value: unknown, depth = 0, seen = new WeakSet<object>()): unknown {
  if (typeof value === 'string') return scrubValue(value);
  if (typeof value !== 'object' || value === null) return value;
  if (depth > 8) return '[too deep]';
  if (seen.has(value)) return '[cycle]';
  seen.add(value);
  if (value instanceof Error) return redactError(value, depth, seen);
  if (Array.isArray(value)) return value.slice(0, 100).map((item) => redact(item, depth + 1, seen));
  const out: Record<string, unknown> = {};
  for (const [key, inner] of Object.entries(value)) {
    out[key] = isSensitiveKey(key) ? REDACTED : key === 'url' && typeof inner === 'string' ? scrubUrl(inner) : redact(inner, depth + 1, seen);
  }
  return out;
}

function redactError(error: Error, depth: number, seen: WeakSet<object>): Record<string, unknown> {
  const out: Record<string, unknown> = { type: error.name, message: scrubValue(error.message), stack: error.stack === undefined ? undefined : scrubValue(error.stack) };
  const code = (error as { code?: unknown }).code;
  if (code !== undefined) out.code = code;
  if (error.cause !== undefined) out.cause = redact(error.cause, depth + 1, seen);
  return out;
}
