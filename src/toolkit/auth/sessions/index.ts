export { createSessions } from './store.ts';
export type { Session, Sessions, SessionOptions } from './store.ts';
export { SESSION_COOKIE, readSessionId, hasSessionCookie, sessionCookie, clearedSessionCookie } from './cookie.ts';
export { CSRF_REJECTED, isSameOrigin, isUnsafe, ownOrigin } from './csrf.ts';
