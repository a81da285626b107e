// The field keyring and key rotation on both dialects: round trip, binding to row and column,
// tampering, unknown keys, keys added by another process, and compare-and-set rotation.
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { describe, it } from 'node:test';
import { sql, type Kysely } from 'kysely';
import {
  FieldDecryptError,
  identityMigrations,
  openDatabase,
  openFieldKeyring,
  rotateFieldKeys,
  runMigrations,
  type Database,
  type FieldContext,
  type FieldKeyring,
} from '../../../src/toolkit/index.ts';
import { createTestDatabase } from '../stores/services.ts';

const ROOT = randomBytes(32);
const here: FieldContext = { table: 'notes', column: 'body', rowId: 'row-1' };

interface Notes {
  notes: { id: string; body: string | null };
}

async function withDatabase(dialect: 'sqlite' | 'postgres', work: (database: Database<unknown>) => Promise<void>): Promise<void> {
  const pg = dialect === 'postgres' ? await createTestDatabase() : undefined;
  const database = openDatabase<unknown>({ databaseUrl: pg?.url ?? 'sqlite::memory:', dataDir: '/nonexistent' });
  try {
    await runMigrations(database, identityMigrations);
    await database.db.schema.createTable('notes').addColumn('id', 'text', (c) => c.primaryKey()).addColumn('body', 'text').execute();
    await work(database);
  } finally {
    await database.close();
    await pg?.drop();
  }
}

async function rejectsWith(promise: Promise<unknown>, code: string): Promise<void> {
  await assert.rejects(promise, (error: unknown) => error instanceof FieldDecryptError && error.code === code);
}

for (const dialect of ['sqlite', 'postgres'] as const) {
  describe(`field keyring (${dialect})`, () => {
    it('round-trips, binds the ciphertext to its row and column, and refuses altered values', () =>
      withDatabase(dialect, async (database) => {
        const keyring = await openFieldKeyring({ database, rootSecret: ROOT });
        const plaintext = 'alice@example.com — ünïcode ✓';
        const sealed = await keyring.encrypt(plaintext, here);
        assert.match(sealed, new RegExp(`^f1\\.${keyring.currentKid()}\\.[A-Za-z0-9_-]+$`));
        assert.ok(!sealed.includes('alice'));
        assert.equal(await keyring.decrypt(sealed, here), plaintext);
        assert.notEqual(await keyring.encrypt(plaintext, here), sealed, 'a fresh IV every time');
        assert.equal(keyring.needsRotation(sealed), false);

        await rejectsWith(keyring.decrypt(sealed, { ...here, rowId: 'row-2' }), 'ERR_FIELD_AUTHENTICATION');
        await rejectsWith(keyring.decrypt(sealed, { ...here, column: 'title' }), 'ERR_FIELD_AUTHENTICATION');
        await rejectsWith(keyring.decrypt(sealed, { ...here, table: 'other' }), 'ERR_FIELD_AUTHENTICATION');
        // Flip one bit of the payload (a middle character, so it stays valid base64url).
        const at = sealed.length - 10;
        const flipped = sealed.slice(0, at) + (sealed[at] === 'A' ? 'B' : 'A') + sealed.slice(at + 1);
        await rejectsWith(keyring.decrypt(flipped, here), 'ERR_FIELD_AUTHENTICATION');
        // The same payload under another existing kid does not open either (the kid is bound).
        const { kid: newer } = await keyring.rotate();
        await rejectsWith(keyring.decrypt(sealed.replace(/^f1\.[^.]+\./, `f1.${newer}.`), here), 'ERR_FIELD_AUTHENTICATION');
      }));

    it('an unknown kid fails cleanly after one reload; a wrong root secret cannot open the keys', () =>
      withDatabase(dialect, async (database) => {
        const keyring = await openFieldKeyring({ database, rootSecret: ROOT });
        const sealed = await keyring.encrypt('x', here);
        await rejectsWith(keyring.decrypt(sealed.replace(/^f1\.[^.]+\./, 'f1.nosuchkey.'), here), 'ERR_FIELD_UNKNOWN_KEY');
        await assert.rejects(openFieldKeyring({ database, rootSecret: randomBytes(32) }));
        await assert.rejects(openFieldKeyring({ database, rootSecret: Buffer.alloc(0) }), /root secret/);
      }));

    it('another process adding a key: decrypt reloads on the unknown kid, encrypt moves to it within the refresh interval', () =>
      withDatabase(dialect, async (database) => {
        let clock = 1_000_000;
        const server = await openFieldKeyring({ database, rootSecret: ROOT, now: () => clock });
        const cli = await openFieldKeyring({ database, rootSecret: ROOT });
        assert.equal(cli.currentKid(), server.currentKid(), 'the first key is shared, not one per process');
        const reader = await openFieldKeyring({ database, rootSecret: ROOT });
        const old = server.currentKid();
        const { kid } = await cli.rotate();
        assert.notEqual(kid, old);
        // Decrypt: the unknown kid makes the reader load the keys again, at once.
        assert.equal(await reader.decrypt(await cli.encrypt('from the cli', here), here), 'from the cli');
        // Encrypt: the newest kid is re-read once the refresh interval has passed (no query per value).
        assert.ok((await server.encrypt('just after', here)).startsWith(`f1.${old}.`));
        clock += 3000;
        const sealed = await server.encrypt('after rotation', here);
        assert.ok(sealed.startsWith(`f1.${kid}.`), 'sealed under the newest key');
        assert.equal(server.needsRotation(sealed), false);
        assert.equal(await cli.decrypt(sealed, here), 'after rotation');
      }));

    it('blind indexes are deterministic per purpose and root secret, and do not change with data keys', () =>
      withDatabase(dialect, async (database) => {
        const keyring = await openFieldKeyring({ database, rootSecret: ROOT });
        const index = keyring.blindIndex('email', 'alice@example.com');
        assert.match(index, /^[A-Za-z0-9_-]{43}$/);
        await keyring.rotate();
        assert.equal(keyring.blindIndex('email', 'alice@example.com'), index);
        assert.notEqual(keyring.blindIndex('email', 'bob@example.com'), index);
        assert.notEqual(keyring.blindIndex('phone', 'alice@example.com'), index);
        const bare = openDatabase<unknown>({ databaseUrl: 'sqlite::memory:', dataDir: '/nonexistent' });
        const other = await openFieldKeyring({ database: bare, rootSecret: ROOT }).catch(() => undefined);
        await bare.close();
        assert.equal(other, undefined, 'without the 0003 migration, opening fails loudly');
      }));

    it('rotateFieldKeys re-encrypts every row under the newest key, keeps concurrent writes, skips what does not decrypt', () =>
      withDatabase(dialect, async (database) => {
        const db = database.db as Kysely<Notes>;
        const keyring = await openFieldKeyring({ database, rootSecret: ROOT });
        const ctx = (id: string): FieldContext => ({ table: 'notes', column: 'body', rowId: id });
        for (let i = 0; i < 25; i += 1) {
          const id = `n${String(i).padStart(2, '0')}`;
          await db.insertInto('notes').values({ id, body: await keyring.encrypt(`note ${i}`, ctx(id)) }).execute();
        }
        await db.insertInto('notes').values({ id: 'empty', body: null }).execute();
        // A ciphertext moved from another row: it must not open, and rotation must not "fix" it.
        const moved = (await db.selectFrom('notes').select('body').where('id', '=', 'n00').executeTakeFirstOrThrow()).body!;
        await db.insertInto('notes').values({ id: 'zz-moved', body: moved }).execute();
        await rejectsWith(keyring.decrypt(moved, ctx('zz-moved')), 'ERR_FIELD_AUTHENTICATION');

        const columns = [{ table: 'notes', idColumn: 'id', column: 'body' }];
        const { kid } = await keyring.rotate();
        const dry = await rotateFieldKeys(database, keyring, columns, { dryRun: true, batchSize: 7 });
        assert.deepEqual(dry, [{ table: 'notes', column: 'body', rotated: 25, failed: 1 }]);
        assert.equal((await db.selectFrom('notes').selectAll().execute()).filter((r) => r.body?.startsWith(`f1.${kid}.`)).length, 0, 'a dry run writes nothing');

        // A write that lands between the read and the update (compare-and-set must keep it).
        let raced = false;
        const racing = {
          ...keyring,
          async decrypt(ciphertext: string, context: FieldContext) {
            const plain = await keyring.decrypt(ciphertext, context);
            if (context.rowId === 'n05' && !raced) {
              raced = true;
              await db.updateTable('notes').set({ body: await keyring.encrypt('written meanwhile', ctx('n05')) }).where('id', '=', 'n05').execute();
            }
            return plain;
          },
        };
        const counts = await rotateFieldKeys(database, racing, columns, { batchSize: 7 });
        assert.ok(raced);
        assert.deepEqual(counts, [{ table: 'notes', column: 'body', rotated: 24, failed: 1 }]);
        const rows = await db.selectFrom('notes').selectAll().where('id', 'not in', ['empty', 'zz-moved']).orderBy('id').execute();
        for (const row of rows) {
          assert.ok(row.body!.startsWith(`f1.${kid}.`), row.id);
          const expected = row.id === 'n05' ? 'written meanwhile' : `note ${Number(row.id.slice(1))}`;
          assert.equal(await keyring.decrypt(row.body!, ctx(row.id)), expected);
        }
        assert.equal((await db.selectFrom('notes').select('body').where('id', '=', 'zz-moved').executeTakeFirstOrThrow()).body, moved);
        assert.deepEqual(await rotateFieldKeys(database, keyring, columns), [{ table: 'notes', column: 'body', rotated: 0, failed: 1 }], 'idempotent');
        await assert.rejects(rotateFieldKeys(database, keyring, [{ table: 'notes; drop table notes', idColumn: 'id', column: 'body' }]), TypeError);
        assert.equal((await sql<{ n: number }>`select count(*) as n from notes`.execute(db)).rows[0]!.n, 27);
      }));
  });
}

describe('Security: hostile ciphertexts', () => {
  it('malformed strings and non-strings only ever throw FieldDecryptError', () =>
    withDatabase('sqlite', async (database) => {
      const keyring: FieldKeyring = await openFieldKeyring({ database, rootSecret: ROOT });
      const good = await keyring.encrypt('secret', here);
      const [, kid, payload] = good.split('.') as [string, string, string];
      const hostile: unknown[] = [
        '', 'f1', 'f1.', 'f1..', `f1.${kid}.`, `f1.${kid}`, `f2.${kid}.${payload}`, `F1.${kid}.${payload}`, `f1.${kid}.${payload}.extra`,
        `f1.${kid}.${payload.slice(0, 20)}`, `f1.${kid}.${payload}==`, `f1.${kid}.${payload.slice(0, -1)}`, `f1.${kid}.${'A'.repeat(38)}`,
        `f1.../../etc.${payload}`, `f1.${'k'.repeat(65)}.${payload}`, `f1.${kid}.${payload}\n`, ` ${good}`, `f1.${kid}.${'%'.repeat(50)}`,
        `v1.${payload}`, 'f1.\u0000.\u0000', `f1.${kid}.${'A'.repeat(2_000_000)}`, null, undefined, 42, {}, ['f1', kid, payload], Buffer.from(good),
      ];
      for (const value of hostile) {
        await assert.rejects(keyring.decrypt(value as string, here), (error: unknown) => error instanceof FieldDecryptError, JSON.stringify(String(value).slice(0, 60)));
        assert.equal(typeof keyring.needsRotation(value as string), 'boolean');
      }
      assert.equal(await keyring.decrypt(good, here), 'secret');
    }));
});
