// The behaviour every SQL backend must have, written once with the same Kysely code that
// application code uses: if it passes here on SQLite and PostgreSQL, the switch is config.
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { sql } from 'kysely';
import type { Kysely } from 'kysely';
import { runMigrations } from '../../../src/toolkit/stores/index.ts';
import type { Database, Migration } from '../../../src/toolkit/stores/index.ts';

export interface TestDB {
  counter: { id: string; value: number };
  note: { id: string; owner: string; body: string; data: Uint8Array | null };
}

export interface SqlFixture {
  database: Database<TestDB>;
  cleanup: () => Promise<void>;
}

/** Example migrations: Kysely's schema builder only, so they run on both dialects. */
export const migrations: Record<string, Migration> = {
  '0001_counter': {
    async up(db) {
      await db.schema.createTable('counter')
        .addColumn('id', 'text', (c) => c.primaryKey())
        .addColumn('value', 'integer', (c) => c.notNull())
        .execute();
    },
  },
  '0002_note': {
    async up(db) {
      await db.schema.createTable('note')
        .addColumn('id', 'text', (c) => c.primaryKey())
        .addColumn('owner', 'text', (c) => c.notNull())
        .addColumn('body', 'text', (c) => c.notNull())
        // PostgreSQL's name for bytes; SQLite accepts any type name and stores blobs as blobs.
        .addColumn('data', sql`bytea`)
        .execute();
    },
  },
};

/** The test's "request handler": read, compute in JS, write, inside one transaction. */
async function increment(db: Kysely<TestDB>, id: string): Promise<void> {
  await db.transaction().execute(async (trx) => {
    const row = await trx.selectFrom('counter').select('value').where('id', '=', id).forUpdate().executeTakeFirstOrThrow();
    await new Promise((resolve) => setImmediate(resolve)); // invite other requests to interleave
    await trx.updateTable('counter').set({ value: row.value + 1 }).where('id', '=', id).execute();
  });
}

export function sqlContract(name: string, open: () => Promise<SqlFixture>): void {
  void describe(`SQL contract: ${name}`, () => {
    let fixture: SqlFixture | undefined;
    let database: Database<TestDB>;
    let db: Kysely<TestDB>;
    let firstRun: string[];
    before(async () => {
      fixture = await open();
      database = fixture.database;
      db = database.db;
      firstRun = await runMigrations(database, migrations);
    });
    after(() => fixture?.cleanup()); // undefined when the service was unreachable

    void it('runs pending migrations once, records them, and does nothing the second time', async () => {
      assert.deepEqual(firstRun, ['0001_counter', '0002_note']);
      assert.deepEqual(await runMigrations(database, migrations), []);
      const { rows } = await sql<{ name: string }>`select name from rampart_migration order by name`.execute(db);
      assert.deepEqual(rows.map((r) => r.name), ['0001_counter', '0002_note']);
    });

    void it('names a failing migration and leaves none of its batch applied', async () => {
      const broken: Record<string, Migration> = {
        ...migrations,
        '0003_fine': { up: (k) => k.schema.createTable('fine').addColumn('id', 'text').execute() },
        '0004_broken': {
          async up(k) {
            await k.schema.createTable('half').addColumn('id', 'text').execute();
            throw new Error('boom');
          },
        },
      };
      await assert.rejects(runMigrations(database, broken), (error: Error & { code?: string }) =>
        error.code === 'ERR_STORE_MIGRATION_FAILED' && error.message.includes('"0004_broken"'));
      const tables = (await db.introspection.getTables()).map((t) => t.name);
      assert.ok(!tables.includes('fine') && !tables.includes('half'), `left behind: ${tables.join(', ')}`);
      const { rows } = await sql<{ n: number }>`select count(*) as n from rampart_migration`.execute(db);
      assert.equal(rows[0]?.n, 2);
    });

    void it('Security: binds parameters, so SQL inside a value is stored as plain data', async () => {
      const body = "'); DROP TABLE note; --";
      const owner = "x' OR '1'='1";
      await db.insertInto('note').values({ id: 'inject', owner, body, data: null }).execute();
      const found = await db.selectFrom('note').selectAll().where('owner', '=', owner).execute();
      assert.deepEqual(found.map((r) => [r.id, r.body]), [['inject', body]]);
      const none = await db.selectFrom('note').select('id').where('owner', '=', "nobody' OR '1'='1").execute();
      assert.deepEqual(none, []);
    });

    void it('rolls back every write of a transaction that throws', async () => {
      await assert.rejects(db.transaction().execute(async (trx) => {
        await trx.insertInto('note').values({ id: 'tx-1', owner: 'o', body: 'b', data: null }).execute();
        await trx.insertInto('note').values({ id: 'tx-2', owner: 'o', body: 'b', data: null }).execute();
        throw new Error('handler failed half-way');
      }), /handler failed half-way/);
      const left = await db.selectFrom('note').select('id').where('id', 'in', ['tx-1', 'tx-2']).execute();
      assert.deepEqual(left, []);
    });

    void it('ends 20 concurrent read-modify-write transactions with the exact total', async () => {
      await db.insertInto('counter').values({ id: 'race', value: 0 }).execute();
      await Promise.all(Array.from({ length: 20 }, () => increment(db, 'race')));
      const row = await db.selectFrom('counter').select('value').where('id', '=', 'race').executeTakeFirstOrThrow();
      assert.equal(row.value, 20);
    });

    void it('returns integers, count(*) included, as JavaScript numbers', async () => {
      await db.insertInto('counter').values({ id: 'typed', value: 41 }).execute();
      const row = await db.selectFrom('counter').select('value').where('id', '=', 'typed').executeTakeFirstOrThrow();
      const { n } = await db.selectFrom('counter').select((eb) => eb.fn.countAll().as('n')).executeTakeFirstOrThrow();
      assert.equal(row.value, 41);
      assert.equal(typeof n, 'number');
    });

    void it('round-trips unicode text and bytes', async () => {
      const bytes = new Uint8Array([0, 1, 254, 255]);
      await db.insertInto('note').values({ id: 'bytes', owner: 'ä😀', body: '', data: bytes }).execute();
      const row = await db.selectFrom('note').selectAll().where('id', '=', 'bytes').executeTakeFirstOrThrow();
      assert.equal(row.owner, 'ä😀');
      assert.equal(row.body, '');
      assert.deepEqual(Buffer.from(row.data!), Buffer.from(bytes));
    });

    void it('answers ping', async () => {
      await database.ping();
    });
  });
}
