// One canonical user name (RFC 8265 UsernameCaseMapped) for lookup, throttle and events: the
// profile's rules, the property that every spelling reaching an account is throttled as that
// account, and migration 0005 on both SQL dialects (rewrites what is unambiguous, records the
// collisions an operator must resolve).
import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { after, before, describe, test } from 'node:test';
import fc from 'fast-check';
import { sql } from 'kysely';
import { accountKey } from '../../../src/toolkit/auth/throttle.ts';
import { canonicalUsername, describeUsernameConflicts, HttpProblem, identityMigrations, listUsernameConflicts, OAuthError, openDatabase, runMigrations, validUsername, type Database, type IdentityTables } from '../../../src/toolkit/index.ts';
import { STRONG_PASSWORD } from '../../helpers/app.ts';
import { createTestDatabase } from '../stores/services.ts';
import { BACKENDS, startIdentity, type IdentityHarness } from './identity-harness.ts';

const OPERATOR = { id: null, clientIp: null };

describe('the canonical user name (RFC 8265 UsernameCaseMapped)', () => {
  test('width mapping, case mapping and NFC; nothing trimmed; only a-z 0-9 . _ - allowed', () => {
    assert.equal(validUsername('Bob'), 'bob');
    assert.equal(validUsername('ＢＯＢ'), 'bob', 'fullwidth forms map to ASCII (width mapping rule)');
    assert.equal(validUsername('\u212Aate'), 'kate', 'KELVIN SIGN lowercases to k (case mapping rule)');
    for (const outside of ['bob ', ' bob', '\tbob', 'bo\u200Db', 'bob\u00A0', '\u3000bob', 'ⅰan', 'bøb', 'İvan', 'ab', '.bob', 'x'.repeat(65), '']) {
      assert.equal(validUsername(outside), undefined, JSON.stringify(outside));
    }
    assert.equal(canonicalUsername('\u3000BOB'), ' bob', 'the ideographic space maps to a space, which is then not allowed');
  });

  describe('every spelling that reaches an account is throttled as that account', () => {
    let h: IdentityHarness;
    const names = ['bob', 'alice.k', 'x_9-z'];
    before(async () => {
      h = await startIdentity('sqlite');
      for (const name of names) await h.identity.createUser({ username: name, password: STRONG_PASSWORD, role: 'user' }, OPERATOR);
    });
    after(() => h.close());

    const FULLWIDTH = (c: string): string => (c >= '!' && c <= '~' ? String.fromCodePoint(c.codePointAt(0)! + 0xfee0) : c);
    const SURROUND = [' ', '\t', '\n', '\u00A0', '\u200B', '\u200D', '\u2060', '\uFEFF', '\u3000', '\u0301'];
    const surround = fc.oneof({ arbitrary: fc.constant(''), weight: 3 }, { arbitrary: fc.constantFrom(...SURROUND), weight: 1 });
    /** Variants of a real name: each character as is, upper-cased, fullwidth or both, wrapped in space-like text, sometimes with arbitrary text spliced in. */
    const variant = fc
      .record({
        name: fc.constantFrom(...names),
        forms: fc.array(fc.constantFrom<(c: string) => string>((c) => c, (c) => c.toUpperCase(), FULLWIDTH, (c) => FULLWIDTH(c.toUpperCase())), { minLength: 9, maxLength: 9 }),
        before: surround,
        after: surround,
        splice: fc.option(fc.tuple(fc.nat(9), fc.string({ unit: 'binary', maxLength: 3 })), { freq: 4 }),
      })
      .map(({ name, forms, before, after, splice }) => {
        let body = Array.from(name).map((c, i) => forms[i]!(c)).join('');
        if (splice !== null) body = body.slice(0, splice[0]) + splice[1] + body.slice(splice[0]);
        return before + body + after;
      });

    test('lookup and throttle key agree for every variant (property, 500 runs)', async () => {
      let reached = 0;
      await fc.assert(
        fc.asyncProperty(variant, async (input) => {
          const user = await h.identity.users.findByUsername(input);
          if (user === undefined) return;
          reached++;
          assert.equal(user.username, canonicalUsername(input));
          assert.equal(accountKey(input), accountKey(user.username));
        }),
        { numRuns: 500 },
      );
      assert.ok(reached > 50, `the generator reaches accounts often enough to mean something (${reached})`);
    });

    test('while bob is locked, no variant logs in with the right password (property, 40 runs)', async () => {
      for (let i = 0; i < 5; i++) await h.identity.checkPassword('bob', 'not-bobs-password-123', `198.51.100.${i}`).catch(() => undefined);
      let ip = 0;
      await fc.assert(
        fc.asyncProperty(variant.filter((v) => validUsername(v) === 'bob' || validUsername(v) === undefined), async (input) => {
          const outcome = await h.identity.checkPassword(input, STRONG_PASSWORD, `203.0.113.${ip++ % 250}`).then(() => 'logged in', (error: unknown) => error);
          const refused = (outcome instanceof HttpProblem && outcome.status === 429) || outcome instanceof OAuthError;
          assert.ok(refused, `${JSON.stringify(input)} got ${String(outcome)}`);
          if (validUsername(input) === 'bob') assert.equal((outcome as HttpProblem).status, 429, `${JSON.stringify(input)} is bob: locked`);
        }),
        { numRuns: 40 },
      );
    });
  });
});

for (const backend of BACKENDS) {
  describe(`migration 0005: stored names made canonical (${backend})`, () => {
    let database: Database<IdentityTables>;
    let drop = (): Promise<void> => Promise.resolve();
    before(async () => {
      if (backend === 'sqlite') database = openDatabase<IdentityTables>({ databaseUrl: 'sqlite::memory:', dataDir: '/nonexistent' });
      else {
        const pg = await createTestDatabase();
        drop = pg.drop;
        database = openDatabase<IdentityTables>({ databaseUrl: pg.url, dataDir: '/nonexistent', postgres: { maxConnections: 2 } });
      }
    });
    after(async () => {
      await database.close();
      await drop();
    });

    test('rewrites the unambiguous, records the collisions and the names with no allowed form', async () => {
      const earlier = Object.fromEntries(Object.entries(identityMigrations).filter(([name]) => name !== '0005_canonical_usernames'));
      await runMigrations(database, earlier);
      const db = database.db;
      const ids: Record<string, string> = {};
      const t = Date.now();
      // As older code or other writers could have left them: bob is canonical, Bob and ＢＯＢ collide
      // with it; Carol is alone (rewritten); DAVE and Dave collide with each other; "eve " is not a name.
      for (const name of ['bob', 'Bob', 'ＢＯＢ', 'Carol', 'DAVE', 'Dave', 'eve ']) {
        ids[name] = randomUUID();
        await db.insertInto('users').values({ id: ids[name], username: name, email: null, email_index: null, password_hash: 'x', role: 'user', disabled: 0, token_version: 0, created_at: t, updated_at: t }).execute();
      }
      assert.deepEqual(await runMigrations(database, identityMigrations), ['0005_canonical_usernames']);
      const stored = Object.fromEntries((await db.selectFrom('users').select(['id', 'username']).execute()).map((r) => [r.id, r.username]));
      assert.equal(stored[ids.Carol!], 'carol', 'the only Carol is rewritten');
      assert.equal(stored[ids.bob!], 'bob');
      const conflicts = await listUsernameConflicts(db);
      assert.deepEqual(
        conflicts.map((c) => [c.username, c.canonical, c.reason]).sort(),
        [['Bob', 'bob', 'collision'], ['DAVE', 'dave', 'collision'], ['Dave', 'dave', 'collision'], ['eve ', 'eve ', 'not-allowed'], ['ＢＯＢ', 'bob', 'collision']],
      );
      const report = describeUsernameConflicts(conflicts);
      assert.match(report, /5 account\(s\) cannot log in by name until renamed/);
      assert.match(report, /rampart user rename <id> <new-name>/);
      for (const c of conflicts) assert.ok(report.includes(c.userId));
      const [{ n }] = (await sql<{ n: number | string }>`select count(*) as n from users`.execute(db)).rows as [{ n: number | string }];
      assert.equal(Number(n), 7, 'no account is deleted');
    });
  });
}
