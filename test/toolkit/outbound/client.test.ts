// The outbound client end to end, with real sockets on loopback only. A listener on
// 127.0.0.1 counts every connection it gets: refused requests must leave it at zero. Tests
// that involve non-loopback addresses use an injected resolver and a connector that records
// the checked target and never dials it; the "fake internet" connector below dials a
// loopback server instead, so no packet ever leaves the machine.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { createServer, type Server } from 'node:http';
import { connect, type AddressInfo } from 'node:net';
import { createOutboundClient, OutboundError, OutboundRefused, readJson, type Connector, type ConnectTarget, type OutboundClientOptions, type Resolver } from '../../../src/toolkit/index.ts';
import { closeAll } from '../../helpers/close-all.ts';
import { checkedTarget } from '../../../src/toolkit/outbound/connect.ts';

const PUBLIC = '93.184.216.34';

interface Listener {
  server: Server;
  port: number;
  connections: number;
  requests: string[];
}

async function listener(handler?: (path: string, respond: (status: number, headers: Record<string, string>, body?: string) => void) => void): Promise<Listener> {
  const state: Listener = { server: undefined as unknown as Server, port: 0, connections: 0, requests: [] };
  state.server = createServer((req, res) => {
    state.requests.push(req.url ?? '');
    const respond = (status: number, headers: Record<string, string>, body = ''): void => {
      res.writeHead(status, headers).end(body);
    };
    if (handler) handler(req.url ?? '', respond);
    else respond(200, { 'content-type': 'application/json' }, '{"ok":true}');
  });
  state.server.on('connection', () => state.connections++);
  await new Promise<void>((resolve) => state.server.listen(0, '127.0.0.1', resolve));
  state.port = (state.server.address() as AddressInfo).port;
  return state;
}
const stop = (l: Listener): Promise<void> => new Promise((resolve) => { l.server.closeAllConnections(); l.server.close(() => resolve()); });

/** A connector that fails the test if it is ever asked to connect. */
function forbiddenConnector(): Connector & { calls: ConnectTarget[] } {
  const calls: ConnectTarget[] = [];
  const connector = ((target: ConnectTarget, callback: Parameters<Connector>[1]) => {
    calls.push(target);
    callback(new Error(`test failure: a connection to ${target.address} was attempted`), null);
  }) as Connector & { calls: ConnectTarget[] };
  connector.calls = calls;
  return connector;
}

/** Records the checked target, then dials a loopback server standing in for it. */
function fakeInternet(port: () => number): Connector & { calls: ConnectTarget[] } {
  const calls: ConnectTarget[] = [];
  const connector = ((target: ConnectTarget, callback: Parameters<Connector>[1]) => {
    calls.push(target);
    const socket = connect({ host: '127.0.0.1', port: port() });
    socket.once('connect', () => callback(null, socket));
    socket.once('error', (error) => callback(error, null));
  }) as Connector & { calls: ConnectTarget[] };
  connector.calls = calls;
  return connector;
}

const mapResolver = (table: Record<string, string[]>): Resolver & { calls: string[] } => {
  const calls: string[] = [];
  const resolver = ((hostname: string) => {
    calls.push(hostname);
    const addresses = table[hostname];
    if (addresses === undefined) return Promise.reject(new Error('ENOTFOUND'));
    return Promise.resolve(addresses.map((address) => ({ address, family: address.includes(':') ? 6 : 4 })));
  }) as unknown as Resolver & { calls: string[] };
  resolver.calls = calls;
  return resolver;
};

async function refusal(promise: Promise<unknown>): Promise<OutboundRefused> {
  try {
    await promise;
  } catch (error) {
    assert.ok(error instanceof OutboundRefused, `expected OutboundRefused, got ${String(error)}`);
    return error;
  }
  assert.fail('the request was not refused');
}

async function failure(promise: Promise<unknown>): Promise<OutboundError> {
  try {
    await promise;
  } catch (error) {
    assert.ok(error instanceof OutboundError, `expected OutboundError, got ${String(error)}`);
    return error;
  }
  assert.fail('the request did not fail');
}

describe('Security: SSRF to loopback', () => {
  let target: Listener;
  before(async () => { target = await listener(); });
  after(() => closeAll(() => stop(target)));

  test('every way of naming the local host is refused and the loopback listener receives nothing', async () => {
    const p = (): number => target.port;
    const urls = [
      `http://127.0.0.1:${p()}/`, `http://127.1:${p()}/`, `http://[::1]:${p()}/`, `http://[::ffff:127.0.0.1]:${p()}/`,
      `http://[64:ff9b::7f00:1]:${p()}/`, `http://0.0.0.0:${p()}/`, `http://2130706433:${p()}/`, `http://0177.0.0.1:${p()}/`,
      `http://0x7f.0.0.1:${p()}/`, `http://0x7f000001:${p()}/`, `http://localhost:${p()}/`, `http://LocalHost.:${p()}/`,
      `https://127.0.0.1:${p()}/`, `http://[::]:${p()}/`, `http://0:${p()}/`,
    ];
    // The real connector and resolver: if the guard let anything through, the listener would see it.
    const real = createOutboundClient();
    const spy = forbiddenConnector();
    const injected = createOutboundClient({ connector: spy, resolver: mapResolver({}) });
    try {
      for (const url of urls) {
        const error = await refusal(real.request(url));
        assert.ok(error.reason === 'address' || error.reason === 'hostname', `${url}: ${error.reason}`);
        await refusal(injected.request(url, { method: 'POST', body: '{}' }));
      }
    } finally {
      await Promise.all([real.close(), injected.close()]);
    }
    assert.equal(spy.calls.length, 0);
    assert.equal(target.connections, 0);
  });

  test('a public server redirecting to loopback is refused at the redirect, before any connection', async () => {
    const redirector = await listener((path, respond) => {
      if (path === '/to-ip') respond(302, { location: `http://127.0.0.1:${target.port}/` });
      else if (path === '/to-name') respond(307, { location: `http://localhost:${target.port}/` });
      else if (path === '/to-private') respond(301, { location: 'https://intranet.test/' });
      else respond(303, { location: `http://[::ffff:7f00:1]:${target.port}/` });
    });
    const internet = fakeInternet(() => redirector.port);
    const client = createOutboundClient({ resolver: mapResolver({ 'public.test': [PUBLIC], 'intranet.test': ['10.0.0.7'] }), connector: internet });
    try {
      assert.equal((await refusal(client.request('http://public.test/to-ip'))).range, 'loopback');
      assert.equal((await refusal(client.request('http://public.test/to-name'))).reason, 'hostname');
      assert.equal((await refusal(client.request('http://public.test/to-private'))).range, 'private');
      assert.equal((await refusal(client.request('http://public.test/mapped'))).range, 'ipv4-mapped');
    } finally {
      await client.close();
      await stop(redirector);
    }
    assert.equal(redirector.requests.length, 4, 'the redirector itself was reached');
    assert.ok(internet.calls.every((call) => call.address === PUBLIC), 'only the checked public address was dialled');
    assert.equal(target.connections, 0);
  });
});

describe('Security: SSRF through name resolution', () => {
  const refusedAddresses: [string, string][] = [
    ['10.1.2.3', 'private'], ['172.20.0.1', 'private'], ['192.168.1.1', 'private'], ['169.254.169.254', 'link-local'],
    ['100.100.100.200', 'cgnat'], ['240.0.0.1', 'reserved'], ['224.0.0.251', 'multicast'], ['fd00:ec2::254', 'unique-local'],
    ['fe80::1', 'link-local'], ['::ffff:10.0.0.1', 'ipv4-mapped'], ['64:ff9b::a9fe:a9fe', 'nat64-link-local'], ['127.0.0.53', 'loopback'],
  ];
  for (const [address, range] of refusedAddresses) {
    test(`a name resolving to ${address} is refused (${range}) and never dialled`, async () => {
      const spy = forbiddenConnector();
      const client = createOutboundClient({ resolver: mapResolver({ 'victim.test': [address] }), connector: spy });
      try {
        const error = await refusal(client.request('https://victim.test/latest/meta-data/'));
        assert.equal(error.reason, 'address');
        assert.equal(error.range, range);
      } finally {
        await client.close();
      }
      assert.equal(spy.calls.length, 0);
    });
  }

  test('one refused address among public ones refuses the name', async () => {
    const spy = forbiddenConnector();
    const client = createOutboundClient({ resolver: mapResolver({ 'mixed.test': [PUBLIC, '10.0.0.1'] }), connector: spy });
    try {
      assert.equal((await refusal(client.request('https://mixed.test/'))).range, 'private');
    } finally {
      await client.close();
    }
    assert.equal(spy.calls.length, 0);
  });

  test('a name that does not resolve is refused', async () => {
    const client = createOutboundClient({ resolver: mapResolver({}), connector: forbiddenConnector() });
    try {
      assert.equal((await refusal(client.request('https://nowhere.test/'))).reason, 'resolution-failed');
    } finally {
      await client.close();
    }
  });

  test('DNS rebinding: the connection goes to the address that was checked, and the name is resolved once', async () => {
    const loop = await listener();
    let answers = 0;
    const rebinding: Resolver = () => Promise.resolve(answers++ === 0 ? [{ address: PUBLIC, family: 4 }] : [{ address: '127.0.0.1', family: 4 }]);
    const spy = forbiddenConnector();
    const client = createOutboundClient({ resolver: rebinding, connector: spy });
    try {
      // First answer public: allowed, and the connector is asked for exactly that address.
      assert.equal((await failure(client.request('https://rebind.test:8443/'))).code, 'network');
      assert.equal(spy.calls.length, 1);
      assert.deepEqual(spy.calls[0], { hostname: 'rebind.test', address: PUBLIC, family: 4, port: 8443, protocol: 'https:', servername: 'rebind.test' });
      assert.equal(answers, 1, 'the name was resolved once for the connection');
      // The next connection sees the rebound answer and is refused before connecting.
      assert.equal((await refusal(client.request('https://rebind.test:8443/'))).range, 'loopback');
      assert.equal(spy.calls.length, 1);
    } finally {
      await client.close();
      await stop(loop);
    }
    assert.equal(loop.connections, 0);
  });
});

describe('Security: ports', () => {
  test('a public host is reached only on 80, 443 and 8443 unless the client names other ports; nothing else is dialled', async () => {
    const spy = forbiddenConnector();
    const client = createOutboundClient({ resolver: mapResolver({ 'public.test': [PUBLIC] }), connector: spy });
    const only9443 = createOutboundClient({ resolver: mapResolver({ 'public.test': [PUBLIC] }), connector: spy, allowedPorts: [9443] });
    try {
      for (const url of ['https://public.test:6379/', 'http://public.test:25/', 'https://public.test:22/', `https://${PUBLIC}:11211/`, 'https://public.test:8080/', 'http://public.test:65535/']) {
        const error = await refusal(client.request(url, { method: 'POST', body: '{}' }));
        assert.equal(error.reason, 'port', url);
      }
      assert.equal(spy.calls.length, 0);
      for (const url of ['https://public.test/', 'http://public.test/', 'https://public.test:443/', 'https://public.test:8443/', 'http://public.test:80/']) {
        assert.equal((await failure(client.request(url))).code, 'network', `${url} passes the policy and reaches the connector`);
      }
      assert.deepEqual(spy.calls.map((call) => call.port), [443, 80, 443, 8443, 80]);
      assert.equal((await refusal(only9443.request('https://public.test/'))).reason, 'port');
      assert.equal((await failure(only9443.request('https://public.test:9443/'))).code, 'network');
    } finally {
      await Promise.all([client.close(), only9443.close()]);
    }
  });

  test('a redirect to another port is refused at the redirect', async () => {
    const redirector = await listener((_path, respond) => respond(302, { location: 'https://public.test:6379/' }));
    const client = createOutboundClient({ resolver: mapResolver({ 'public.test': [PUBLIC] }), connector: fakeInternet(() => redirector.port) });
    try {
      assert.equal((await refusal(client.request('http://public.test/start'))).reason, 'port');
      assert.equal(redirector.requests.length, 1);
    } finally {
      await client.close();
      await stop(redirector);
    }
  });

  test('the connector checks the port it is asked to dial, whatever the URL check said', async () => {
    const spy = forbiddenConnector();
    const options = { resolver: mapResolver({ 'public.test': [PUBLIC] }), connector: spy, allowLoopbackHttp: false };
    await assert.rejects(checkedTarget('public.test', 'https:', 6379, options), (error: unknown) => error instanceof OutboundRefused && error.reason === 'port');
    await assert.rejects(checkedTarget(PUBLIC, 'https:', 6379, options), (error: unknown) => error instanceof OutboundRefused && error.reason === 'port');
    assert.equal((await checkedTarget('public.test', 'https:', 8443, options)).port, 8443);
  });

  test('allowedPorts is validated when the client is made', () => {
    for (const allowedPorts of [[], [0], [65536], [1.5]]) assert.throws(() => createOutboundClient({ allowedPorts }), /allowedPorts/);
  });
});

describe('limits and response checks', () => {
  let server: Listener;
  before(async () => {
    server = await listener((path, respond) => {
      if (path === '/big') respond(200, { 'content-type': 'application/json' }, 'x'.repeat(200_000));
      else if (path === '/html') respond(200, { 'content-type': 'text/html' }, '<html>');
      else if (path === '/loop') respond(302, { location: '/loop' });
      else if (path === '/slow') return; // never answers
      else respond(200, { 'content-type': 'application/json' }, '{"ok":true}');
    });
  });
  after(() => closeAll(() => stop(server)));
  const dev = (options: OutboundClientOptions = {}) => createOutboundClient({ allowLoopbackHttp: true, ...options });

  test('allowLoopbackHttp reaches a loopback literal over plain HTTP, and the JSON is validated', async () => {
    const client = dev();
    try {
      const response = await client.request(`http://127.0.0.1:${server.port}/ok`);
      assert.equal(response.status, 200);
      assert.deepEqual(readJson(response, (v): v is { ok: boolean } => typeof v === 'object' && v !== null && 'ok' in v), { ok: true });
      const html = await client.request(`http://127.0.0.1:${server.port}/html`);
      assert.throws(() => readJson(html, (_v): _v is unknown => true), (e: unknown) => e instanceof OutboundError && e.code === 'content-type');
    } finally {
      await client.close();
    }
  });

  test('a response larger than the cap is cut off', async () => {
    const client = dev({ maxResponseBytes: 100_000 });
    try {
      assert.equal((await failure(client.request(`http://127.0.0.1:${server.port}/big`))).code, 'response-too-large');
    } finally {
      await client.close();
    }
  });

  test('a server that never answers hits the deadline', async () => {
    const client = dev({ timeoutMs: 300 });
    try {
      assert.equal((await failure(client.request(`http://127.0.0.1:${server.port}/slow`))).code, 'timeout');
    } finally {
      await client.close();
    }
  });

  test('redirects stop after maxRedirects hops; with 0 the 3xx is returned as is', async () => {
    const before = server.requests.length;
    const client = dev({ maxRedirects: 2 });
    const none = dev({ maxRedirects: 0 });
    try {
      assert.equal((await refusal(client.request(`http://127.0.0.1:${server.port}/loop`))).reason, 'too-many-redirects');
      assert.equal(server.requests.length - before, 3);
      assert.equal((await none.request(`http://127.0.0.1:${server.port}/loop`)).status, 302);
    } finally {
      await Promise.all([client.close(), none.close()]);
    }
  });

  test('options are validated when the client is made', () => {
    assert.throws(() => createOutboundClient({ timeoutMs: -1 }), TypeError);
    assert.throws(() => createOutboundClient({ maxRedirects: 1.5 }), TypeError);
  });
});
