// Webhooks through real HTTP on loopback: registration and its hostile inputs, ownership,
// signed deliveries verified by a receiver we run, retries with back-off while the receiver
// is down, and a restart in the middle that loses nothing and delivers once. The service runs
// with the loudly named loopback setting; its outbound connector is replaced by one that
// dials loopback only and records any other attempt, which the tests assert never happens.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { createServer, type IncomingHttpHeaders, type Server } from 'node:http';
import { connect, type AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { sql } from 'kysely';
import { buildApp, type ReferenceService } from '../../src/app/app.ts';
import type { WebhookOverrides } from '../../src/app/webhooks/index.ts';
import { encryptedColumns } from '../../src/app/encrypted-columns.ts';
import { ConfigError, listen, loadConfig, rotateFieldKeys, verifyWebhookSignature, type Connector, type ConnectTarget, type Resolver } from '../../src/toolkit/index.ts';
import { request, LogCapture, type Response } from '../helpers/http.ts';
import { bearer, login, STRONG_PASSWORD } from '../helpers/app.ts';
import { sleep } from '../toolkit/stores/services.ts';
import { closeAll } from '../helpers/close-all.ts';

const LOOPBACK_SETTING = 'RAMPART_WEBHOOKS_ALLOW_INSECURE_LOOPBACK_DEVELOPMENT_ONLY';
const OPERATOR = { id: null, clientIp: null };

/** Every connection the dispatcher asks for that is not loopback: must stay empty. */
const foreignAttempts: ConnectTarget[] = [];
const loopbackOnly: Connector = (target, callback) => {
  if (target.address !== '::1' && !target.address.startsWith('127.')) {
    foreignAttempts.push(target);
    callback(new Error('test: connection to a non-loopback address refused'), null);
    return;
  }
  const socket = connect({ host: target.address, port: target.port });
  socket.once('connect', () => callback(null, socket));
  socket.once('error', (error) => callback(error, null));
};
const testResolver: Resolver = (hostname) => {
  const table: Record<string, string> = { 'private.example.test': '10.0.0.5', 'metadata.example.test': '169.254.169.254', 'public.example.test': '93.184.216.34' };
  const address = table[hostname];
  return address === undefined ? Promise.reject(new Error('ENOTFOUND')) : Promise.resolve([{ address, family: 4 }]);
};
const FAST: WebhookOverrides = { pollIntervalMs: 25, backoffBaseMs: 100, backoffMaxMs: 300, maxAttempts: 100, timeoutMs: 2000, perUserLimit: 3, resolver: testResolver, connector: loopbackOnly };

interface Running {
  service: ReferenceService;
  url: string;
  close(): Promise<void>;
}

async function start(dir: string, env: Record<string, string> = { [LOOPBACK_SETTING]: 'true' }): Promise<Running> {
  const config = loadConfig({ NODE_ENV: 'development', PORT: '0', RAMPART_RATE_LIMIT: '100000', RAMPART_TOKEN_RATE_LIMIT: '100000', RAMPART_RATE_LIMIT_OVERRIDES: 'webhooks-write=100000/60,orders-write=100000/60', ...env }, dir);
  const service = await buildApp(config, { server: { logDestination: new LogCapture() }, webhooks: FAST });
  const listening = await listen(service.app, { host: '127.0.0.1', port: 0, allowedHosts: [], development: true });
  return { service, url: `http://127.0.0.1:${listening.port}`, close: () => listening.close() };
}

interface Received {
  headers: IncomingHttpHeaders;
  body: string;
}

/** A webhook receiver on 127.0.0.1: records every request and answers `status`. */
class Receiver {
  received: Received[] = [];
  status = 200;
  port = 0;
  private server: Server | undefined;

  async listen(port = 0): Promise<this> {
    this.server = createServer((req, res) => {
      const chunks: Buffer[] = [];
      req.on('data', (chunk: Buffer) => chunks.push(chunk));
      req.on('end', () => {
        this.received.push({ headers: req.headers, body: Buffer.concat(chunks).toString('utf8') });
        res.writeHead(this.status, { 'content-type': 'text/plain' }).end('thanks\u0000\u001b[31m');
      });
    });
    await new Promise<void>((resolve) => this.server!.listen(port, '127.0.0.1', resolve));
    this.port = (this.server.address() as AddressInfo).port;
    return this;
  }

  async close(): Promise<void> {
    const server = this.server;
    if (server === undefined) return;
    this.server = undefined;
    server.closeAllConnections();
    await new Promise<void>((resolve) => server.close(() => resolve()));
  }
}

async function waitFor<T>(what: string, probe: () => Promise<T | undefined> | T | undefined, timeoutMs = 15_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await probe();
    if (value !== undefined) return value;
    if (Date.now() > deadline) assert.fail(`timed out waiting for ${what}`);
    await sleep(25);
  }
}

interface User {
  id: string;
  token: string;
}

interface Delivery {
  id: string;
  event: string;
  status: string;
  attempts: number;
  nextAttemptAt: string | null;
  lastStatus: number | null;
  lastError: string | null;
  responseExcerpt: string | null;
}

const json = (token: string) => ({ ...bearer(token), 'content-type': 'application/json' });

describe('webhooks', () => {
  const dir = mkdtempSync(join(tmpdir(), 'rampart-webhooks-'));
  let running: Running;
  let admin: User;
  let alice: User;
  let bob: User;
  let product: string;

  async function user(username: string, role: string): Promise<User> {
    const { id } = await running.service.identity.createUser({ username, password: STRONG_PASSWORD, role }, OPERATOR);
    return { id, token: (await login(running.url, username)).access_token };
  }
  const register = (who: User, body: unknown): Promise<Response> => request(running.url, '/v1/webhooks', { method: 'POST', headers: json(who.token), body: JSON.stringify(body) });
  const order = async (who: User): Promise<string> => {
    const response = await request(running.url, '/v1/orders', { method: 'POST', headers: json(who.token), body: JSON.stringify({ productId: product, quantity: 2 }) });
    assert.equal(response.status, 201, response.body);
    return (response.json() as { id: string }).id;
  };
  const deliveries = async (who: User, hook: string): Promise<Delivery[]> => {
    const response = await request(running.url, `/v1/webhooks/${hook}/deliveries`, { headers: bearer(who.token) });
    assert.equal(response.status, 200, response.body);
    return (response.json() as { items: Delivery[] }).items;
  };
  const storedWebhooks = async (ownerId: string): Promise<number> => {
    const { rows } = await sql<{ n: number | string }>`select count(*) as n from webhooks where owner_id = ${ownerId}`.execute(running.service.database.db);
    return Number(rows[0]!.n);
  };

  before(async () => {
    running = await start(dir);
    admin = await user('hook-admin', 'admin');
    alice = await user('alice', 'user');
    bob = await user('bob', 'user');
    const response = await request(running.url, '/v1/products', { method: 'POST', headers: json(admin.token), body: JSON.stringify({ name: 'Widget', price: 1250 }) });
    assert.equal(response.status, 201, response.body);
    product = (response.json() as { id: string }).id;
  });
  after(async () => {
    await closeAll(running, () => rmSync(dir, { recursive: true, force: true }));
    assert.deepEqual(foreignAttempts, [], 'no connection to a non-loopback address was ever attempted');
  });

  test('an order is delivered to the loopback receiver, signed; the signature verifies and tampering fails', async () => {
    const receiver = await new Receiver().listen();
    try {
      const created = await register(alice, { url: `http://127.0.0.1:${receiver.port}/hooks/orders`, events: ['order.created'] });
      assert.equal(created.status, 201, created.body);
      const hook = created.json() as { id: string; url: string; events: string[]; secret: string };
      assert.match(hook.secret, /^whsec_[A-Za-z0-9_-]{43}$/);
      assert.deepEqual(hook.events, ['order.created']);
      assert.equal(created.headers.location, `/v1/webhooks/${hook.id}`);

      // The secret is sealed at rest and never shown again.
      const { rows } = await sql<{ secret: string }>`select secret from webhooks where id = ${hook.id}`.execute(running.service.database.db);
      assert.match(rows[0]!.secret, /^f1\./);
      assert.ok(!rows[0]!.secret.includes(hook.secret.slice(6)));
      const read = await request(running.url, `/v1/webhooks/${hook.id}`, { headers: bearer(alice.token) });
      assert.equal(read.status, 200);
      assert.deepEqual(Object.keys(read.json() as object).sort(), ['createdAt', 'events', 'id', 'url']);

      const orderId = await order(alice);
      const [delivery] = await waitFor('the delivery', () => (receiver.received.length > 0 ? receiver.received : undefined));
      const body = delivery!.body;
      const signature = delivery!.headers['rampart-signature'] as string;
      assert.match(signature, /^t=\d+,v1=[0-9a-f]{64}$/);
      assert.equal(verifyWebhookSignature(hook.secret, signature, body), true);
      assert.equal(delivery!.headers['rampart-webhook-id'], hook.id);
      assert.equal(delivery!.headers['rampart-event'], 'order.created');
      assert.equal(delivery!.headers['content-type'], 'application/json');
      const payload = JSON.parse(body) as { id: string; type: string; data: Record<string, unknown> };
      assert.equal(payload.type, 'order.created');
      assert.equal(payload.data.id, orderId);
      assert.equal(payload.data.quantity, 2);
      assert.ok(!('ownerId' in payload.data), 'internal fields are not sent');

      // A different body, a replay ten minutes later, another secret, or no header: all fail.
      assert.equal(verifyWebhookSignature(hook.secret, signature, body.replace('"quantity":2', '"quantity":3')), false);
      assert.equal(verifyWebhookSignature(hook.secret, signature, body, { now: () => Date.now() + 10 * 60_000 }), false);
      assert.equal(verifyWebhookSignature(hook.secret, signature, body, { now: () => Date.now() - 10 * 60_000 }), false);
      assert.equal(verifyWebhookSignature(`${hook.secret}x`, signature, body), false);
      assert.equal(verifyWebhookSignature(hook.secret, undefined, body), false);
      const timestamp = /t=(\d+)/.exec(signature)![1]!;
      assert.equal(verifyWebhookSignature(hook.secret, signature.replace(`t=${timestamp}`, `t=${Number(timestamp) + 1}`), body), false, 'the timestamp is covered by the MAC');

      const [logged] = await waitFor('the delivery to be recorded', async () => {
        const items = await deliveries(alice, hook.id);
        return items[0]?.status === 'delivered' ? items : undefined;
      });
      assert.equal(logged!.id, delivery!.headers['rampart-delivery-id']);
      assert.equal(logged!.attempts, 1);
      assert.equal(logged!.lastStatus, 200);
      assert.equal(logged!.nextAttemptAt, null);
      assert.equal(logged!.responseExcerpt, 'thanks??[31m', 'the excerpt is printable ASCII only');
      assert.equal(receiver.received.length, 1);

      // Key rotation re-seals the secret (it is a declared encrypted column); deliveries go on.
      const keyring = running.service.fieldKeyring;
      await keyring.rotate();
      const counts = await rotateFieldKeys(running.service.database, keyring, encryptedColumns);
      assert.equal(counts.find((c) => c.table === 'webhooks')!.rotated, 1);
      const after = await sql<{ secret: string }>`select secret from webhooks where id = ${hook.id}`.execute(running.service.database.db);
      assert.notEqual(after.rows[0]!.secret, rows[0]!.secret);
      await order(alice);
      const [, second] = await waitFor('a delivery after rotation', () => (receiver.received.length > 1 ? receiver.received : undefined));
      assert.equal(verifyWebhookSignature(hook.secret, second!.headers['rampart-signature'] as string, second!.body), true);
    } finally {
      await receiver.close();
    }
  });

  test('a transfer is delivered to a webhook subscribed to transfer.completed', async () => {
    const receiver = await new Receiver().listen();
    try {
      const hook = (await register(bob, { url: `http://[::1]:${receiver.port}/`, events: ['transfer.completed'] }).then((r) => r.json())) as { id: string; secret: string };
      // IPv6 loopback is allowed too, but our receiver listens on 127.0.0.1: re-register there.
      assert.equal((await request(running.url, `/v1/webhooks/${hook.id}`, { method: 'DELETE', headers: bearer(bob.token) })).status, 204);
      const created = await register(bob, { url: `http://127.0.0.1:${receiver.port}/`, events: ['transfer.completed'] });
      const { secret } = created.json() as { secret: string };
      const bobAccount = (await request(running.url, '/v1/accounts/me', { headers: bearer(bob.token) })).json() as { id: string };
      const aliceAccount = (await request(running.url, '/v1/accounts/me', { headers: bearer(alice.token) })).json() as { id: string };
      const deposit = await request(running.url, `/v1/admin/accounts/${bobAccount.id}/deposits`, { method: 'POST', headers: json(admin.token), body: JSON.stringify({ amount: 500, reference: 'funding' }) });
      assert.equal(deposit.status, 201, deposit.body);
      const transfer = await request(running.url, '/v1/transfers', { method: 'POST', headers: { ...json(bob.token), 'idempotency-key': 'webhook-test-0001' }, body: JSON.stringify({ toAccountId: aliceAccount.id, amount: 120 }) });
      assert.equal(transfer.status, 201, transfer.body);
      const [delivery] = await waitFor('the transfer delivery', () => (receiver.received.length > 0 ? receiver.received : undefined));
      assert.equal(verifyWebhookSignature(secret, delivery!.headers['rampart-signature'] as string, delivery!.body), true);
      const payload = JSON.parse(delivery!.body) as { type: string; data: { amount: number; id: string } };
      assert.equal(payload.type, 'transfer.completed');
      assert.equal(payload.data.amount, 120);
      assert.equal(payload.data.id, (transfer.json() as { id: string }).id);
    } finally {
      await receiver.close();
    }
  });

  test('a receiver that is down gets retries with back-off, and a restart in between loses nothing and delivers once', async () => {
    // Reserve a port, then leave it closed: the receiver is down.
    const probe = await new Receiver().listen();
    const port = probe.port;
    await probe.close();
    const created = await register(alice, { url: `http://127.0.0.1:${port}/down`, events: ['order.created'] });
    assert.equal(created.status, 201, created.body);
    const hook = created.json() as { id: string; secret: string };
    await order(alice);

    const failing = await waitFor('several failed attempts', async () => {
      const [item] = await deliveries(alice, hook.id);
      return item !== undefined && item.attempts >= 3 ? item : undefined;
    });
    assert.equal(failing.status, 'pending');
    assert.equal(failing.lastError, 'network');
    assert.equal(failing.lastStatus, null);
    assert.notEqual(failing.nextAttemptAt, null);

    // Stop the service with the delivery still pending; start a new one on the same data.
    await running.close();
    running = await start(dir);
    alice = { ...alice, token: (await login(running.url, 'alice')).access_token };
    const [waiting] = await deliveries(alice, hook.id);
    assert.equal(waiting!.status, 'pending', 'the new process found the delivery still queued');

    const receiver = await new Receiver().listen(port);
    try {
      const done = await waitFor('the delivery after the restart', async () => {
        const [item] = await deliveries(alice, hook.id);
        return item?.status === 'delivered' ? item : undefined;
      });
      assert.equal(done.id, failing.id);
      assert.ok(done.attempts > failing.attempts);
      await sleep(300); // a dozen more polls: nothing is sent twice
      assert.equal(receiver.received.length, 1);
      const [delivery] = receiver.received;
      assert.equal(delivery!.headers['rampart-delivery-id'], failing.id);
      assert.equal(verifyWebhookSignature(hook.secret, delivery!.headers['rampart-signature'] as string, delivery!.body), true);
    } finally {
      await receiver.close();
    }
  });

  describe('Security: hostile registrations', () => {
    const refused: [string, unknown][] = [
      ['plain http to a public host', { url: 'http://93.184.216.34/hook', events: ['order.created'] }],
      ['file:', { url: 'file:///etc/passwd', events: ['order.created'] }],
      ['gopher:', { url: 'gopher://127.0.0.1:6379/_FLUSHALL', events: ['order.created'] }],
      ['credentials in the URL', { url: 'https://user:pass@93.184.216.34/hook', events: ['order.created'] }],
      ['an overlong URL', { url: `https://93.184.216.34/${'a'.repeat(3000)}`, events: ['order.created'] }],
      ['a private address', { url: 'https://10.0.0.1/hook', events: ['order.created'] }],
      ['the metadata address', { url: 'https://169.254.169.254/latest/meta-data/', events: ['order.created'] }],
      ['https to loopback', { url: 'https://127.0.0.1/hook', events: ['order.created'] }],
      ['IPv4-mapped loopback', { url: 'http://[::ffff:127.0.0.1]:80/hook', events: ['order.created'] }],
      ['decimal loopback over https', { url: 'https://2130706433/hook', events: ['order.created'] }],
      ['localhost', { url: 'http://localhost:8080/hook', events: ['order.created'] }],
      ['a name resolving to a private address', { url: 'https://private.example.test/hook', events: ['order.created'] }],
      ['a name resolving to the metadata address', { url: 'https://metadata.example.test/hook', events: ['order.created'] }],
      ['a name that does not resolve', { url: 'https://nowhere.example.test/hook', events: ['order.created'] }],
      ['an unknown event', { url: 'https://93.184.216.34/hook', events: ['user.deleted'] }],
      ['no events', { url: 'https://93.184.216.34/hook', events: [] }],
      ['an extra field', { url: 'https://93.184.216.34/hook', events: ['order.created'], secret: 'mine' }],
      ['a relative URL', { url: '/hook', events: ['order.created'] }],
      ['a public address on the Redis port', { url: 'https://93.184.216.34:6379/', events: ['order.created'] }],
      ['a public address on the SMTP port', { url: 'https://93.184.216.34:25/', events: ['order.created'] }],
      ['a public address on the SSH port', { url: 'https://93.184.216.34:22/', events: ['order.created'] }],
      ['https on port 80', { url: 'https://93.184.216.34:80/hook', events: ['order.created'] }],
      ['https on port 8080', { url: 'https://93.184.216.34:8080/hook', events: ['order.created'] }],
      ['a public name on a database port', { url: 'https://public.example.test:5432/hook', events: ['order.created'] }],
    ];
    for (const [name, body] of refused) {
      test(`refuses ${name} with 400 problem+json and stores nothing`, async () => {
        const response = await register(bob, body);
        assert.equal(response.status, 400, response.body);
        assert.match(String(response.headers['content-type']), /^application\/problem\+json/);
        assert.ok(!response.body.includes('whsec_'));
        assert.equal(await storedWebhooks(bob.id), 1, 'only the webhook from the transfer test exists');
      });
    }

    test('a name resolving only to public addresses is accepted (nothing is dialled)', async () => {
      const response = await register(admin, { url: 'https://public.example.test/hook', events: ['order.created', 'transfer.completed'] });
      assert.equal(response.status, 201, response.body);
      assert.deepEqual((response.json() as { events: string[] }).events, ['order.created', 'transfer.completed']);
    });

    test('only ports 443 (explicit or implied) and 8443 are accepted, and the refusal says so', async () => {
      const dave = await user('dave', 'user');
      const refusal = await register(dave, { url: 'https://93.184.216.34:6379/', events: ['order.created'] });
      assert.equal((refusal.json() as { detail: string }).detail, 'Webhook URLs may only name port 443 or 8443 (443 when none is given).');
      for (const url of ['https://93.184.216.34:443/hook', 'https://public.example.test:8443/hook']) {
        const response = await register(dave, { url, events: ['order.created'] });
        assert.equal(response.status, 201, `${url}: ${response.body}`);
      }
      assert.equal(await storedWebhooks(dave.id), 2);
    });

    test('the per-user limit answers 409 and stores nothing more', async () => {
      const carol = await user('carol', 'user');
      for (let i = 0; i < 3; i++) assert.equal((await register(carol, { url: `https://93.184.216.3${i}/hook`, events: ['order.created'] })).status, 201);
      const over = await register(carol, { url: 'https://93.184.216.40/hook', events: ['order.created'] });
      assert.equal(over.status, 409, over.body);
      assert.equal(await storedWebhooks(carol.id), 3);
    });

    test("another user's webhook is a 404 identical to a missing one, on every route", async () => {
      const own = (await request(running.url, '/v1/webhooks', { headers: bearer(alice.token) })).json() as { items: { id: string }[] };
      const target = own.items[0]!.id;
      const missing = '00000000-0000-4000-8000-000000000000';
      for (const [method, suffix] of [['GET', ''], ['GET', '/deliveries'], ['DELETE', '']] as const) {
        const theirs = await request(running.url, `/v1/webhooks/${target}${suffix}`, { method, headers: bearer(bob.token) });
        const none = await request(running.url, `/v1/webhooks/${missing}${suffix}`, { method, headers: bearer(bob.token) });
        assert.equal(theirs.status, 404);
        assert.equal(theirs.body, none.body);
      }
      const bobs = (await request(running.url, '/v1/webhooks', { headers: bearer(bob.token) })).json() as { items: { id: string }[] };
      assert.ok(!bobs.items.some((item) => item.id === target));
      assert.equal((await request(running.url, `/v1/webhooks/${target}`, { headers: bearer(alice.token) })).status, 200, 'still there for its owner');
    });

    test('a read-only user cannot create webhooks', async () => {
      const reader = await user('reader', 'readonly');
      assert.equal((await register(reader, { url: 'https://93.184.216.34/hook', events: ['order.created'] })).status, 403);
      assert.equal((await request(running.url, '/v1/webhooks', { headers: bearer(reader.token) })).status, 200);
    });
  });
});

describe('webhooks without the loopback setting', () => {
  test('a loopback URL is refused with 400 and nothing is stored', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'rampart-webhooks-strict-'));
    const running = await start(dir, {});
    try {
      const { id } = await running.service.identity.createUser({ username: 'dave', password: STRONG_PASSWORD, role: 'user' }, OPERATOR);
      const token = (await login(running.url, 'dave')).access_token;
      for (const url of ['http://127.0.0.1:8080/hook', 'http://[::1]:8080/hook', 'http://127.1:8080/hook']) {
        const response = await request(running.url, '/v1/webhooks', { method: 'POST', headers: json(token), body: JSON.stringify({ url, events: ['order.created'] }) });
        assert.equal(response.status, 400, url);
        assert.match(String(response.headers['content-type']), /^application\/problem\+json/);
      }
      const { rows } = await sql<{ n: number | string }>`select count(*) as n from webhooks where owner_id = ${id}`.execute(running.service.database.db);
      assert.equal(Number(rows[0]!.n), 0);
    } finally {
      await running.close();
      rmSync(dir, { recursive: true, force: true });
    }
  });

  test('the setting is refused at boot in production', () => {
    assert.throws(
      () => loadConfig({ RAMPART_SECRET_KEY: 'x'.repeat(8), [LOOPBACK_SETTING]: 'true' }, tmpdir()),
      (error: unknown) => error instanceof ConfigError && error.problems.some((problem) => problem.startsWith(`${LOOPBACK_SETTING}=true is refused in production`)),
    );
    assert.throws(
      () => loadConfig({ NODE_ENV: 'development', [LOOPBACK_SETTING]: 'yes' }, tmpdir()),
      (error: unknown) => error instanceof ConfigError && error.problems.some((problem) => problem.startsWith(LOOPBACK_SETTING)),
    );
  });
});
