// The session cookie: `__Host-` prefixed, so browsers only accept it Secure, host-only and
// with Path=/ — no subdomain can plant or read it. HttpOnly keeps scripts away from it and
// SameSite=Strict keeps cross-site requests from carrying it. Secure stays on in
// development: browsers treat http://localhost as a secure context.
import { parseCookie, stringifySetCookie } from 'cookie';

export const SESSION_COOKIE = '__Host-session';
const SESSION_ID = /^[A-Za-z0-9_-]{43}$/;

/** The session id from a Cookie header, when it has the right shape. */
export function readSessionId(cookieHeader: string | undefined): string | undefined {
  if (cookieHeader === undefined || !cookieHeader.includes(SESSION_COOKIE)) return undefined;
  const value = parseCookie(cookieHeader)[SESSION_COOKIE];
  return value !== undefined && SESSION_ID.test(value) ? value : undefined;
}

export function hasSessionCookie(cookieHeader: string | undefined): boolean {
  return cookieHeader?.includes(`${SESSION_COOKIE}=`) === true;
}

export function sessionCookie(id: string): string {
  return stringifySetCookie({ name: SESSION_COOKIE, value: id, secure: true, httpOnly: true, sameSite: 'strict', path: '/' });
}

export function clearedSessionCookie(): string {
  return stringifySetCookie({ name: SESSION_COOKIE, value: '', secure: true, httpOnly: true, sameSite: 'strict', path: '/', maxAge: 0 });
}
