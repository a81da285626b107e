// Event detail is written by code but often carries request data, so it is bounded and
// scrubbed before it reaches a row or a log line: a secret that is never stored cannot leak.

export type DetailValue = string | number | boolean | null;
export type EventDetail = Record<string, DetailValue>;

export const MAX_DETAIL_KEYS = 20;
export const MAX_DETAIL_STRING = 200;
const MAX_KEY_LENGTH = 64;

// Matched against the key lowercased with separators removed, so `api_key`, `X-Api-Key`,
// `Set-Cookie` and `refreshToken` all match.
const SECRET_KEY = /passw|passphrase|pwd|token|secret|key|authorization|cookie|credential/;

// Fields the log line sets itself, plus pino's own: a detail key must not shadow them.
const RESERVED_KEYS = new Set(['event', 'principalId', 'clientIp', 'level', 'time', 'msg', 'pid', 'hostname', 'err']);

// A value that is a credential whatever its key is called.
const SECRET_VALUE = /^(?:bearer|basic)\s|^eyJ[\w-]*\.[\w-]*\./i;

export function isSecretKey(key: string): boolean {
  return SECRET_KEY.test(key.toLowerCase().replace(/[^a-z0-9]/g, ''));
}

/** Truncates to at most `max` UTF-16 units without splitting a surrogate pair. */
export function truncate(text: string, max: number): string {
  if (text.length <= max) return text;
  const cut = text.slice(0, max);
  const last = cut.charCodeAt(cut.length - 1);
  return last >= 0xd800 && last <= 0xdbff ? cut.slice(0, -1) : cut;
}

/**
 * Keeps at most 20 plain values: secret-looking keys, reserved keys and non-scalar values are
 * dropped, strings are cut to 200 characters, non-finite numbers become null.
 */
export function sanitizeDetail(detail: unknown): EventDetail {
  if (detail === null || typeof detail !== 'object') return {};
  const kept: [string, DetailValue][] = [];
  for (const [key, value] of Object.entries(detail) as [string, unknown][]) {
    if (kept.length === MAX_DETAIL_KEYS) break;
    if (key.length === 0 || key.length > MAX_KEY_LENGTH || RESERVED_KEYS.has(key) || isSecretKey(key)) continue;
    if (typeof value === 'string') {
      kept.push([key, SECRET_VALUE.test(value) ? '[redacted]' : truncate(value, MAX_DETAIL_STRING)]);
    } else if (typeof value === 'number') {
      kept.push([key, Number.isFinite(value) ? value : null]);
    } else if (typeof value === 'boolean' || value === null) {
      kept.push([key, value]);
    }
  }
  // fromEntries defines own properties, so a `__proto__` key cannot reach the prototype.
  return Object.fromEntries(kept);
}
