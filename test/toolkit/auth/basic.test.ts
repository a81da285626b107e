// HTTP Basic for service endpoints: one configured service credential, never user passwords,
// refused over plain HTTP in production.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { createBasicAuthenticator } from '../../../src/toolkit/index.ts';
import { bearer, login, startReferenceService, STRONG_PASSWORD } from '../../helpers/app.ts';
import { request } from '../../helpers/http.ts';
import { Ok, startServer, type TestServer } from '../../helpers/server.ts';
import { closeAll } from '../../helpers/close-all.ts';

const SERVICE_PASSWORD = 'hZ3kQ9mV2xL7pR4tW8yB1nC6fG0jD5sAe2Ru7Ko1Ti4=';
const basic = (user: string, password: string): { authorization: string } => ({ authorization: `Basic ${Buffer.from(`${user}:${password}`).toString('base64')}` });

function metricsRoutes(app: TestServer['app']): void {
  app.get('/service-status', { policy: { scopes: ['metrics:read'] }, schema: { response: { 200: Ok } } }, () => ({ ok: true }));
}

describe('HTTP Basic for service endpoints', () => {
  let server: TestServer;
  let production: TestServer;
  before(async () => {
    const credential = { username: 'metrics', password: SERVICE_PASSWORD, scopes: ['metrics:read'], realm: 'rampart-service' };
    server = await startServer({ authenticators: [createBasicAuthenticator({ ...credential, requireHttps: false })] }, metricsRoutes);
    production = await startServer(
      { mode: 'production', allowedHosts: ['127.0.0.1'], trustedProxies: ['127.0.0.1/32'], authenticators: [createBasicAuthenticator({ ...credential, requireHttps: true })] },
      metricsRoutes,
    );
  });
  after(() => closeAll(server, production));

  test('the service credential is accepted', async () => {
    const response = await request(server.url, '/service-status', { headers: basic('metrics', SERVICE_PASSWORD) });
    assert.equal(response.status, 200);
    assert.equal(response.headers['cache-control'], 'no-store');
  });

  for (const [label, user, password] of [
    ['wrong password', 'metrics', 'not-the-password'],
    ['wrong user', 'admin', SERVICE_PASSWORD],
    ['a user account’s password', 'alice', 'correct-horse-battery-staple-91!'],
    ['empty', '', ''],
  ] as const) {
    test(`${label} → 401 with the Basic challenge`, async () => {
      const response = await request(server.url, '/service-status', { headers: basic(user, password) });
      assert.equal(response.status, 401);
      assert.equal(response.headers['www-authenticate'], 'Basic realm="rampart-service", charset="UTF-8"');
      assert.equal(response.headers['content-type'], 'application/problem+json');
    });
  }

  test('no credential → 401 naming Basic', async () => {
    const response = await request(server.url, '/service-status');
    assert.equal(response.status, 401);
    assert.equal(response.headers['www-authenticate'], 'Basic realm="rampart-service", charset="UTF-8"');
  });

  test('production refuses Basic over plain HTTP, accepts it behind a TLS proxy', async () => {
    const plain = await request(production.url, '/service-status', { headers: basic('metrics', SERVICE_PASSWORD) });
    assert.equal(plain.status, 403);
    assert.equal((plain.json() as { type: string }).type, 'tag:rampart.dev,2026:problem:https-required');
    const proxied = await request(production.url, '/service-status', { headers: { ...basic('metrics', SERVICE_PASSWORD), 'x-forwarded-proto': 'https' } });
    assert.equal(proxied.status, 200);
  });
});

describe('service credentials are not user credentials', () => {
  test('in the reference service a real user’s password and token do not open a service route', async () => {
    // The service's own GET /metrics (metrics:read); a user account does not hold that scope.
    const service = await startReferenceService({ RAMPART_SERVICE_PASSWORD: SERVICE_PASSWORD });
    try {
      await service.identity.createUser({ username: 'alice', password: STRONG_PASSWORD, role: 'user' }, { id: null, clientIp: null });
      assert.equal((await request(service.url, '/metrics', { headers: basic('alice', STRONG_PASSWORD) })).status, 401);
      const tokens = await login(service.url, 'alice');
      assert.equal((await request(service.url, '/metrics', { headers: bearer(tokens.access_token) })).status, 403);
      assert.equal((await request(service.url, '/metrics', { headers: basic('metrics', SERVICE_PASSWORD) })).status, 200);
    } finally {
      await service.close();
    }
  });
});
