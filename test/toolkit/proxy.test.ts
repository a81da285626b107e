// The trusted-proxy model: forwarded headers count only from configured proxies, and then
// the client is the rightmost untrusted hop. Real sockets on 127.0.0.1; the addresses in
// headers are only strings.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { parseProxyList, resolveClient, unmapIPv4 } from '../../src/toolkit/server/proxy.ts';
import { request } from '../helpers/http.ts';
import { testRoutes } from '../helpers/routes.ts';
import { startServer, type TestServer } from '../helpers/server.ts';
import { makeCertificate, type TestCertificate } from '../helpers/tls.ts';
import { closeAll } from '../helpers/close-all.ts';

const HSTS = 'max-age=63072000; includeSubDomains';

describe('resolveClient', () => {
  const { trust } = parseProxyList(['10.0.0.0/8', '127.0.0.1/32']);

  test('an untrusted peer cannot change its address or scheme with headers', () => {
    const none = parseProxyList([]).trust;
    assert.deepEqual(resolveClient('203.0.113.9', false, '1.2.3.4', 'https', none), { ip: '203.0.113.9', secure: false });
    assert.deepEqual(resolveClient('203.0.113.9', false, '1.2.3.4', 'https', trust), { ip: '203.0.113.9', secure: false });
  });

  test('through trusted proxies the rightmost untrusted hop is the client', () => {
    assert.equal(resolveClient('10.0.0.2', false, '198.51.100.7, 10.0.0.1', undefined, trust).ip, '198.51.100.7');
    // Entries the client prepended sit to the left of the real one and gain nothing.
    assert.equal(resolveClient('10.0.0.2', false, '6.6.6.6, 7.7.7.7, 198.51.100.7, 10.0.0.1', undefined, trust).ip, '198.51.100.7');
    assert.equal(resolveClient('10.0.0.2', false, ['6.6.6.6', '198.51.100.7'], undefined, trust).ip, '198.51.100.7');
  });

  test('an IPv4-mapped peer matches an IPv4 rule', () => {
    assert.equal(unmapIPv4('::ffff:127.0.0.1'), '127.0.0.1');
    assert.equal(trust.isTrusted('::ffff:127.0.0.1'), true);
    assert.equal(resolveClient('::ffff:127.0.0.1', false, '198.51.100.7', 'https', trust).ip, '198.51.100.7');
  });

  test('garbage in the chain stops the walk at the last real address', () => {
    assert.equal(resolveClient('10.0.0.2', false, '<script>, 10.0.0.1', undefined, trust).ip, '10.0.0.1');
    assert.equal(resolveClient('10.0.0.2', false, 'not-an-ip', undefined, trust).ip, '10.0.0.2');
  });

  test('the nearest proxy decides the scheme', () => {
    assert.equal(resolveClient('10.0.0.2', false, undefined, 'https', trust).secure, true);
    assert.equal(resolveClient('10.0.0.2', false, undefined, 'https, http', trust).secure, false);
    assert.equal(resolveClient('10.0.0.2', true, undefined, 'http', trust).secure, true);
  });

  test('invalid proxy entries are reported, not ignored', () => {
    assert.equal(parseProxyList(['10.0.0.0/33', 'example.com', '1.2.3.4/x']).problems.length, 3);
  });
});

describe('forwarded headers over real sockets', () => {
  let untrusted: TestServer;
  let trusted: TestServer;
  let tlsServer: TestServer;
  let certificate: TestCertificate;
  before(async () => {
    certificate = makeCertificate();
    untrusted = await startServer({}, testRoutes());
    trusted = await startServer({ trustedProxies: ['127.0.0.1/32'] }, testRoutes());
    tlsServer = await startServer({ tls: { cert: certificate.cert, key: certificate.key } }, testRoutes());
  });
  after(() => closeAll(untrusted, trusted, tlsServer, () => certificate.remove()));

  test('no HSTS when an untrusted peer sends X-Forwarded-Proto: https', async () => {
    const response = await request(untrusted.url, '/whoami', { headers: { 'x-forwarded-proto': 'https', 'x-forwarded-for': '198.51.100.7' } });
    assert.equal(response.headers['strict-transport-security'], undefined);
    assert.deepEqual(response.json(), { ip: '127.0.0.1', secure: false });
  });

  test('HSTS when a trusted proxy says https', async () => {
    const response = await request(trusted.url, '/whoami', { headers: { 'x-forwarded-proto': 'https', 'x-forwarded-for': '198.51.100.7' } });
    assert.equal(response.headers['strict-transport-security'], HSTS);
    assert.deepEqual(response.json(), { ip: '198.51.100.7', secure: true });
  });

  test('HSTS when served over TLS', async () => {
    const response = await request(tlsServer.url, '/ok', { tls: { ca: certificate.cert } });
    assert.equal(response.status, 200);
    assert.equal(response.headers['strict-transport-security'], HSTS);
  });

  test('prepending fake X-Forwarded-For entries gains nothing through a trusted proxy', async () => {
    const response = await request(trusted.url, '/whoami', { headers: { 'x-forwarded-for': '1.1.1.1, 2.2.2.2, 198.51.100.7' } });
    assert.equal((response.json() as { ip: string }).ip, '198.51.100.7');
  });

  test('rotating X-Forwarded-For from an untrusted peer does not reset its rate limit', async () => {
    const first = await request(untrusted.url, '/limited', { headers: { 'x-forwarded-for': '198.51.100.1' } });
    assert.equal(first.status, 200);
    for (let i = 2; i < 6; i++) {
      const response = await request(untrusted.url, '/limited', { headers: { 'x-forwarded-for': `198.51.100.${i}` } });
      assert.equal(response.status, 429);
    }
  });

  test('through a trusted proxy each forwarded client has its own limit', async () => {
    assert.equal((await request(trusted.url, '/limited', { headers: { 'x-forwarded-for': '198.51.100.20' } })).status, 200);
    assert.equal((await request(trusted.url, '/limited', { headers: { 'x-forwarded-for': '198.51.100.20' } })).status, 429);
    assert.equal((await request(trusted.url, '/limited', { headers: { 'x-forwarded-for': '198.51.100.21' } })).status, 200);
  });

  test('the client address in the log line is the resolved one', async () => {
    const response = await request(trusted.url, '/ok', { headers: { 'x-forwarded-for': '6.6.6.6, 198.51.100.30' } });
    const line = trusted.logs.entries().find((entry) => entry.reqId === response.headers['x-request-id']);
    assert.equal(line?.client, '198.51.100.30');
  });
});
