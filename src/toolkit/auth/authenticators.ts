// Bearer tokens and session cookies, each ending in the one principal. Scopes are
// re-derived from the user's current role on every request, so a downgrade or a disable
// takes effect at once; a token or session issued under an older token version (before a
// password change or a disable) is refused.
import type { FastifyRequest } from 'fastify';
import { HttpProblem } from '../errors/problem.ts';
import type { SecurityEvents } from '../events/index.ts';
import type { Authenticator } from '../policy/principal.ts';
import { INVALID_TOKEN, type AccessTokens } from './jwt/access-tokens.ts';
import { clearedSessionCookie, CSRF_REJECTED, hasSessionCookie, isSameOrigin, isUnsafe, readSessionId, type Sessions } from './sessions/index.ts';
import { narrowScopes, type UserState } from './user-state.ts';

const BEARER = /^Bearer +([A-Za-z0-9\-._~+/]+=*)$/;

export function createBearerAuthenticator(tokens: AccessTokens, userState: UserState, scopesOf: (role: string) => readonly string[]): Authenticator {
  return {
    challenge: 'Bearer',
    async authenticate(request: FastifyRequest) {
      const header = request.headers.authorization;
      if (header === undefined) return undefined;
      const match = BEARER.exec(header);
      if (match === null) {
        if (/^bearer(\s|$)/i.test(header)) throw INVALID_TOKEN;
        return undefined;
      }
      const claims = await tokens.verify(match[1]!);
      const user = await userState.active(claims.sub);
      if (user === undefined || user.tokenVersion !== claims.ver) throw INVALID_TOKEN;
      return { id: claims.sub, username: user.username, roles: [user.role], scopes: narrowScopes(claims.scope, scopesOf(user.role)), method: 'jwt', credential: { id: claims.jti, expiresAt: claims.exp, sessionId: claims.sid } };
    },
  };
}

const SESSION_INVALID = new HttpProblem(401, {
  slug: 'session-invalid',
  title: 'Session ended',
  detail: 'The session is unknown, timed out or ended. Log in again.',
  headers: { 'set-cookie': clearedSessionCookie(), 'www-authenticate': 'Bearer' },
});

/** Cookie sessions; unsafe methods also need same-origin proof and the session's CSRF token. */
export function createSessionAuthenticator(sessions: Sessions, userState: UserState, scopesOf: (role: string) => readonly string[], events: SecurityEvents): Authenticator {
  return {
    challenge: '',
    async authenticate(request: FastifyRequest) {
      const id = readSessionId(request.headers.cookie);
      if (id === undefined) {
        if (hasSessionCookie(request.headers.cookie)) throw SESSION_INVALID;
        return undefined;
      }
      const session = await sessions.get(id);
      const user = session === undefined ? undefined : await userState.active(session.userId);
      if (session === undefined || user === undefined || user.tokenVersion !== session.tokenVersion) throw SESSION_INVALID;
      if (isUnsafe(request.method)) {
        const token = request.headers['x-csrf-token'];
        if (!isSameOrigin(request) || !sessions.csrfMatches(session, typeof token === 'string' ? token : undefined)) {
          await events.record({ type: 'csrf_rejected', principalId: session.userId, clientIp: request.client.ip, detail: { method: request.method } });
          throw CSRF_REJECTED;
        }
      }
      return { id: session.userId, username: user.username, roles: [user.role], scopes: narrowScopes(session.scope, scopesOf(user.role)), method: 'session', credential: { id: session.handle, expiresAt: Math.floor(session.expiresAt / 1000) } };
    },
  };
}
