// Host allowlist, slow clients, CORS and rate-limit headers, over real sockets.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { connect } from 'node:net';
import { clientKey } from '../../src/toolkit/limits/rate-limit.ts';
import { ownOrigin } from '../../src/toolkit/auth/sessions/csrf.ts';
import { Type } from '../../src/toolkit/index.ts';
import { rawRequest, request } from '../helpers/http.ts';
import { testRoutes, type Recorded } from '../helpers/routes.ts';
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

// Absolute-form targets and malformed Host values over a raw socket (fetch cannot send them):
// each hostile request is a 400 problem+json and the route never runs; its happy twin is
// served. RFC 9112 §3.2 and §3.2.2.
describe('request line and Host, strictly', () => {
  const recorded: Recorded = { stored: [] };
  let production: TestServer;
  let development: TestServer;
  before(async () => {
    production = await startServer({ mode: 'production', allowedHosts: ['api.example.com'], trustedProxies: ['10.0.0.1'] }, (app) => {
      testRoutes(recorded)(app);
      const Where = Type.Object({ url: Type.String(), host: Type.String(), origin: Type.String() }, { additionalProperties: false });
      app.get('/where', { policy: { public: true }, schema: { querystring: Type.Object({ q: Type.Optional(Type.String()) }), response: { 200: Where } } }, (request) => ({
        url: request.url,
        host: request.headers.host ?? '',
        origin: ownOrigin(request),
      }));
    });
    development = await startServer({ mode: 'development' }, testRoutes(recorded));
  });
  after(() => closeAll(production, development));

  const body = '{"name":"widget"}';
  /** POST the body to `target`, with one header line per entry of `hosts`. */
  const post = (server: TestServer, target: string, hosts: string[], version = 'HTTP/1.1') =>
    rawRequest(
      server.port,
      `POST ${target} ${version}\r\n${hosts.map((host) => `Host: ${host}\r\n`).join('')}` +
        `Content-Type: application/json\r\nContent-Length: ${body.length}\r\nConnection: close\r\n\r\n${body}`,
    );
  const served = async (server: TestServer, target: string, hosts: string[], version?: string) => {
    recorded.stored.length = 0;
    const response = await post(server, target, hosts, version);
    assert.equal(response.status, 200, response.body);
    assert.deepEqual(recorded.stored, [{ name: 'widget' }]);
  };
  /** `slug` undefined: refused by Node's parser, before the toolkit's own problem types. */
  const refused = async (server: TestServer, target: string, hosts: string[], slug: string | undefined, version?: string) => {
    recorded.stored.length = 0;
    const response = await post(server, target, hosts, version);
    assert.equal(response.status, 400, response.body);
    assert.deepEqual(response.headers['content-type'], ['application/problem+json']);
    assert.equal((JSON.parse(response.body) as { type: string }).type, slug === undefined ? 'about:blank' : `tag:rampart.dev,2026:problem:${slug}`);
    assert.deepEqual(recorded.stored, [], 'nothing written');
  };

  test('an absolute-form target naming an allowed host is served (its authority replaces Host)', async () => {
    await served(production, 'http://api.example.com/echo', ['api.example.com']);
    await served(production, 'HTTPS://API.example.com:8443/echo', ['api.example.com']);
    // RFC 9112 §3.2.2: the Host header is ignored when the target names the host.
    await served(production, 'http://api.example.com/echo', ['elsewhere.example']);
    await served(production, 'http://api.example.com/echo', [], 'HTTP/1.0');
    // Every later layer sees the origin-form URL: the log line too.
    assert.ok(!production.logs.text.includes('http://api.example.com/echo'), 'logged in absolute form');
    assert.match(production.logs.text, /"url":"\/echo"/);
  });

  test('the handler and the CSRF origin check see the path form and the target’s host', async () => {
    const response = await rawRequest(production.port, 'GET HTTP://API.example.com:8443/where?q=1 HTTP/1.1\r\nHost: elsewhere.example\r\nConnection: close\r\n\r\n');
    assert.equal(response.status, 200, response.body);
    assert.deepEqual(JSON.parse(response.body), { url: '/where?q=1', host: 'API.example.com:8443', origin: 'http://api.example.com:8443' });
  });

  for (const target of ['http://evil.example/echo', 'HTTP://EVIL.EXAMPLE/echo', 'http://evil.example:443/echo', 'http://api.example.com@evil.example/echo', 'http://evil@api.example.com/echo', 'http://api.example.com:evil/echo', 'http://api.example.com.evil.example/echo']) {
    test(`absolute-form ${target} with Host: api.example.com is refused`, async () => {
      await refused(production, target, ['api.example.com'], 'host-not-allowed');
    });
  }

  test('an absolute-form target still needs one valid Host line in HTTP/1.1', async () => {
    await refused(production, 'http://api.example.com/echo', [], 'host-not-allowed');
    await refused(production, 'http://api.example.com/echo', ['api.example.com:evil'], 'host-not-allowed');
    await refused(production, 'http://api.example.com/echo', ['api.example.com', 'api.example.com'], 'host-not-allowed');
  });

  for (const target of ['ftp://api.example.com/echo', 'http:///echo', 'http://api.example.com/echo#top', 'api.example.com/echo']) {
    test(`request target ${target} is refused`, async () => {
      await refused(production, target, ['api.example.com'], target.includes('://') ? 'bad-request-target' : undefined);
    });
  }

  test('CONNECT (authority-form) gets a 400 problem, not a dropped connection', async () => {
    const response = await rawRequest(production.port, 'CONNECT api.example.com:443 HTTP/1.1\r\nHost: api.example.com:443\r\n\r\n');
    assert.equal(response.status, 400);
    assert.deepEqual(response.headers['content-type'], ['application/problem+json']);
    assert.equal((JSON.parse(response.body) as { type: string }).type, 'tag:rampart.dev,2026:problem:bad-request-target');
    assert.deepEqual(response.headers['x-content-type-options'], ['nosniff']);
  });

  test('Host with a port, in any case, with a trailing dot or an empty port is served', async () => {
    for (const host of ['api.example.com', 'API.Example.COM:443', 'api.example.com.', 'api.example.com:', 'api.example.com:65535']) await served(production, '/echo', [host]);
    for (const host of ['localhost:3000', '[::1]:8080', '127.0.0.1']) await served(development, '/echo', [host]);
  });

  const badHosts = ['api.example.com:evil', 'api.example.com:65536', 'api.example.com:0', 'api.example.com:-1', 'api.example.com:80:80', 'api.example.com: 80', 'user@api.example.com', 'api.example.com@evil.example', ':443', '', '[::1', '[::1]x', '[::1]:evil', 'api.example.com evil'];
  for (const host of badHosts) {
    test(`Host: ${JSON.stringify(host)} is refused`, async () => {
      await refused(production, '/echo', [host], 'host-not-allowed');
    });
  }

  test('development refuses a loopback name with a bad port or userinfo', async () => {
    for (const host of ['localhost:evil', 'localhost:99999', 'evil@localhost', '[::1]:x']) await refused(development, '/echo', [host], 'host-not-allowed');
  });

  test('HTTP/1.0 and HTTP/1.1 request lines are served', async () => {
    await served(production, '/echo', ['api.example.com'], 'HTTP/1.0');
    await served(production, '/echo', ['api.example.com'], 'HTTP/1.1');
  });

  // Node's HTTP/1 parser reads these versions; nothing may be served as if it were 1.1.
  for (const version of ['HTTP/2.0', 'HTTP/0.9', 'HTTP/1.2', 'HTTP/3.0']) {
    test(`a ${version} request line is refused`, async () => {
      recorded.stored.length = 0;
      const response = await post(production, '/echo', ['api.example.com'], version);
      assert.ok(response.status === 505 || response.status === 400, `${response.status} ${response.body}`);
      assert.deepEqual(response.headers['content-type'], ['application/problem+json']);
      assert.equal((JSON.parse(response.body) as { status: number }).status, response.status);
      assert.deepEqual(recorded.stored, [], 'nothing written');
    });
  }

  test('HTTP/2.0 and HTTP/0.9 request lines get 505, with the connection closed', async () => {
    for (const version of ['HTTP/2.0', 'HTTP/0.9']) {
      const response = await rawRequest(production.port, `GET /ok ${version}\r\nHost: api.example.com\r\n\r\n`);
      assert.equal(response.status, 505, version);
      assert.deepEqual(response.headers.connection, ['close']);
    }
  });

  test('several Host lines are refused, even when each is allowed', async () => {
    await refused(production, '/echo', ['api.example.com', 'evil.example'], 'host-not-allowed');
    await refused(production, '/echo', ['api.example.com', 'api.example.com'], 'host-not-allowed');
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

  test('with no onSecurityEvent given, the first refusal of a window still reaches the log as a rate_limited security event', () => {
    const events = server.logs.entries().filter((entry) => entry['msg'] === 'security event');
    assert.ok(events.length >= 1, server.logs.text);
    assert.equal(events[0]!['event'], 'rate_limited');
    assert.equal(events[0]!['level'], 40);
    assert.equal(events[0]!['clientIp'], '127.0.0.1');
    assert.equal(events[0]!['policy'], 'default');
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
