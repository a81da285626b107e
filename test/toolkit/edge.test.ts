// Host allowlist, slow clients, CORS and rate-limit headers, over real sockets.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { connect } from 'node:net';
import { clientKey } from '../../src/toolkit/limits/rate-limit.ts';
import { rawRequest, request } from '../helpers/http.ts';
import { testRoutes } from '../helpers/routes.ts';
import { startServer, type TestServer } from '../helpers/server.ts';
import { closeAll } from '../helpers/close-all.ts';

describe('Host header allowlist', () => {
  let production: TestServer;
  let development: TestServer;
  before(async () => {
    production = await startServer({ mode: 'production', allowedHosts: ['api.example.com'], trustedProxies: ['10.0.0.1'] }, testRoutes());
    development = await startServer({ mode: 'development' }, testRoutes());
  });
  after(() => closeAll(production, development));

  test('an allowed host is served, with or without port and case', async () => {
    assert.equal((await request(production.url, '/ok', { host: 'api.example.com' })).status, 200);
    assert.equal((await request(production.url, '/ok', { host: 'API.Example.com:8443' })).status, 200);
  });

  for (const host of ['evil.example', 'api.example.com.evil.example', '127.0.0.1', 'localhost']) {
    test(`production refuses Host: ${host}`, async () => {
      const response = await request(production.url, '/ok', { host });
      assert.equal(response.status, 400);
      assert.equal((response.json() as { type: string }).type, 'tag:rampart.dev,2026:problem:host-not-allowed');
    });
  }

  test('a request without Host is refused with a problem', async () => {
    const response = await rawRequest(production.port, 'GET /ok HTTP/1.0\r\n\r\n');
    assert.equal(response.status, 400);
    assert.deepEqual(response.headers['content-type'], ['application/problem+json']);
  });

  test('development accepts loopback names and nothing else', async () => {
    for (const host of ['localhost:3000', '127.0.0.1', '[::1]:3000']) assert.equal((await request(development.url, '/ok', { host })).status, 200, host);
    assert.equal((await request(development.url, '/ok', { host: 'attacker.example' })).status, 400);
  });
});

describe('slow clients', () => {
  let server: TestServer;
  before(async () => {
    server = await startServer({ limits: { headersTimeoutMs: 400, requestTimeoutMs: 1000 } }, testRoutes());
  });
  after(() => closeAll(server));

  test('a client that sends headers slowly is disconnected with 408', async () => {
    const started = Date.now();
    const result = await new Promise<{ text: string; closedAfter: number }>((resolve) => {
      const socket = connect(server.port, '127.0.0.1');
      let text = '';
      socket.on('data', (chunk) => (text += chunk.toString()));
      socket.on('error', () => undefined);
      socket.write('GET /ok HTTP/1.1\r\nHost: 127.0.0.1\r\n');
      // Slowloris: one header line every 100 ms, never finishing.
      let n = 0;
      const drip = setInterval(() => {
        if (!socket.destroyed) socket.write(`X-Drip-${n++}: 1\r\n`);
      }, 100);
      socket.on('close', () => {
        clearInterval(drip);
        resolve({ text, closedAfter: Date.now() - started });
      });
      setTimeout(() => socket.destroy(), 5000);
    });
    assert.match(result.text, /^HTTP\/1\.1 408 /);
    assert.ok(result.closedAfter < 3000, `closed after ${result.closedAfter} ms`);
  });
});

describe('CORS', () => {
  let server: TestServer;
  let closed: TestServer;
  before(async () => {
    server = await startServer({ cors: { origins: ['https://allowed.example'], credentials: true } }, testRoutes());
    closed = await startServer({}, testRoutes());
  });
  after(() => closeAll(server, closed));

  const corsHeaders = (headers: Record<string, unknown>): string[] => Object.keys(headers).filter((name) => name.startsWith('access-control-'));

  test('an allowed origin is echoed exactly, with Vary: Origin', async () => {
    const response = await request(server.url, '/ok', { headers: { origin: 'https://allowed.example' } });
    assert.equal(response.headers['access-control-allow-origin'], 'https://allowed.example');
    assert.equal(response.headers['access-control-allow-credentials'], 'true');
    assert.equal(response.headers.vary, 'Origin');
  });

  for (const origin of ['https://evil.example', 'null', 'https://evil-allowed.example', 'https://allowed.example.evil.example', 'http://allowed.example', 'https://ALLOWED.example']) {
    test(`no CORS headers for ${origin}`, async () => {
      const response = await request(server.url, '/ok', { headers: { origin } });
      assert.deepEqual(corsHeaders(response.headers), []);
    });
  }

  test('a preflight from the allowed origin is answered; a foreign one is not', async () => {
    const preflight = { 'access-control-request-method': 'POST', 'access-control-request-headers': 'content-type' };
    const allowed = await request(server.url, '/echo', { method: 'OPTIONS', headers: { origin: 'https://allowed.example', ...preflight } });
    assert.equal(allowed.status, 204);
    assert.match(String(allowed.headers['access-control-allow-methods']), /POST/);
    const foreign = await request(server.url, '/echo', { method: 'OPTIONS', headers: { origin: 'https://evil.example', ...preflight } });
    assert.notEqual(foreign.status, 204);
    assert.deepEqual(corsHeaders(foreign.headers), []);
  });

  test('without configured origins, CORS is closed', async () => {
    const response = await request(closed.url, '/ok', { headers: { origin: 'https://allowed.example' } });
    assert.deepEqual(corsHeaders(response.headers), []);
    assert.equal(response.headers.vary, undefined);
  });
});

describe('rate limits', () => {
  let server: TestServer;
  before(async () => {
    server = await startServer({ rateLimit: { limit: 3, windowSeconds: 60 } }, testRoutes());
  });
  after(() => closeAll(server));

  test('every limited response carries RateLimit-Policy and RateLimit (draft -11 syntax)', async () => {
    const response = await request(server.url, '/ok');
    assert.equal(response.headers['ratelimit-policy'], '"default";q=3;w=60');
    assert.match(String(response.headers.ratelimit), /^"default";r=2;t=(60|59)$/);
  });

  test('unknown routes are limited too, and the 429 has Retry-After', async () => {
    const statuses: number[] = [];
    let last;
    for (let i = 0; i < 6; i++) {
      last = await request(server.url, `/guess-${i}`);
      statuses.push(last.status);
    }
    assert.ok(statuses.includes(429), statuses.join(','));
    assert.ok(last);
    assert.equal(last.status, 429);
    assert.match(String(last.headers['retry-after']), /^\d+$/);
    assert.match(String(last.headers.ratelimit), /^"default";r=0;t=\d+$/);
  });

  test('a route’s own policy overrides the default', async () => {
    const first = await request(server.url, '/limited');
    assert.equal(first.headers['ratelimit-policy'], '"tight";q=1;w=60');
  });

  test('IPv6 clients are counted per /64', () => {
    assert.equal(clientKey('2001:db8:1:2:aaaa::1'), '2001:db8:1:2::/64');
    assert.equal(clientKey('2001:db8:1:2:ffff:ffff:ffff:ffff'), '2001:db8:1:2::/64');
    assert.equal(clientKey('::1'), '0:0:0:0::/64');
    assert.equal(clientKey('198.51.100.7'), '198.51.100.7');
  });
});

describe('load shedding', () => {
  test('a stall during boot is not answered with 503 once the server is ready', async () => {
    const server = await startServer({ limits: { maxEventLoopDelayMs: 50, loadSampleIntervalMs: 100 } }, (app) => {
      testRoutes()(app);
      const end = Date.now() + 300;
      while (Date.now() < end) {
        // Boot-time work (loading keys, warming dictionaries) that blocks the loop.
      }
    });
    try {
      for (let i = 0; i < 5; i++) assert.equal((await request(server.url, '/ok')).status, 200);
    } finally {
      await server.close();
    }
  });
});
