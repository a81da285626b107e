// Deny by default: routes that do not declare a policy and strict response schemas stop boot.
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { createServer, RouteDeclarationError, Type } from '../../src/toolkit/index.ts';
import { request } from '../helpers/http.ts';
import { headerAuthenticator } from '../helpers/routes.ts';
import { Ok, startServer } from '../helpers/server.ts';

async function bootError(register: (app: Awaited<ReturnType<typeof createServer>>) => void): Promise<RouteDeclarationError> {
  const app = await createServer({ mode: 'development', logLevel: 'silent' });
  register(app);
  try {
    await app.ready();
  } catch (error) {
    assert.ok(error instanceof RouteDeclarationError, String(error));
    return error;
  } finally {
    await app.close();
  }
  assert.fail('boot should have been refused');
}

describe('boot refuses undeclared routes', () => {
  test('a route without a policy, naming it', async () => {
    const error = await bootError((app) => app.get('/orders', { schema: { response: { 200: Ok } } }, () => ({ ok: true })));
    assert.match(error.message, /GET \/orders: no policy/);
  });

  test('a route without a response schema', async () => {
    const error = await bootError((app) => app.post('/orders', { policy: { scopes: ['orders:write'] } }, () => ({ ok: true })));
    assert.match(error.message, /POST \/orders: no response schema/);
  });

  test('a response schema that allows additional properties', async () => {
    const error = await bootError((app) =>
      app.get('/users/me', { policy: { scopes: [] }, schema: { response: { 200: Type.Object({ id: Type.String() }) } } }, () => ({ id: 'x' })),
    );
    assert.match(error.message, /GET \/users\/me: response 200 schema at \/ \(object without additionalProperties: false\)/);
  });

  test('a nested loose object or an anything-goes field', async () => {
    const error = await bootError((app) =>
      app.get('/a', {
        policy: { public: true },
        schema: { response: { 200: Type.Object({ inner: Type.Object({ x: Type.String() }), blob: Type.Unknown() }, { additionalProperties: false }) } },
      }, () => ({ inner: { x: '' }, blob: null })),
    );
    assert.match(error.message, /\/properties\/inner/);
    assert.match(error.message, /\/properties\/blob \(accepts any value\)/);
  });

  test('every problem is listed at once', async () => {
    const error = await bootError((app) => {
      app.get('/one', () => ({}));
      app.get('/two', () => ({}));
    });
    assert.ok(error.problems.some((p) => p.startsWith('GET /one')));
    assert.ok(error.problems.some((p) => p.startsWith('GET /two')));
  });

  test('a fully declared route boots', async () => {
    const app = await createServer({ mode: 'development', logLevel: 'silent' });
    app.get('/fine', { policy: { public: true }, schema: { response: { 200: Ok } } }, () => ({ ok: true }));
    await app.ready();
    await app.close();
  });
});

describe('declared policies are enforced', () => {
  test('HEAD derived from a protected GET is protected and rate limited too', async () => {
    const server = await startServer({ authenticators: [headerAuthenticator] }, (app) => {
      app.get('/secret', { policy: { scopes: ['admin:users'], rateLimit: { name: 'secret', limit: 2, windowSeconds: 60 } }, schema: { response: { 200: Ok } } }, () => ({ ok: true }));
    });
    try {
      const head = await request(server.url, '/secret', { method: 'HEAD' });
      assert.equal(head.status, 401);
      assert.equal(head.headers['www-authenticate'], 'Bearer');
      assert.equal(head.headers['ratelimit-policy'], '"secret";q=2;w=60');
      assert.equal((await request(server.url, '/secret', { method: 'HEAD' })).status, 401);
      assert.equal((await request(server.url, '/secret', { method: 'HEAD' })).status, 429, 'HEAD counts once per request, not twice');
    } finally {
      await server.close();
    }
  });

  test('missing scope is 403 naming it, with the RFC 6750 challenge for bearer callers', async () => {
    const server = await startServer({ authenticators: [headerAuthenticator] }, (app) => {
      app.get('/orders', { policy: { scopes: ['orders:read'] }, schema: { response: { 200: Ok } } }, () => ({ ok: true }));
    });
    try {
      const response = await request(server.url, '/orders', { headers: { 'x-test-scopes': 'profile' } });
      assert.equal(response.status, 403);
      assert.equal(response.headers['www-authenticate'], 'Bearer error="insufficient_scope", scope="orders:read"');
      assert.deepEqual((response.json() as { requiredScopes: string[] }).requiredScopes, ['orders:read']);
      assert.equal((await request(server.url, '/orders', { headers: { 'x-test-scopes': 'orders:read' } })).status, 200);
    } finally {
      await server.close();
    }
  });
});
