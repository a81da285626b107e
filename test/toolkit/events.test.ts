// The security event trail, run once per SQL backend: what record() stores and logs, how
// list() filters and pages, and that retention keeps the table bounded whatever attackers do.
import assert from 'node:assert/strict';
import { after, beforeEach, before, describe, it } from 'node:test';
import type { Kysely } from 'kysely';
import { pino } from 'pino';
import { identityMigrations } from '../../src/toolkit/auth/schema.ts';
import type { IdentityTables } from '../../src/toolkit/auth/schema.ts';
import { createSecurityEvents } from '../../src/toolkit/events/index.ts';
import type { SecurityEvents, SecurityEventsOptions, StoredSecurityEvent } from '../../src/toolkit/events/index.ts';
import { openDatabase, runMigrations } from '../../src/toolkit/stores/index.ts';
import type { Database } from '../../src/toolkit/stores/index.ts';
import { LogCapture } from '../helpers/http.ts';
import { createTestDatabase } from './stores/services.ts';

interface Backend {
  open: () => Database<IdentityTables>;
  cleanup: () => Promise<void>;
}

const T0 = 1_700_000_000_000;

function eventsContract(name: string, setup: () => Promise<Backend>): void {
  void describe(`security events: ${name}`, () => {
    let backend: Backend | undefined;
    let database: Database<IdentityTables>;
    let db: Kysely<IdentityTables>;
    let log: LogCapture;
    let clock: number;

    /** A trail on the shared database with a controllable clock and a captured log. */
    const trail = (options: Partial<SecurityEventsOptions> = {}): SecurityEvents =>
      createSecurityEvents({ db, logger: pino({ base: undefined }, log), now: () => clock, ...options });

    const storedRows = () => db.selectFrom('security_events').selectAll().orderBy('at').orderBy('id').execute();

    before(async () => {
      backend = await setup();
      database = backend.open();
      db = database.db;
      await runMigrations(database, identityMigrations);
    });
    after(async () => {
      if (backend === undefined) return; // the service was unreachable; before() reported it
      await database.close();
      await backend.cleanup();
    });
    beforeEach(async () => {
      await db.deleteFrom('security_events').execute();
      log = new LogCapture();
      clock = T0;
    });

    void describe('record and list', () => {
      void it('stores an event with its principal, address and detail, and lists it back', async () => {
        const events = trail();
        await events.record({
          type: 'login_failed', principalId: 'u-1', clientIp: '203.0.113.7',
          detail: { reason: 'bad_password', attempt: 3, remembered: false, note: null },
        });
        const rows = await storedRows();
        assert.equal(rows.length, 1);
        const row = rows[0]!;
        assert.deepEqual(
          { ...row, id: typeof row.id, detail: JSON.parse(row.detail) },
          {
            id: 'string', type: 'login_failed', at: T0, principal_id: 'u-1', client_ip: '203.0.113.7',
            detail: { reason: 'bad_password', attempt: 3, remembered: false, note: null },
          },
        );
        assert.deepEqual(await events.list(), [{
          id: row.id, type: 'login_failed', at: T0, principalId: 'u-1', clientIp: '203.0.113.7',
          detail: { reason: 'bad_password', attempt: 3, remembered: false, note: null },
        }]);
      });

      void it('stores a missing principal, address and detail as null, null and {}', async () => {
        await trail().record({ type: 'signing_key_rotated' });
        const [row] = await storedRows();
        assert.deepEqual([row?.principal_id, row?.client_ip, row?.detail], [null, null, '{}']);
      });

      void it('lists newest first and filters by type, principal and a half-open time range', async () => {
        const events = trail();
        const plan = [
          ['login_failed', 'alice'], ['login_succeeded', 'alice'], ['login_failed', 'bob'],
          ['access_denied', 'bob'], ['login_failed', 'alice'], ['logout', 'alice'],
        ] as const;
        for (const [i, [type, principalId]] of plan.entries()) {
          clock = T0 + i * 1000;
          await events.record({ type, principalId, detail: { i } });
        }
        const order = (list: StoredSecurityEvent[]) => list.map((e) => e.detail.i);
        assert.deepEqual(order(await events.list()), [5, 4, 3, 2, 1, 0]);
        assert.deepEqual(order(await events.list({ type: 'login_failed' })), [4, 2, 0]);
        assert.deepEqual(order(await events.list({ principalId: 'alice' })), [5, 4, 1, 0]);
        assert.deepEqual(order(await events.list({ type: 'login_failed', principalId: 'alice' })), [4, 0]);
        assert.deepEqual(order(await events.list({ since: T0 + 1000, until: T0 + 4000 })), [3, 2, 1]);
        assert.deepEqual(order(await events.list({ limit: 2 })), [5, 4]);
        assert.deepEqual(await events.list({ principalId: 'carol' }), []);
      });

      void it('pages with the keyset cursor without gaps or repeats, even within one millisecond', async () => {
        const events = trail();
        for (let i = 0; i < 7; i++) await events.record({ type: 'rate_limited', detail: { i } });
        const pages: number[][] = [];
        let before: { at: number; id: string } | undefined;
        for (;;) {
          const page = await events.list({ limit: 3, ...(before === undefined ? {} : { before }) });
          if (page.length === 0) break;
          pages.push(page.map((e) => e.detail.i as number));
          const last = page.at(-1)!;
          before = { at: last.at, id: last.id };
        }
        assert.deepEqual(pages, [[6, 5, 4], [3, 2, 1], [0]]);
      });

      void it('refuses a limit outside 1..500 and a non-integer time', async () => {
        const events = trail();
        await assert.rejects(events.list({ limit: 501 }), RangeError);
        await assert.rejects(events.list({ limit: 0 }), RangeError);
        await assert.rejects(events.list({ limit: 2.5 }), RangeError);
        await assert.rejects(events.list({ since: Number.NaN }), TypeError);
        assert.deepEqual(await events.list({ limit: 500 }), []);
      });
    });

    void describe('Security: detail never carries secrets and stays bounded', () => {
      const secrets = {
        password: 'hunter2-password', new_password: 'hunter3-password', api_key: 'rk_live_abcdef',
        refreshToken: 'rt-opaque-value', 'Set-Cookie': 'sid=session-cookie-value', authorization: 'Basic dXNlcjpwYXNz',
        clientSecret: 'client-secret-value', 'X-Api-Key': 'header-key-value', credentials: 'cred-value',
      };

      void it('drops secret-looking keys from the stored row and from the log line', async () => {
        await trail().record({ type: 'login_failed', principalId: 'u-1', detail: { ...secrets, username: 'alice' } });
        const [row] = await storedRows();
        assert.deepEqual(JSON.parse(row!.detail), { username: 'alice' });
        for (const value of Object.values(secrets)) {
          assert.ok(!row!.detail.includes(value), `stored ${value}`);
          assert.ok(!log.text.includes(value), `logged ${value}`);
        }
      });

      void it('redacts bearer credentials and JWTs passed under innocent keys', async () => {
        const jwt = 'eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiJhIn0.c2lnbmF0dXJl';
        await trail().record({ type: 'access_denied', detail: { header: `Bearer ${jwt}`, value: jwt, route: '/orders' } });
        const [row] = await storedRows();
        assert.deepEqual(JSON.parse(row!.detail), { header: '[redacted]', value: '[redacted]', route: '/orders' });
        assert.ok(!log.text.includes(jwt));
      });

      void it('cuts strings to 200 characters and keeps at most 20 keys', async () => {
        const detail: Record<string, string> = { long: 'x'.repeat(10_000) };
        for (let i = 0; i < 30; i++) detail[`k${i}`] = 'v';
        await trail().record({ type: 'object_enumeration', clientIp: '1'.repeat(5000), detail });
        const [row] = await storedRows();
        const stored = JSON.parse(row!.detail) as Record<string, string>;
        assert.equal(Object.keys(stored).length, 20);
        assert.equal(stored.long, 'x'.repeat(200));
        assert.equal(row!.client_ip?.length, 200);
      });

      void it('drops values that are not plain scalars and keys that would shadow the log fields', async () => {
        const detail = JSON.parse('{"__proto__": {"polluted": true}, "event": "login_succeeded", "level": 10, "msg": "fake", "ok": 1}') as Record<string, string>;
        Object.assign(detail, { inf: Number.POSITIVE_INFINITY, nested: { a: 1 } });
        await trail().record({ type: 'admin_action', detail });
        const [row] = await storedRows();
        assert.deepEqual(JSON.parse(row!.detail), { ok: 1, inf: null });
        const [line] = log.entries();
        assert.equal(line?.event, 'admin_action');
        assert.equal(line.msg, 'security event');
        assert.equal(({} as Record<string, unknown>).polluted, undefined);
      });
    });

    void describe('retention', () => {
      void it('Security: keeps the table bounded by count while events keep coming, and prune() leaves exactly the newest', async () => {
        const events = trail({ retention: { maxCount: 10 }, pruneEvery: 5 });
        for (let i = 0; i < 30; i++) {
          clock = T0 + i;
          await events.record({ type: 'login_failed', clientIp: '198.51.100.9', detail: { i } });
          const count = (await storedRows()).length;
          assert.ok(count <= 14, `${count} rows after ${i + 1} records`);
        }
        const before = (await storedRows()).length;
        assert.equal(await events.prune(), before - 10);
        const rows = await storedRows();
        assert.deepEqual(rows.map((r) => (JSON.parse(r.detail) as { i: number }).i), [20, 21, 22, 23, 24, 25, 26, 27, 28, 29]);
      });

      void it('prunes by count exactly even when every event has the same timestamp', async () => {
        const events = trail({ retention: { maxCount: 3 } });
        for (let i = 0; i < 8; i++) await events.record({ type: 'csrf_rejected', detail: { i } });
        assert.equal(await events.prune(), 5);
        assert.deepEqual((await events.list()).map((e) => e.detail.i), [7, 6, 5]);
      });

      void it('deletes events older than maxAgeMs, using the injected clock by default', async () => {
        const events = trail({ retention: { maxAgeMs: 60_000 } });
        for (const offset of [0, 30_000, 90_000, 120_000]) {
          clock = T0 + offset;
          await events.record({ type: 'token_refreshed', detail: { offset } });
        }
        clock = T0 + 150_000; // cutoff T0 + 90 000: the events at 0 and 30 s go
        assert.equal(await events.prune(), 2);
        assert.deepEqual((await events.list()).map((e) => e.detail.offset), [120_000, 90_000]);
        assert.equal(await events.prune(T0 + 170_000), 1); // an explicit time: cutoff T0 + 110 000
        assert.deepEqual((await events.list()).map((e) => e.detail.offset), [120_000]);
      });
    });

    void describe('log line', () => {
      void it('writes one structured line per event, at warn for attack signals and info otherwise', async () => {
        const events = trail();
        await events.record({ type: 'login_failed', principalId: 'u-1', clientIp: '203.0.113.7', detail: { reason: 'bad_password', password: 'hunter2' } });
        await events.record({ type: 'login_succeeded', principalId: 'u-1', clientIp: '203.0.113.7' });
        assert.deepEqual(log.entries(), [
          { level: 40, time: log.entries()[0]?.time, event: 'login_failed', principalId: 'u-1', clientIp: '203.0.113.7', reason: 'bad_password', msg: 'security event' },
          { level: 30, time: log.entries()[1]?.time, event: 'login_succeeded', principalId: 'u-1', clientIp: '203.0.113.7', msg: 'security event' },
        ]);
        assert.ok(!log.text.includes('hunter2'));
      });
    });

    void describe('failures', () => {
      void it('resolves when the database is closed, logging the failed write at error level', async () => {
        const closed = backend!.open();
        await runMigrations(closed, identityMigrations);
        await closed.close();
        const events = createSecurityEvents({ db: closed.db, logger: pino({ base: undefined }, log) });
        await events.record({ type: 'account_locked', principalId: 'u-9', detail: { rule: 'account' } });
        const errors = log.entries().filter((e) => e.level === 50);
        assert.equal(errors.length, 1);
        assert.equal(errors[0]?.event, 'account_locked');
        assert.equal(errors[0].msg, 'security event could not be stored');
        // the event itself still reached the log
        assert.ok(log.entries().some((e) => e.level === 40 && e.event === 'account_locked'));
      });

      void it('does not record an unknown event type, and says so at error level', async () => {
        await trail().record({ type: 'made_up' as 'logout' });
        assert.deepEqual(await storedRows(), []);
        assert.equal(log.entries()[0]?.level, 50);
      });

      void it('refuses invalid options with a message naming the option', () => {
        assert.throws(() => trail({ retention: { maxCount: 0 } }), /retention\.maxCount must be a positive integer/);
        assert.throws(() => trail({ pruneEvery: 1.5 }), /pruneEvery must be a positive integer/);
        assert.throws(() => trail({ retention: { maxAge: 1 } as unknown as { maxAgeMs: number } }), /unsupported property `maxAge`/);
      });
    });
  });
}

eventsContract('sqlite', () => Promise.resolve({
  // Each open() is a separate in-memory database; the "closed database" test needs only that.
  open: () => openDatabase<IdentityTables>({ databaseUrl: 'sqlite::memory:', dataDir: '/nonexistent' }),
  cleanup: () => Promise.resolve(),
}));

eventsContract('postgres', async () => {
  const pg = await createTestDatabase();
  return {
    open: () => openDatabase<IdentityTables>({ databaseUrl: pg.url, dataDir: '/nonexistent', postgres: { maxConnections: 3 } }),
    cleanup: () => pg.drop(),
  };
});
