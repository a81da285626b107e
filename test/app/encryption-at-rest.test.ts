// Users' emails at rest in the reference service, through real HTTP: never in the database
// file as plaintext, found by a blind index for login, bound to their row, and sealed on
// upgrade from a database that still had plaintext.
import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import type { Kysely } from 'kysely';
import { buildApp } from '../../src/app/app.ts';
import { migrations } from '../../src/app/migrations/index.ts';
import { FieldDecryptError, listen, loadConfig, openDatabase, runMigrations, type IdentityTables } from '../../src/toolkit/index.ts';
import { LogCapture, request } from '../helpers/http.ts';
import { bearer, login, passwordLogin, startReferenceService, STRONG_PASSWORD, type RunningService } from '../helpers/app.ts';
import { closeAll } from '../helpers/close-all.ts';

const OPERATOR = { id: null, clientIp: null };
const EMAIL = 'carol.secret+rampart@example.com';

/** The SQLite file and its WAL, as bytes: what a stolen disk or backup would hold. */
function databaseBytes(dataDir: string): Buffer {
  const files = ['rampart.db', 'rampart.db-wal'].map((name) => join(dataDir, name)).filter((path) => existsSync(path));
  assert.ok(files.length > 0);
  return Buffer.concat(files.map((path) => readFileSync(path)));
}

function register(service: RunningService, username: string, email: string) {
  return request(service.url, '/v1/users', { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ username, password: STRONG_PASSWORD, email }) });
}

describe('Encryption at rest: users’ emails', () => {
  let service: RunningService;
  let db: Kysely<IdentityTables>;
  before(async () => {
    service = await startReferenceService();
    db = service.database.db;
  });
  after(() => closeAll(service));

  test('registration stores only the ciphertext: the email bytes are not in the database file or its WAL', async () => {
    const response = await register(service, 'carol', 'Carol.Secret+Rampart@Example.COM');
    assert.equal(response.status, 201, response.body);
    assert.equal((response.json() as { email: string }).email, EMAIL, 'the owner sees the email as before');
    const row = await db.selectFrom('users').select(['id', 'email', 'email_index']).where('username', '=', 'carol').executeTakeFirstOrThrow();
    assert.match(row.email!, new RegExp(`^f1\\.${service.fieldKeyring.currentKid()}\\.`));
    assert.equal(row.email_index, service.fieldKeyring.blindIndex('email', EMAIL));
    const bytes = databaseBytes(service.config.dataDir);
    assert.ok(bytes.includes(Buffer.from(row.email!)), 'the ciphertext is in the file (so the search below is meaningful)');
    for (const needle of [EMAIL, 'carol.secret', 'Carol.Secret', 'example.com']) assert.ok(!bytes.includes(Buffer.from(needle)), needle);
  });

  test('the owner and an admin read the email; an email is not a login name on the token endpoint or the session login', async () => {
    const tokens = await login(service.url, 'carol');
    const me = await request(service.url, '/v1/users/me', { headers: bearer(tokens.access_token) });
    assert.equal(me.status, 200);
    assert.equal((me.json() as { email: string }).email, EMAIL);

    await service.identity.createUser({ username: 'root', password: STRONG_PASSWORD, role: 'admin' }, OPERATOR);
    const admin = await login(service.url, 'root');
    const list = await request(service.url, '/v1/admin/users?limit=100', { headers: bearer(admin.access_token) });
    assert.equal(list.status, 200, list.body);
    const items = (list.json() as { items: { username: string; email: string | null }[] }).items;
    assert.deepEqual(items.map((u) => [u.username, u.email]), [['carol', EMAIL], ['root', null]]);

    // The right password with the email fails exactly as a wrong password with the username.
    const byEmail = await passwordLogin(service.url, EMAIL, STRONG_PASSWORD);
    const wrong = await passwordLogin(service.url, 'carol', 'not-the-password-at-all-1234');
    assert.equal(byEmail.status, 400);
    assert.equal(byEmail.body, wrong.body);
    const session = await request(service.url, '/v1/auth/session', { method: 'POST', headers: { 'content-type': 'application/json', origin: service.url }, body: JSON.stringify({ username: EMAIL, password: STRONG_PASSWORD }) });
    assert.equal(session.status, 401, session.body);
    assert.ok(!service.logs.text.includes(EMAIL), 'the attempted email is not logged');
  });

  test('Security: registering another account with the victim\'s email reveals nothing and breaks no login', async () => {
    const shape = (body: string): string[] => Object.keys(JSON.parse(body) as object).sort();
    const fresh = await register(service, 'dave', 'dave@example.com');
    const taken = await register(service, 'mallory', 'Carol.Secret+Rampart@EXAMPLE.com');
    assert.equal(fresh.status, 201, fresh.body);
    assert.equal(taken.status, 201, 'an address already held registers like any other');
    assert.deepEqual(shape(taken.body), shape(fresh.body));
    assert.deepEqual((await service.identity.users.findByEmail(EMAIL)).map((u) => u.username).sort(), ['carol', 'mallory']);
    // Carol still logs in; neither account can be reached through the shared address.
    assert.equal((await passwordLogin(service.url, 'carol', STRONG_PASSWORD)).status, 200);
    assert.equal((await passwordLogin(service.url, EMAIL, STRONG_PASSWORD)).status, 400);
    assert.equal((await passwordLogin(service.url, 'mallory', STRONG_PASSWORD)).status, 200);
    // The attempts by email counted against no account: Carol is not locked after them.
    for (let i = 0; i < 6; i += 1) await passwordLogin(service.url, EMAIL, 'not-the-password-at-all-1234');
    assert.equal((await passwordLogin(service.url, 'carol', STRONG_PASSWORD)).status, 200);
  });

  test('Security: a ciphertext copied to another row (or column) does not decrypt', async () => {
    const carol = await db.selectFrom('users').select(['id', 'email']).where('username', '=', 'carol').executeTakeFirstOrThrow();
    const dave = await db.selectFrom('users').select('id').where('username', '=', 'dave').executeTakeFirstOrThrow();
    await db.updateTable('users').set({ email: carol.email }).where('id', '=', dave.id).execute();
    await assert.rejects(service.identity.users.findById(dave.id), (error: unknown) => error instanceof FieldDecryptError && error.code === 'ERR_FIELD_AUTHENTICATION');
    await assert.rejects(service.fieldKeyring.decrypt(carol.email!, { table: 'users', column: 'username', rowId: carol.id }), FieldDecryptError);
    // The index was not moved with the ciphertext: the address still names Carol and Mallory only.
    assert.equal((await service.identity.users.findByEmail(EMAIL)).map((u) => u.username).sort().join(), 'carol,mallory');
  });
});

describe('Encryption at rest: upgrading a database that has plaintext emails', () => {
  test('the identity seals them on start, idempotently, and no plaintext byte is left in the file', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'rampart-upgrade-'));
    try {
      const config = loadConfig({ NODE_ENV: 'development', PORT: '0' }, dir);
      // The schema as it was before field encryption, with the app's later migrations already run.
      const old = openDatabase<unknown>({ dataDir: config.dataDir });
      const before = Object.fromEntries(Object.entries(migrations).filter(([name]) => name !== '0003_field_encryption'));
      await runMigrations(old, before);
      const legacy = old.db as Kysely<{ users: Omit<IdentityTables['users'], 'email_index' | 'token_version'> }>;
      const t = Date.now();
      const hash = '$argon2id$v=19$m=19456,t=2,p=1$c29tZXNhbHRzb21lc2FsdA$0000000000000000000000000000000000000000000';
      for (const [id, email] of [['u1', 'legacy.one@example.org'], ['u2', 'legacy.two@example.org'], ['u3', null]] as const) {
        await legacy.insertInto('users').values({ id, username: id, email, password_hash: hash, role: 'user', disabled: 0, created_at: t, updated_at: t }).execute();
      }
      await old.close();
      assert.ok(databaseBytes(config.dataDir).includes(Buffer.from('legacy.one@example.org')), 'the plaintext was there');

      for (let start = 0; start < 2; start += 1) {
        const service = await buildApp(config, { server: { logDestination: new LogCapture() } });
        const listening = await listen(service.app, { host: '127.0.0.1', port: 0, allowedHosts: [], development: true });
        try {
          const rows = await (service.database.db as Kysely<IdentityTables>).selectFrom('users').selectAll().orderBy('id').execute();
          assert.deepEqual(rows.map((r) => r.email?.startsWith('f1.') ?? null), [true, true, null]);
          assert.equal(rows[0]!.email_index, service.fieldKeyring.blindIndex('email', 'legacy.one@example.org'));
          assert.equal((await service.identity.users.findById('u2'))!.email, 'legacy.two@example.org');
        } finally {
          await listening.close();
        }
      }
      const bytes = databaseBytes(config.dataDir);
      for (const needle of ['legacy.one', 'legacy.two', 'example.org']) assert.ok(!bytes.includes(Buffer.from(needle)), needle);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
