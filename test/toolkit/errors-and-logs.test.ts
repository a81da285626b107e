// Errors reveal nothing internal; logs keep what operators need and none of the secrets.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { Type } from '../../src/toolkit/index.ts';
import { request } from '../helpers/http.ts';
import { headerAuthenticator, testRoutes } from '../helpers/routes.ts';
import { Ok, startServer, type TestServer } from '../helpers/server.ts';
import { closeAll } from '../helpers/close-all.ts';

describe('errors', () => {
  let server: TestServer;
  before(async () => {
    server = await startServer({}, testRoutes());
  });
  after(() => closeAll(server));

  test('a handler that throws gets a generic 500 with no internals', async () => {
    const response = await request(server.url, '/boom');
    assert.equal(response.status, 500);
    assert.deepEqual(response.json(), {
      type: 'about:blank',
      title: 'Internal Server Error',
      status: 500,
      detail: 'The server could not complete the request. The incident was logged with its request id.',
    });
    for (const leak of ['SELECT', '/srv/app', 'db.ts', 'exploded', 'at ', 'Error:']) assert.ok(!response.body.includes(leak), `body leaks ${leak}`);
  });

  test('the 500 is logged with the request id and the real error', async () => {
    const response = await request(server.url, '/boom');
    const id = response.headers['x-request-id'];
    const line = server.logs.entries().find((entry) => entry.reqId === id && entry.msg === 'request failed');
    assert.ok(line, 'error line carries the request id');
    assert.match(JSON.stringify(line.err), /database exploded/);
  });

  test('two identical failures have byte-identical bodies; ids travel in a header', async () => {
    const first = await request(server.url, '/missing');
    const second = await request(server.url, '/missing');
    assert.equal(first.body, second.body);
    assert.notEqual(first.headers['x-request-id'], second.headers['x-request-id']);
  });
});

describe('request ids', () => {
  let server: TestServer;
  before(async () => {
    server = await startServer({}, testRoutes());
  });
  after(() => closeAll(server));

  test('a safe incoming X-Request-Id is reused and echoed', async () => {
    const response = await request(server.url, '/ok', { headers: { 'x-request-id': 'trace-1234abcd' } });
    assert.equal(response.headers['x-request-id'], 'trace-1234abcd');
  });

  for (const unsafe of ['short', '<script>alert(1)</script>', 'a'.repeat(200), 'id with spaces', 'evil"}{"level":60']) {
    test(`an unsafe X-Request-Id is replaced: ${unsafe.slice(0, 20)}`, async () => {
      const response = await request(server.url, '/ok', { headers: { 'x-request-id': unsafe } });
      assert.match(String(response.headers['x-request-id']), /^[0-9a-f-]{36}$/);
      assert.ok(!server.logs.text.includes(unsafe));
    });
  }
});

describe('log redaction', () => {
  const SECRETS = {
    bearer: 'eyJhbGciOiJFZERTQSJ9.c2VjcmV0LWJlYXJlci10b2tlbg.c2lnbmF0dXJlLXZhbHVl',
    cookie: 'sess-7f3c9a1b2d4e6f8091a2b3c4',
    apiKey: 'rk_live_9Qm2Xv7Lp4Zt8Rw1Yb6Nc3',
    queryKey: 'qk_5Hs8Jd2Kf7Lg4Mn1Pq9Rt',
    queryToken: 'tok_3Zx6Cv9Bn2Mq5Wl8Er1Ty',
    password: 'correct horse battery staple 42!',
    nestedToken: 'nested-refresh-token-value-0xDEADBEEF',
  };
  let server: TestServer;
  before(async () => {
    server = await startServer({ authenticators: [headerAuthenticator] }, (app) => {
      testRoutes()(app);
      app.post('/login', { policy: { public: true }, schema: { body: Type.Object({ password: Type.String() }, { additionalProperties: false }), response: { 200: Ok } } }, (request) => {
        // What a careless handler does: log the whole body and a nested credential.
        request.log.info({ body: request.body, session: { refreshToken: SECRETS.nestedToken }, headers: request.headers, note: `client sent Bearer ${SECRETS.bearer} in a free-text field` }, 'login attempt');
        return { ok: true };
      });
    });
  });
  after(() => closeAll(server));

  test('no secret value appears anywhere in the log output', async () => {
    await request(server.url, `/ok?api_key=${SECRETS.queryKey}&access_token=${SECRETS.queryToken}&page=2`, {
      headers: { authorization: `Bearer ${SECRETS.bearer}`, cookie: `__Host-session=${SECRETS.cookie}`, 'x-api-key': SECRETS.apiKey },
    });
    await request(server.url, '/login', {
      method: 'POST',
      headers: { 'content-type': 'application/json', authorization: `Bearer ${SECRETS.bearer}`, 'x-api-key': SECRETS.apiKey },
      body: JSON.stringify({ password: SECRETS.password }),
    });
    await request(server.url, `/nope?token=${SECRETS.queryToken}`);
    await request(server.url, `/ok?q=${SECRETS.bearer}`);
    const text = server.logs.text;
    assert.ok(text.includes('login attempt'), 'the handler line was written');
    assert.ok(text.includes('page=2'), 'harmless query parameters are kept');
    for (const [name, value] of Object.entries(SECRETS)) assert.ok(!text.includes(value), `${name} leaked into logs`);
  });

  test('one line per request with method, route, status, latency, id, client and principal', async () => {
    const response = await request(server.url, '/private', { headers: { 'x-test-scopes': 'orders:read' } });
    const line = server.logs.entries().find((entry) => entry.reqId === response.headers['x-request-id']);
    assert.ok(line);
    assert.equal(line.method, 'GET');
    assert.equal(line.route, '/private');
    assert.equal(line.status, 200);
    assert.equal(typeof line.ms, 'number');
    assert.equal(line.client, '127.0.0.1');
    assert.equal(line.principal, 'user-1');
    assert.equal(server.logs.entries().filter((entry) => entry.reqId === response.headers['x-request-id']).length, 1);
  });

  test('authenticated responses are never stored by caches', async () => {
    const response = await request(server.url, '/private', { headers: { 'x-test-scopes': 'orders:read' } });
    assert.equal(response.headers['cache-control'], 'no-store');
    const anonymous = await request(server.url, '/ok');
    assert.equal(anonymous.headers['cache-control'], undefined);
  });
});
