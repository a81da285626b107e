// The webhook dispatcher against node:sqlite and PostgreSQL: two dispatchers racing over one
// queue deliver every row exactly once (the claim is one conditional UPDATE with a lease),
// failures back off and end as `failed` after maxAttempts, and the back-off stays in bounds.
// Receivers are on 127.0.0.1 only.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { randomBytes, randomUUID } from 'node:crypto';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import fc from 'fast-check';
import type { Kysely } from 'kysely';
import { pino } from 'pino';
import { migrations } from '../../src/app/migrations/index.ts';
import { backoffDelay, createDispatcher, DEFAULT_DISPATCHER, excerpt } from '../../src/app/webhooks/dispatcher.ts';
import { enqueueEvent } from '../../src/app/webhooks/outbox.ts';
import { createWebhookStore } from '../../src/app/webhooks/store.ts';
import type { WebhookTables } from '../../src/app/webhooks/tables.ts';
import { openDatabase, openFieldKeyring, runMigrations, verifyWebhookSignature, type Database, type FieldKeyring } from '../../src/toolkit/index.ts';
import { createTempDir, createTestDatabase } from '../toolkit/stores/services.ts';
import { closeAll } from '../helpers/close-all.ts';

const log = pino({ level: 'silent' });

async function receiver(status: () => number): Promise<{ server: Server; port: number; ids: string[]; bodies: Map<string, { signature: string; body: string }> }> {
  const ids: string[] = [];
  const bodies = new Map<string, { signature: string; body: string }>();
  const server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const id = String(req.headers['rampart-delivery-id']);
      ids.push(id);
      bodies.set(id, { signature: String(req.headers['rampart-signature']), body: Buffer.concat(chunks).toString('utf8') });
      res.writeHead(status()).end();
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return { server, port: (server.address() as AddressInfo).port, ids, bodies };
}
const close = (server: Server): Promise<void> => new Promise((resolve) => { server.closeAllConnections(); server.close(() => resolve()); });

for (const backend of ['sqlite', 'postgres'] as const) {
  describe(`webhook dispatcher (${backend})`, () => {
    let database: Database<unknown>;
    let db: Kysely<WebhookTables>;
    let keyring: FieldKeyring;
    let cleanup: () => Promise<void>;
    let owner: string;

    before(async () => {
      const temp = await createTempDir();
      if (backend === 'postgres') {
        const pg = await createTestDatabase();
        database = openDatabase({ databaseUrl: pg.url, dataDir: temp.dir });
        cleanup = async () => { await database.close(); await pg.drop(); await temp.remove(); };
      } else {
        database = openDatabase({ dataDir: temp.dir });
        cleanup = async () => { await database.close(); await temp.remove(); };
      }
      await runMigrations(database, migrations);
      db = database.db;
      keyring = await openFieldKeyring({ database, rootSecret: randomBytes(32) });
      owner = randomUUID();
      const t = Date.now();
      await (database.db as Kysely<{ users: { id: string; username: string; password_hash: string; role: string; created_at: number; updated_at: number } }>)
        .insertInto('users').values({ id: owner, username: `u${t}`, password_hash: 'x', role: 'user', created_at: t, updated_at: t }).execute();
    });
    after(() => closeAll(() => cleanup()));

    async function hook(port: number): Promise<{ id: string; secret: string }> {
      const created = await createWebhookStore(db, keyring).create(owner, `http://127.0.0.1:${port}/`, ['order.created'], 100);
      assert.ok(created);
      return created;
    }

    test('two dispatchers racing over one queue deliver every row exactly once', async () => {
      const target = await receiver(() => 204);
      try {
        const { secret } = await hook(target.port);
        for (let i = 0; i < 30; i++) await enqueueEvent(db, owner, 'order.created', { n: i });
        const options = { ...DEFAULT_DISPATCHER, batchSize: 4, allowInsecureLoopback: true };
        const a = createDispatcher(db, keyring, options, log);
        const b = createDispatcher(db, keyring, options, log);
        try {
          for (let round = 0; round < 50; round++) {
            const [x, y] = await Promise.all([a.runOnce(), b.runOnce()]);
            if (x + y === 0) break;
          }
        } finally {
          await Promise.all([a.stop(), b.stop()]);
        }
        assert.equal(target.ids.length, 30);
        assert.equal(new Set(target.ids).size, 30, 'no delivery id arrived twice');
        const rows = await db.selectFrom('webhook_deliveries').select(['id', 'status', 'attempts']).execute();
        assert.ok(rows.every((row) => row.status === 'delivered' && row.attempts === 1));
        for (const { signature, body } of target.bodies.values()) assert.equal(verifyWebhookSignature(secret, signature, body), true);
      } finally {
        await close(target.server);
      }
    });

    test('a stored target on a port outside 443/8443 is refused at delivery, before any connection', async () => {
      await db.deleteFrom('webhook_deliveries').execute();
      await db.deleteFrom('webhooks').execute();
      // Written past the registration check, as a target from before the port rule would be.
      const created = await createWebhookStore(db, keyring).create(owner, 'https://93.184.216.34:6379/', ['order.created'], 100);
      assert.ok(created);
      await enqueueEvent(db, owner, 'order.created', { n: 'x' });
      const dialled: unknown[] = [];
      const dispatcher = createDispatcher(db, keyring, { ...DEFAULT_DISPATCHER, allowInsecureLoopback: false, connector: (target, callback) => { dialled.push(target); callback(new Error('no network in tests'), null); } }, log);
      try {
        assert.equal(await dispatcher.runOnce(), 1);
      } finally {
        await dispatcher.stop();
      }
      const row = await db.selectFrom('webhook_deliveries').selectAll().where('webhook_id', '=', created.id).executeTakeFirstOrThrow();
      assert.equal(row.last_error, 'refused: port');
      assert.deepEqual(dialled, []);
    });

    test('a receiver answering 500 is retried with back-off, then the delivery is failed', async () => {
      const target = await receiver(() => 500);
      try {
        await db.deleteFrom('webhook_deliveries').execute();
        await db.deleteFrom('webhooks').execute();
        const { id } = await hook(target.port);
        await enqueueEvent(db, owner, 'order.created', { n: 'x' });
        const dispatcher = createDispatcher(db, keyring, { ...DEFAULT_DISPATCHER, backoffBaseMs: 400, backoffMaxMs: 800, maxAttempts: 3, allowInsecureLoopback: true }, log);
        try {
          assert.equal(await dispatcher.runOnce(), 1);
          const first = await db.selectFrom('webhook_deliveries').selectAll().where('webhook_id', '=', id).executeTakeFirstOrThrow();
          assert.equal(first.status, 'pending');
          assert.equal(first.last_status, 500);
          assert.equal(first.last_error, 'HTTP 500');
          assert.ok(first.next_attempt_at > Date.now() - 1000 && first.lease_owner === null);
          // The first back-off is 200–400 ms: a loaded machine must not have spent it already.
          assert.ok(first.next_attempt_at - Date.now() > 50, 'the back-off is still running');
          assert.equal(await dispatcher.runOnce(), 0, 'not due again before its back-off');
          for (let i = 0; i < 300; i++) {
            const row = await db.selectFrom('webhook_deliveries').select('status').where('webhook_id', '=', id).executeTakeFirstOrThrow();
            if (row.status === 'failed') break;
            await dispatcher.runOnce();
            await new Promise((resolve) => setTimeout(resolve, 10));
          }
        } finally {
          await dispatcher.stop();
        }
        const last = await db.selectFrom('webhook_deliveries').selectAll().where('webhook_id', '=', id).executeTakeFirstOrThrow();
        assert.equal(last.status, 'failed');
        assert.equal(last.attempts, 3);
        assert.equal(target.ids.length, 3);
      } finally {
        await close(target.server);
      }
    });
  });
}

describe('back-off and excerpts', () => {
  test('the delay is between half and all of min(max, base·2^(n-1))', () => {
    fc.assert(
      fc.property(fc.integer({ min: 1, max: 40 }), fc.integer({ min: 1, max: 60_000 }), fc.double({ min: 0, max: 0.999_999, noNaN: true }), (attempts, base, r) => {
        const ceiling = Math.min(3_600_000, base * 2 ** (attempts - 1));
        const delay = backoffDelay(attempts, base, 3_600_000, () => r);
        return delay >= Math.floor(ceiling / 2) && delay <= Math.ceil(ceiling);
      }),
    );
  });

  test('response excerpts are short and printable', () => {
    assert.equal(excerpt(Buffer.from('ok\r\n<script>\u202e')), 'ok??<script>?');
    assert.equal(excerpt(Buffer.alloc(5000, 0x41)).length, 200);
  });
});
