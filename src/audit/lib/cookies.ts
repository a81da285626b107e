// Set-Cookie headers as a browser reads them (RFC 6265 section 5.2): name, value and attributes,
// and whether a cookie carries a session (what an attacker wants to steal or ride).
import { decodeJwt } from '../jwt/token.ts';

export interface SetCookie {
  name: string;
  value: string;
  /** Attribute names in lower case → value ('' for flags such as Secure). */
  attributes: Map<string, string>;
  /** The header line as received. */
  raw: string;
}

export function parseSetCookies(header: string | undefined): SetCookie[] {
  if (header === undefined) return [];
  const out: SetCookie[] = [];
  for (const raw of header.split('\n')) {
    const [pair = '', ...rest] = raw.split(';');
    const eq = pair.indexOf('=');
    if (eq <= 0) continue;
    const attributes = new Map<string, string>();
    for (const part of rest) {
      const at = part.indexOf('=');
      const name = (at === -1 ? part : part.slice(0, at)).trim().toLowerCase();
      if (name !== '') attributes.set(name, at === -1 ? '' : part.slice(at + 1).trim());
    }
    out.push({ name: pair.slice(0, eq).trim(), value: pair.slice(eq + 1).trim(), attributes, raw: raw.trim() });
  }
  return out;
}

/** A Set-Cookie that removes the cookie (empty value, Max-Age ≤ 0 or an expiry in the past). */
export function isDeletion(cookie: SetCookie, now = Date.now()): boolean {
  const value = cookie.value.replace(/^"|"$/g, '');
  if (value === '') return true;
  const maxAge = cookie.attributes.get('max-age');
  if (maxAge !== undefined && /^-?\d+$/.test(maxAge) && Number(maxAge) <= 0) return true;
  const expires = cookie.attributes.get('expires');
  return expires !== undefined && Date.parse(expires) < now;
}

const SESSION_NAME = /sess|(?:^|[_.-])sid$|^sid|auth|token|jwt|login|remember|identity|jsessionid|phpsessid/i;
/** Anti-CSRF cookies are read by the page's script on purpose (double-submit): not sessions. */
const CSRF_NAME = /csrf|xsrf/i;

/** Does this cookie carry a session: its name says so, it is a JWT, or the answer's body hands out the same value as a token? */
export function isSessionCookie(cookie: SetCookie, body: string): boolean {
  if (CSRF_NAME.test(cookie.name) || isDeletion(cookie)) return false;
  const value = cookie.value.replace(/^"|"$/g, '');
  if (SESSION_NAME.test(cookie.name) || decodeJwt(value) !== undefined) return true;
  return value.length >= 16 && body.includes(value);
}

/** The cookie's Domain attribute when it is a strict parent of `host`, so sibling hosts receive it too. */
export function broaderDomain(cookie: SetCookie, host: string): string | undefined {
  const domain = cookie.attributes.get('domain')?.replace(/^\./, '').toLowerCase();
  if (domain === undefined || domain === '') return undefined;
  const h = host.toLowerCase();
  return h !== domain && h.endsWith(`.${domain}`) ? domain : undefined;
}

/** The header line with the cookie's value replaced, for evidence. */
export function maskedLine(cookie: SetCookie): string {
  return cookie.raw.replace(`${cookie.name}=${cookie.value}`, `${cookie.name}=<redacted>`);
}
