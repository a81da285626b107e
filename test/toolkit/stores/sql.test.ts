import assert from 'node:assert/strict';
import { stat } from 'node:fs/promises';
import { join } from 'node:path';
import { DatabaseSync } from 'node:sqlite';
import { after, before, describe, it } from 'node:test';
import { sql } from 'kysely';
import { openDatabase, openPostgres, openSqlite, runMigrations } from '../../../src/toolkit/stores/index.ts';
import type { Database } from '../../../src/toolkit/stores/index.ts';
import { migrations, sqlContract } from './sql-contract.ts';
import type { TestDB } from './sql-contract.ts';
import { createTempDir, createTestDatabase, sleep } from './services.ts';
import { closeAll } from '../../helpers/close-all.ts';

sqlContract('sqlite file', async () => {
  const temp = await createTempDir();
  const database = openDatabase<TestDB>({ dataDir: temp.dir });
  return { database, cleanup: async () => { await database.close(); await temp.remove(); } };
});

sqlContract('sqlite :memory:', () => {
  const database = openDatabase<TestDB>({ databaseUrl: 'sqlite::memory:', dataDir: '/nonexistent' });
  return Promise.resolve({ database, cleanup: () => database.close() });
});

sqlContract('postgres', async () => {
  const pg = await createTestDatabase();
  const database = openDatabase<TestDB>({ databaseUrl: pg.url, dataDir: '/nonexistent', postgres: { maxConnections: 5 } });
  return { database, cleanup: async () => { await database.close(); await pg.drop(); } };
});

void describe('sqlite connection lock', () => {
  let database: Database<TestDB>;
  before(async () => {
    database = openSqlite<TestDB>({ filename: ':memory:', queueTimeoutMs: 300 });
    await runMigrations(database, migrations);
  });
  after(() => closeAll(database));

  void it('Security: a query issued during a transaction waits, and never sees its uncommitted writes', async () => {
    const { db } = database;
    let outside: Promise<{ id: string }[]> | undefined;
    let settled = false;
    await assert.rejects(db.transaction().execute(async (trx) => {
      await trx.insertInto('note').values({ id: 'uncommitted', owner: 'o', body: 'b', data: null }).execute();
      outside = db.selectFrom('note').select('id').where('id', '=', 'uncommitted').execute();
      void outside.then(() => { settled = true; });
      await sleep(50);
      assert.equal(settled, false, 'the outside query ran inside the open transaction');
      throw new Error('roll back');
    }), /roll back/);
    assert.deepEqual(await outside, []);
  });

  void it('fails a query made through db inside a transaction with ERR_STORE_BUSY instead of hanging', async () => {
    const { db } = database;
    await db.transaction().execute(async (trx) => {
      await assert.rejects(db.selectFrom('note').select('id').execute(), { code: 'ERR_STORE_BUSY' });
      await trx.selectFrom('note').select('id').execute(); // the transaction itself carries on
    });
  });

  void it('binds booleans as 1/0, Dates as ISO text, objects as JSON, and refuses arrays', async () => {
    const row = await sql<{ b: number; d: string; o: string }>`select ${true} as b, ${new Date(0)} as d, ${{ a: 1 }} as o`
      .execute(database.db);
    assert.deepEqual({ ...row.rows[0] }, { b: 1, d: '1970-01-01T00:00:00.000Z', o: '{"a":1}' });
    await assert.rejects(sql`select ${[1, 2]} as a`.execute(database.db), { code: 'ERR_STORE_INVALID_ARGUMENT' });
  });

  void it('rejects queries after close with ERR_STORE_CLOSED or Kysely\'s destroyed error', async () => {
    const other = openSqlite<TestDB>({ filename: ':memory:' });
    await other.ping();
    await other.close();
    await assert.rejects(other.ping());
  });
});

void describe('sqlite file locked by another connection', () => {
  let temp: { dir: string; remove: () => Promise<void> };
  let database: Database<TestDB>;
  let holder: DatabaseSync;
  before(async () => {
    temp = await createTempDir();
    database = openSqlite<TestDB>({ filename: join(temp.dir, 'locked.db'), busyTimeoutMs: 400 });
    await runMigrations(database, migrations);
    holder = new DatabaseSync(join(temp.dir, 'locked.db'));
  });
  after(async () => {
    if (holder.isTransaction) holder.exec('rollback');
    holder.close();
    await database.close();
    await temp.remove();
  });

  void it('a write waits for the lock without blocking the event loop, then goes through', async () => {
    holder.exec('begin immediate');
    let ticks = 0;
    const ticker = setInterval(() => { ticks += 1; }, 5);
    const write = database.db.insertInto('note').values({ id: 'waited', owner: 'o', body: 'b', data: null }).execute();
    await sleep(100);
    holder.exec('commit');
    await write;
    clearInterval(ticker);
    assert.ok(ticks > 0, 'timers ran while the write waited');
    assert.equal((await database.db.selectFrom('note').select('id').where('id', '=', 'waited').execute()).length, 1);
  });

  void it('past busyTimeoutMs the write fails with SQLITE_BUSY (mapped to 503 by the server), and nothing is written', async () => {
    holder.exec('begin immediate');
    try {
      await assert.rejects(
        database.db.transaction().execute((trx) => trx.insertInto('note').values({ id: 'refused', owner: 'o', body: 'b', data: null }).execute()),
        (error: { code?: string; errcode?: number }) => error.code === 'ERR_SQLITE_ERROR' && error.errcode === 5,
      );
    } finally {
      holder.exec('rollback');
    }
    assert.equal((await database.db.selectFrom('note').select('id').where('id', '=', 'refused').execute()).length, 0);
  });
});

void describe('openDatabase', () => {
  void it('creates <dataDir>/rampart.db owner-only, in WAL mode with foreign keys on', async () => {
    const temp = await createTempDir();
    const dataDir = join(temp.dir, 'nested', 'data');
    const database = openDatabase({ dataDir });
    assert.equal(database.dialect, 'sqlite');
    const pragma = async (name: string): Promise<unknown> =>
      Object.values((await sql.raw(`pragma ${name}`).execute(database.db)).rows[0] as object)[0];
    assert.equal(await pragma('journal_mode'), 'wal');
    assert.equal(await pragma('foreign_keys'), 1);
    assert.equal(await pragma('synchronous'), 1); // NORMAL
    // SQLite's busy handler would sleep on the event loop's thread: the connection waits itself.
    assert.equal(Number(await pragma('busy_timeout')), 0);
    assert.equal((await stat(dataDir)).mode & 0o777, 0o700);
    assert.equal((await stat(join(dataDir, 'rampart.db'))).mode & 0o777, 0o600);
    await database.close();
    await temp.remove();
  });

  void it('selects PostgreSQL for postgresql:// URLs too', async () => {
    const pg = await createTestDatabase();
    const database = openDatabase({ databaseUrl: pg.url.replace(/^postgres:/, 'postgresql:'), dataDir: '/nonexistent' });
    assert.equal(database.dialect, 'postgres');
    await database.ping();
    await database.close();
    await pg.drop();
  });

  void it('Security: refuses an unsupported scheme, naming it, without echoing credentials', () => {
    assert.throws(
      () => openDatabase({ databaseUrl: 'mysql://admin:hunter2-secret@db.internal:3306/app?password=hunter2', dataDir: '/x' }),
      (error: Error & { code?: string }) =>
        error.code === 'ERR_STORE_UNSUPPORTED_URL' && error.message.includes('"mysql:"') &&
        !JSON.stringify({ m: error.message, s: error.stack, c: String(error.cause) }).includes('hunter2'),
    );
  });

  void it('Security: refuses a malformed URL without echoing it', () => {
    assert.throws(
      () => openDatabase({ databaseUrl: 'hunter2-secret not a url', dataDir: '/x' }),
      (error: Error & { code?: string }) => error.code === 'ERR_STORE_UNSUPPORTED_URL' && !String(error.stack).includes('hunter2'),
    );
  });

  void it('Security: an unreachable PostgreSQL fails ping with ERR_STORE_UNAVAILABLE, password not shown', async () => {
    const database = openPostgres({ url: 'postgres://app:hunter2@127.0.0.1:1/app', connectionTimeoutMs: 1000 });
    await assert.rejects(database.ping(), (error: Error & { code?: string }) =>
      error.code === 'ERR_STORE_UNAVAILABLE' && !error.message.includes('hunter2') && error.message.includes('127.0.0.1:1'));
    await database.close();
  });
});

void describe('database options', () => {
  void it('refuse pool sizes and timeouts that are not positive integers', () => {
    const url = 'postgres://app@127.0.0.1/app';
    assert.throws(() => openPostgres({ url, maxConnections: 0 }), { code: 'ERR_STORE_INVALID_ARGUMENT' });
    assert.throws(() => openPostgres({ url, statementTimeoutMs: 1.5 }), { code: 'ERR_STORE_INVALID_ARGUMENT' });
    assert.throws(() => openSqlite({ filename: ':memory:', busyTimeoutMs: Number.NaN }), { code: 'ERR_STORE_INVALID_ARGUMENT' });
    assert.throws(() => openSqlite({ filename: ':memory:', statementCacheSize: -1 }), { code: 'ERR_STORE_INVALID_ARGUMENT' });
  });
});
