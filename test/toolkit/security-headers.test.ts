// Every response carries the security headers, exactly once and with exact values — on
// success, on every error status, and on the answers Node's parser gives before Fastify.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { rawRequest, request, type Response } from '../helpers/http.ts';
import { headerAuthenticator, testRoutes } from '../helpers/routes.ts';
import { startServer, type TestServer } from '../helpers/server.ts';
import { closeAll } from '../helpers/close-all.ts';

const EXPECTED: Record<string, string> = {
  'content-security-policy': "default-src 'none'; frame-ancestors 'none'",
  'x-frame-options': 'DENY',
  'x-content-type-options': 'nosniff',
  'referrer-policy': 'no-referrer',
  'cross-origin-opener-policy': 'same-origin',
  'cross-origin-resource-policy': 'same-origin',
};
const ABSENT = ['x-powered-by', 'server', 'strict-transport-security'];

function assertSecurityHeaders(names: string[], get: (name: string) => string | undefined, label: string): void {
  for (const [name, value] of Object.entries(EXPECTED)) {
    assert.equal(get(name), value, `${label}: ${name}`);
    assert.equal(names.filter((n) => n === name).length, 1, `${label}: ${name} present once`);
  }
  const permissions = get('permissions-policy') ?? '';
  for (const feature of ['camera=()', 'microphone=()', 'geolocation=()', 'payment=()', 'usb=()']) {
    assert.ok(permissions.includes(feature), `${label}: permissions-policy denies ${feature}`);
  }
  assert.equal(names.filter((n) => n === 'permissions-policy').length, 1, `${label}: permissions-policy once`);
  for (const name of ABSENT) assert.equal(get(name), undefined, `${label}: ${name} absent`);
  assert.match(get('x-request-id') ?? '', /^[\w.:-]{8,}$/, `${label}: request id`);
}

function check(response: Response, status: number, label: string): void {
  assert.equal(response.status, status, `${label}: status (body ${response.body})`);
  assertSecurityHeaders(response.rawHeaderNames, (name) => response.headers[name] as string | undefined, label);
  if (status >= 400) {
    assert.equal(response.headers['content-type'], 'application/problem+json', `${label}: problem+json`);
    const body = response.json() as { status: number; title: string; type: string; detail: string };
    assert.equal(body.status, status);
    assert.equal(typeof body.title, 'string');
    assert.equal(typeof body.detail, 'string');
    assert.equal(response.headers['cache-control'], 'no-store', `${label}: errors are not cached`);
  }
}

describe('security headers on every status', () => {
  let server: TestServer;
  let shedding: TestServer;
  before(async () => {
    server = await startServer({ limits: { bodyBytes: 1024 }, authenticators: [headerAuthenticator] }, testRoutes());
    shedding = await startServer({ limits: { maxEventLoopDelayMs: 50, loadSampleIntervalMs: 200 } }, testRoutes());
  });
  after(() => closeAll(server, shedding));

  const cases: [number, string, () => Promise<Response>][] = [
    [200, 'public route', () => request(server.url, '/ok')],
    [400, 'malformed JSON', () => request(server.url, '/echo', { method: 'POST', headers: { 'content-type': 'application/json' }, body: '{"name":' })],
    [401, 'no credentials', () => request(server.url, '/private')],
    [403, 'missing scope', () => request(server.url, '/private', { headers: { 'x-test-scopes': 'orders:write' } })],
    [404, 'unknown route', () => request(server.url, '/no/such/route')],
    [413, 'body too large', () => request(server.url, '/echo', { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ name: 'x'.repeat(4000) }) })],
    [415, 'wrong media type', () => request(server.url, '/echo', { method: 'POST', headers: { 'content-type': 'text/plain' }, body: 'name=x' })],
    [429, 'rate limited', async () => {
      await request(server.url, '/limited');
      return request(server.url, '/limited');
    }],
    [500, 'handler throws', () => request(server.url, '/boom')],
    [414, 'URL over the limit', () => request(server.url, `/ok?q=${'a'.repeat(5000)}`)],
    [431, 'too many header fields', () => request(server.url, '/ok', { headers: Object.fromEntries(Array.from({ length: 120 }, (_, i) => [`x-h-${i}`, 'v'])) })],
  ];
  for (const [status, label, send] of cases) {
    test(`${status} (${label})`, async () => {
      check(await send(), status, label);
    });
  }

  test('503 (event loop saturated) with Retry-After', async () => {
    await request(shedding.url, '/block');
    let seen: Response | undefined;
    const deadline = Date.now() + 2000;
    while (seen === undefined && Date.now() < deadline) {
      const response = await request(shedding.url, '/ok');
      if (response.status === 503) seen = response;
      else await new Promise((resolve) => setTimeout(resolve, 10));
    }
    assert.ok(seen, 'a request during saturation was shed');
    check(seen, 503, 'load shedding');
    assert.equal(seen.headers['retry-after'], '10');
  });

  const parserCases: [number, string, string][] = [
    [431, 'headers larger than the limit', `GET /ok HTTP/1.1\r\nHost: 127.0.0.1\r\nX-Big: ${'b'.repeat(20000)}\r\n\r\n`],
    [414, 'URL larger than the header limit', `GET /ok?${'u'.repeat(20000)} HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n`],
    [400, 'malformed request line', 'THIS IS NOT HTTP\r\n\r\n'],
  ];
  for (const [status, label, raw] of parserCases) {
    test(`${status} from the HTTP parser (${label})`, async () => {
      const response = await rawRequest(server.port, raw);
      assert.equal(response.status, status, response.head);
      assertSecurityHeaders(Object.keys(response.headers).flatMap((n) => response.headers[n]!.map(() => n)), (name) => response.headers[name]?.[0], label);
      assert.deepEqual(response.headers['content-type'], ['application/problem+json']);
      assert.equal((JSON.parse(response.body) as { status: number }).status, status);
    });
  }
});
