// A small set of routes that exercise every layer, shared by the toolkit tests.
import { Type, type Authenticator, type RampartServer } from '../../src/toolkit/index.ts';
import { Echo, Ok } from './server.ts';

/** A real authenticator implementation for tests: scopes from a header. */
export const headerAuthenticator: Authenticator = {
  challenge: 'Bearer',
  authenticate(request) {
    const scopes = request.headers['x-test-scopes'];
    if (typeof scopes !== 'string') return Promise.resolve(undefined);
    return Promise.resolve({ id: 'user-1', username: 'user-1', roles: ['user'], scopes: scopes.split(' ').filter(Boolean), method: 'jwt' as const });
  },
};

export interface Recorded {
  stored: unknown[];
}

export function testRoutes(recorded: Recorded = { stored: [] }) {
  return (app: RampartServer): void => {
    app.get('/ok', { policy: { public: true }, schema: { response: { 200: Ok } } }, () => ({ ok: true }));
    app.post('/echo', { policy: { public: true }, schema: { body: Echo, response: { 200: Ok } } }, (request) => {
      recorded.stored.push(request.body);
      return { ok: true };
    });
    app.get('/private', { policy: { scopes: ['orders:read'] }, schema: { response: { 200: Ok } } }, () => ({ ok: true }));
    app.get('/limited', { policy: { public: true, rateLimit: { name: 'tight', limit: 1, windowSeconds: 60 } }, schema: { response: { 200: Ok } } }, () => ({ ok: true }));
    app.get('/boom', { policy: { public: true }, schema: { response: { 200: Ok } } }, () => {
      throw new Error('database exploded at /srv/app/db.ts: SELECT * FROM users WHERE password = $1');
    });
    app.get(
      '/whoami',
      { policy: { public: true }, schema: { response: { 200: Type.Object({ ip: Type.String(), secure: Type.Boolean() }, { additionalProperties: false }) } } },
      (request) => request.client,
    );
    app.get('/search', {
      policy: { public: true },
      schema: { querystring: Type.Object({ limit: Type.Integer({ minimum: 1, maximum: 100 }) }, { additionalProperties: false }), response: { 200: Type.Object({ limit: Type.Integer() }, { additionalProperties: false }) } },
    }, (request) => ({ limit: request.query.limit }));
    app.get('/block', { policy: { public: true }, schema: { response: { 200: Ok } } }, () => {
      const end = Date.now() + 400;
      while (Date.now() < end) {
        // Saturate the event loop on purpose, to trigger load shedding.
      }
      return { ok: true };
    });
  };
}
