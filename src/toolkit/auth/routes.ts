// The OAuth endpoints (RFC 6749 password and refresh_token grants, RFC 7009 revocation),
// logout and the JWKS. The password grant is for first-party clients only (our console and
// CLI): RFC 9700 forbids it for third parties, who must never see a user's password.
import type { FastifyError, FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { Type } from 'typebox';
import { errorHandler } from '../errors/handler.ts';
import type { RateLimitRule } from '../policy/types.ts';
import type { RampartServer } from '../server/create.ts';
import { installFormParser } from './form-body.ts';
import type { Identity } from './identity.ts';
import { OAuthError } from './oauth-error.ts';
import { HttpProblem } from '../errors/problem.ts';
import { clearedSessionCookie, CSRF_REJECTED, isSameOrigin, readSessionId, sessionCookie } from './sessions/index.ts';

const OAuthErrorBody = Type.Object({ error: Type.String(), error_description: Type.String() }, { additionalProperties: false });
const TokenBody = Type.Object(
  {
    access_token: Type.String(),
    token_type: Type.Literal('Bearer'),
    expires_in: Type.Integer(),
    refresh_token: Type.String(),
    scope: Type.String(),
  },
  { additionalProperties: false },
);
// RFC 6749 §3.2: unrecognised parameters are ignored, so these two schemas are explicitly
// open (the toolkit closes request schemas otherwise); the handlers read only what they list.
const short = (max: number) => Type.Optional(Type.String({ maxLength: max }));
// Passwords may hold any character (NIST SP 800-63B) and are never displayed, so the
// refusal of bidirectional controls in text does not apply to them.
const PASSWORD = { 'x-allow-bidi-controls': true } as const;
const TokenRequest = Type.Object({
  grant_type: Type.String({ maxLength: 64 }),
  username: short(256),
  password: Type.Optional(Type.String({ maxLength: 1024, ...PASSWORD })),
  scope: short(1024),
  refresh_token: short(256),
  client_id: short(128),
}, { additionalProperties: true });
const RevokeRequest = Type.Object({ token: Type.String({ maxLength: 8192 }), token_type_hint: short(64) }, { additionalProperties: true });
const LogoutRequest = Type.Object({ refresh_token: Type.Optional(Type.String({ maxLength: 256 })) }, { additionalProperties: false });
const Jwk = Type.Object({ kty: Type.String(), crv: Type.String(), x: Type.String(), kid: Type.String(), alg: Type.String(), use: Type.String() }, { additionalProperties: false });

export interface AuthRouteOptions {
  /** Per-client limit on the token endpoint (the login throttle limits failures separately). */
  tokenRateLimit: RateLimitRule;
  /**
   * Refuse passwords and refresh tokens on requests that did not arrive over HTTPS (directly or
   * from a trusted proxy that says so): production. Default false.
   */
  requireHttps?: boolean;
}

const HTTPS_REQUIRED = new HttpProblem(403, { slug: 'https-required', title: 'HTTPS required', detail: 'Credentials are accepted only over HTTPS.' });

/** Throws 403 when credentials arrive over plain HTTP where HTTPS is required (production). */
export function refuseInsecureCredentials(request: FastifyRequest, requireHttps: boolean): void {
  if (requireHttps && !request.client.secure) throw HTTPS_REQUIRED;
}

function oauthErrorHandler(error: FastifyError | OAuthError, request: FastifyRequest, reply: FastifyReply): void {
  const oauth = error instanceof OAuthError ? error : error.validation ? new OAuthError('invalid_request', 'The request is missing a parameter or has an invalid one.') : undefined;
  if (oauth === undefined) {
    void errorHandler(error, request, reply);
    return;
  }
  void reply.code(oauth.status).header('cache-control', 'no-store').header('pragma', 'no-cache').type('application/json').send(Buffer.from(JSON.stringify(oauth)));
}

export function authRoutes(app: RampartServer, identity: Identity, options: AuthRouteOptions): void {
  void app.register((scope: FastifyInstance, _opts, done) => {
    // RFC 6749 §4.3.2: form-encoded only; a JSON body here is a 415.
    scope.removeContentTypeParser('application/json');
    installFormParser(scope, 8 * 1024);
    const typed = scope as unknown as RampartServer;
    typed.post('/v1/auth/token', {
      policy: { public: true, rateLimit: options.tokenRateLimit },
      schema: { body: TokenRequest, response: { 200: TokenBody, 400: OAuthErrorBody, 401: OAuthErrorBody } },
      errorHandler: oauthErrorHandler,
      handler: async (request, reply) => {
        reply.header('cache-control', 'no-store').header('pragma', 'no-cache');
        refuseInsecureCredentials(request, options.requireHttps === true);
        const body = request.body;
        const clientId = body.client_id ?? identity.clients[0]!;
        if (!identity.clients.includes(clientId)) throw new OAuthError('invalid_client', 'Unknown client.');
        if (body.grant_type === 'password') {
          if (body.username === undefined || body.password === undefined) throw new OAuthError('invalid_request', 'The password grant needs username and password.');
          return identity.passwordGrant({ username: body.username, password: body.password, scope: body.scope, clientId, clientIp: request.client.ip });
        }
        if (body.grant_type === 'refresh_token') {
          if (body.refresh_token === undefined) throw new OAuthError('invalid_request', 'The refresh_token grant needs refresh_token.');
          return identity.refreshGrant({ refreshToken: body.refresh_token, scope: body.scope, clientIp: request.client.ip });
        }
        throw new OAuthError('unsupported_grant_type', 'Supported grant types: password, refresh_token.');
      },
    });

    typed.post('/v1/auth/revoke', {
      policy: { public: true, rateLimit: options.tokenRateLimit },
      schema: { body: RevokeRequest, response: { 200: Type.Object({}, { additionalProperties: false }), 400: OAuthErrorBody } },
      errorHandler: oauthErrorHandler,
      handler: async (request, reply) => {
        await identity.revoke(request.body.token, request.client.ip);
        reply.header('cache-control', 'no-store');
        return {};
      },
    });
    done();
  });

  app.post('/v1/auth/logout', {
    policy: { scopes: [] },
    schema: { body: Type.Optional(LogoutRequest), response: { 204: Type.Null() } },
    handler: async (request, reply) => {
      // The body is optional: a logout without a refresh token still ends the access token.
      const body = request.body as { refresh_token?: string } | undefined;
      await identity.logout(request.principal, body?.refresh_token, request.client.ip);
      return reply.code(204).send();
    },
  });

  const SessionLogin = Type.Object({ username: Type.String({ minLength: 1, maxLength: 256 }), password: Type.String({ minLength: 1, maxLength: 1024, ...PASSWORD }) }, { additionalProperties: false });
  const SessionCreated = Type.Object({ csrfToken: Type.String(), expiresAt: Type.String() }, { additionalProperties: false });
  const invalidCredentials = new HttpProblem(401, {
    slug: 'invalid-credentials',
    title: 'Invalid credentials',
    detail: 'The username or password is incorrect.',
    headers: { 'www-authenticate': 'Bearer' },
  });

  app.post('/v1/auth/session', {
    policy: { public: true, rateLimit: options.tokenRateLimit },
    schema: { body: SessionLogin, response: { 200: SessionCreated } },
    handler: async (request, reply) => {
      refuseInsecureCredentials(request, options.requireHttps === true);
      // Login CSRF: a cross-site form must not log the victim into the attacker's account.
      if (!isSameOrigin(request)) {
        await identity.events.record({ type: 'csrf_rejected', clientIp: request.client.ip, detail: { method: 'POST', route: 'session-login' } });
        throw CSRF_REJECTED;
      }
      let created;
      try {
        created = await identity.sessionLogin({ username: request.body.username, password: request.body.password, clientIp: request.client.ip, previousSessionId: readSessionId(request.headers.cookie) });
      } catch (error) {
        throw error instanceof OAuthError ? invalidCredentials : error;
      }
      reply.header('set-cookie', sessionCookie(created.id)).header('cache-control', 'no-store');
      return { csrfToken: created.session.csrf, expiresAt: new Date(created.session.expiresAt).toISOString() };
    },
  });

  app.delete('/v1/auth/session', {
    policy: { scopes: [] },
    schema: { response: { 204: Type.Null() } },
    handler: async (request, reply) => {
      const id = readSessionId(request.headers.cookie);
      if (request.principal.method !== 'session' || id === undefined) {
        throw new HttpProblem(400, { slug: 'no-session', title: 'No session', detail: 'This request is not authenticated by a session cookie.' });
      }
      await identity.sessionLogout(request.principal, id, request.client.ip);
      return reply.code(204).header('set-cookie', clearedSessionCookie()).send();
    },
  });

  app.get('/.well-known/jwks.json', {
    policy: { public: true },
    schema: { response: { 200: Type.Object({ keys: Type.Array(Jwk) }, { additionalProperties: false }) } },
    handler: (_request, reply) => {
      reply.header('cache-control', 'public, max-age=300');
      return identity.keyring.jwks() as { keys: never[] };
    },
  });
}
