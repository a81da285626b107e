// Listening: HTTPS with an HTTP listener that only redirects, graceful close, and counters
// shared across instances through Redis.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { createRedisStore, createServer, listen, Type, type Listening, type RampartServer } from '../../src/toolkit/index.ts';
import { LogCapture, rawRequest, request } from '../helpers/http.ts';
import { testRoutes } from '../helpers/routes.ts';
import { Ok } from '../helpers/server.ts';
import { makeCertificate, type TestCertificate } from '../helpers/tls.ts';
import { createRedisPrefix } from './stores/services.ts';
import { closeAll } from '../helpers/close-all.ts';

describe('TLS with an HTTP redirect listener', () => {
  let certificate: TestCertificate;
  let listening: Listening;
  before(async () => {
    certificate = makeCertificate();
    const app = await createServer({ mode: 'production', allowedHosts: ['localhost'], tls: { cert: certificate.cert, key: certificate.key }, logDestination: new LogCapture() });
    testRoutes()(app);
    listening = await listen(app, { host: '127.0.0.1', port: 0, httpRedirectPort: 0, allowedHosts: ['localhost'], development: false });
  });
  after(() => closeAll(listening, () => certificate.remove()));

  test('HTTPS serves with HSTS', async () => {
    const response = await request(`https://127.0.0.1:${listening.port}`, '/ok', { host: 'localhost', tls: { ca: certificate.cert } });
    assert.equal(response.status, 200);
    assert.equal(response.headers['strict-transport-security'], 'max-age=63072000; includeSubDomains');
  });

  test('plain HTTP answers only a 308 to the same path over HTTPS', async () => {
    const response = await request(`http://127.0.0.1:${listening.redirectPort!}`, '/ok?x=1', { method: 'POST', host: 'localhost' });
    assert.equal(response.status, 308);
    assert.equal(response.headers.location, `https://localhost:${listening.port}/ok?x=1`);
    assert.equal(response.headers['x-frame-options'], 'DENY');
    assert.equal(response.headers['strict-transport-security'], undefined, 'HSTS over plain HTTP is meaningless');
  });

  test('the redirect never points at a host that is not allowed (no open redirect)', async () => {
    const response = await request(`http://127.0.0.1:${listening.redirectPort!}`, '/ok', { host: 'evil.example' });
    assert.equal(response.status, 400);
    assert.equal(response.headers.location, undefined);
    assert.equal(response.headers['content-type'], 'application/problem+json');
  });

  test('the redirect listener checks an absolute-form target and a malformed Host like the API does', async () => {
    const send = (target: string, host: string) => rawRequest(listening.redirectPort!, `GET ${target} HTTP/1.1\r\nHost: ${host}\r\nConnection: close\r\n\r\n`);
    const named = await send('http://localhost/ok?x=1', 'evil.example');
    assert.equal(named.status, 308);
    assert.deepEqual(named.headers.location, [`https://localhost:${listening.port}/ok?x=1`]);
    for (const [target, host] of [['http://evil.example/ok', 'localhost'], ['/ok', 'localhost:evil'], ['/ok', 'evil@localhost']] as const) {
      const refused = await send(target, host);
      assert.equal(refused.status, 400, `${target} ${host}`);
      assert.equal(refused.headers.location, undefined);
      assert.deepEqual(refused.headers['content-type'], ['application/problem+json']);
    }
  });
});

describe('graceful close', () => {
  test('in-flight requests finish; new connections are refused; stores are closed', async () => {
    const app: RampartServer = await createServer({ mode: 'development', logDestination: new LogCapture() });
    let closedStores = false;
    app.addHook('onClose', () => {
      closedStores = true;
    });
    app.get('/slow', { policy: { public: true }, schema: { response: { 200: Ok } } }, async () => {
      await new Promise((resolve) => setTimeout(resolve, 300));
      return { ok: true };
    });
    const listening = await listen(app, { host: '127.0.0.1', port: 0, allowedHosts: [], development: true });
    const url = `http://127.0.0.1:${listening.port}`;
    const inFlight = request(url, '/slow');
    await new Promise((resolve) => setTimeout(resolve, 50));
    const closing = listening.close();
    const response = await inFlight;
    assert.equal(response.status, 200);
    await closing;
    assert.equal(closedStores, true);
    await assert.rejects(request(url, '/slow'), /ECONNREFUSED/);
  });
});

describe('rate limits shared through Redis', () => {
  test('two instances count one client together', async () => {
    const redis = await createRedisPrefix();
    const store = createRedisStore({ url: 'redis://127.0.0.1:6379', prefix: redis.prefix });
    const servers: Listening[] = [];
    try {
      for (let i = 0; i < 2; i++) {
        const app = await createServer({ mode: 'development', keyValueStore: store, rateLimit: { limit: 2 }, logDestination: new LogCapture() });
        app.get('/ok', { policy: { public: true }, schema: { response: { 200: Type.Object({ ok: Type.Boolean() }, { additionalProperties: false }) } } }, () => ({ ok: true }));
        servers.push(await listen(app, { host: '127.0.0.1', port: 0, allowedHosts: [], development: true }));
      }
      const [a, b] = servers.map((s) => `http://127.0.0.1:${s.port}`) as [string, string];
      assert.equal((await request(a, '/ok')).status, 200);
      assert.equal((await request(b, '/ok')).status, 200);
      const third = await request(a, '/ok');
      assert.equal(third.status, 429);
      assert.equal((await request(b, '/ok')).status, 429);
      assert.match(String(third.headers.ratelimit), /^"default";r=0;t=\d+$/);
    } finally {
      for (const server of servers) await server.close();
      await store.close();
      await redis.cleanup();
    }
  });
});
