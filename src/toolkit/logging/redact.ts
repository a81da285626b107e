// Redaction for everything that reaches a log line. Matching is by name (any key that looks
// like a credential), by header, and by URL query parameter, so a secret is never written
// whatever shape the logged object has. Over-redaction is the safe failure.

export const REDACTED = '[redacted]';

const SENSITIVE_KEY = /pass(word|phrase)?|pwd|token|secret|(^|[^a-z])key|[a-z]key$|apikey|api_key|authorization|cookie|credential|session|signature|csrf/i;
const SENSITIVE_HEADERS = new Set(['authorization', 'proxy-authorization', 'cookie', 'set-cookie', 'x-api-key', 'x-csrf-token']);

/** Credential-shaped values, whatever field they sit in: our API keys, JWTs, Bearer/Basic headers. */
const CREDENTIAL_VALUE = /rmp_[0-9A-Za-z]{12}_[0-9A-Za-z]{49}|eyJ[\w-]{4,}\.[\w-]{4,}\.[\w-]*|\b(?:Bearer|Basic|ApiKey) +[\w.~+/=-]{8,}/g;

export function scrubValue(value: string): string {
  return value.replace(CREDENTIAL_VALUE, REDACTED);
}

export function isSensitiveKey(key: string): boolean {
  return SENSITIVE_HEADERS.has(key.toLowerCase()) || SENSITIVE_KEY.test(key);
}

/** Replaces query values whose names look like credentials: `?api_key=abc` → `?api_key=[redacted]`. */
export function scrubUrl(url: string): string {
  const q = url.indexOf('?');
  if (q === -1) return url;
  const pairs = url.slice(q + 1).split('&').map((pair) => {
    const eq = pair.indexOf('=');
    const name = eq === -1 ? pair : pair.slice(0, eq);
    let decoded: string;
    try {
      decoded = decodeURIComponent(name.replaceAll('+', ' '));
    } catch {
      return `${name}=${REDACTED}`;
    }
    return eq !== -1 && isSensitiveKey(decoded) ? `${name}=${REDACTED}` : scrubValue(pair);
  });
  return `${url.slice(0, q)}?${pairs.join('&')}`;
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
