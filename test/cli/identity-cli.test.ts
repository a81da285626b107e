// Operator commands: `rampart user add|disable|enable` and `rampart keys rotate`, through
// the real CLI. Passwords come from standard input, never from the command line.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { runCli } from '../helpers/cli.ts';
import { randomUUID } from 'node:crypto';
import { migrations } from '../../src/app/migrations/index.ts';
import { openDatabase, runMigrations } from '../../src/toolkit/index.ts';
import { sql } from 'kysely';
import { closeAll } from '../helpers/close-all.ts';

const PASSWORD = 'operator-chosen-passphrase-2026';

describe('rampart user and keys', () => {
  let dir: string;
  let env: Record<string, string>;
  before(() => {
    dir = mkdtempSync(join(tmpdir(), 'rampart-cli-'));
    env = { NODE_ENV: 'development', RAMPART_DATA_DIR: dir };
  });
  after(() => closeAll(() => rmSync(dir, { recursive: true, force: true })));

  const query = async <T>(text: string): Promise<T[]> => {
    const database = openDatabase<unknown>({ dataDir: dir });
    try {
      return (await sql.raw<T>(text).execute(database.db)).rows;
    } finally {
      await database.close();
    }
  };

  test('user add reads the password from stdin and stores only its argon2id hash', async () => {
    const result = runCli(['user', 'add', 'Operator.One', '--role', 'admin', '--email', 'op@example.com'], env, `${PASSWORD}\n`);
    assert.equal(result.status, 0, result.stderr);
    assert.match(result.stdout, /^user operator\.one created \(id [0-9a-f-]{36}, role admin\)/);
    const rows = await query<{ username: string; role: string; password_hash: string }>('select username, role, password_hash from users');
    assert.equal(rows.length, 1);
    assert.equal(rows[0]!.role, 'admin');
    assert.match(rows[0]!.password_hash, /^\$argon2id\$v=19\$m=19456,t=2,p=1\$/);
    assert.ok(!result.stdout.includes(PASSWORD) && !result.stderr.includes(PASSWORD));
  });

  test('a weak password, an unknown role and a missing role are refused with a reason', () => {
    const weak = runCli(['user', 'add', 'weakling', '--role', 'user'], env, 'password123\n');
    assert.equal(weak.status, 1);
    assert.match(weak.stderr, /password policy/);
    const role = runCli(['user', 'add', 'someone', '--role', 'root'], env, `${PASSWORD}\n`);
    assert.equal(role.status, 1);
    assert.match(role.stderr, /The role is not one of the configured roles/);
    const missing = runCli(['user', 'add', 'someone'], env, `${PASSWORD}\n`);
    assert.equal(missing.status, 2);
  });

  test('there is no way to pass a password on the command line', () => {
    const result = runCli(['user', 'add', 'sneaky', '--role', 'user', '--password', PASSWORD], env, '');
    assert.equal(result.status, 2);
    assert.match(result.stderr, /unknown option '--password'/);
  });

  test('user disable and enable', async () => {
    assert.equal(runCli(['user', 'disable', 'operator.one'], env).status, 0);
    assert.deepEqual((await query<{ disabled: number }>('select disabled from users')).map((r) => r.disabled), [1]);
    assert.equal(runCli(['user', 'enable', 'OPERATOR.ONE'], env).status, 0);
    assert.deepEqual((await query<{ disabled: number }>('select disabled from users')).map((r) => r.disabled), [0]);
    const unknown = runCli(['user', 'disable', 'nobody'], env);
    assert.equal(unknown.status, 1);
    assert.match(unknown.stderr, /no user named nobody/);
    const events = await query<{ type: string }>("select type from security_events where type in ('user_created', 'user_disabled', 'user_enabled') order by at");
    assert.deepEqual(events.map((e) => e.type), ['user_created', 'user_disabled', 'user_enabled']);
  });

  test('keys rotate makes a new signing key and retires the old one', async () => {
    const before = await query<{ kid: string }>('select kid from signing_keys');
    const result = runCli(['keys', 'rotate'], env);
    assert.equal(result.status, 0, result.stderr);
    const keys = await query<{ kid: string; retired_at: number | null }>('select kid, retired_at from signing_keys order by created_at');
    assert.equal(keys.length, before.length + 1);
    assert.equal(keys.filter((k) => k.retired_at === null).length, 1);
    assert.match(result.stdout, new RegExp(`new signing key ${keys[keys.length - 1]!.kid} \\(EdDSA\\)`));
  });
});

describe('rampart migrate: user names that collide under the canonical form', () => {
  let dir: string;
  let env: Record<string, string>;
  const ids = { bob: randomUUID(), Bob: randomUUID(), Carol: randomUUID() };
  before(async () => {
    dir = mkdtempSync(join(tmpdir(), 'rampart-names-'));
    env = { NODE_ENV: 'development', RAMPART_DATA_DIR: dir };
    // A database from before migration 0005, holding names older code or other writers could leave.
    const database = openDatabase<unknown>({ dataDir: dir });
    try {
      const earlier = Object.fromEntries(Object.entries(migrations).filter(([name]) => name !== '0005_canonical_usernames'));
      await runMigrations(database, earlier);
      const t = Date.now();
      for (const [name, id] of Object.entries(ids)) {
        await sql`insert into users (id, username, password_hash, role, disabled, token_version, created_at, updated_at) values (${id}, ${name}, 'x', 'user', 0, 0, ${t}, ${t})`.execute(database.db);
      }
    } finally {
      await database.close();
    }
  });
  after(() => closeAll(() => rmSync(dir, { recursive: true, force: true })));

  test('migrate reports the collision and how to resolve it; rename resolves it', () => {
    const migrate = runCli(['migrate'], env);
    assert.equal(migrate.status, 0, migrate.stderr);
    assert.match(migrate.stdout, /migrations applied: .*0005_canonical_usernames/);
    assert.match(migrate.stdout, /1 account\(s\) cannot log in by name until renamed/);
    assert.ok(migrate.stdout.includes(`${ids.Bob}  "Bob" collides with another account as "bob"`), migrate.stdout);
    assert.match(migrate.stdout, /rampart user rename <id> <new-name>/);
    assert.ok(!migrate.stdout.includes(ids.Carol), 'the only Carol was simply made canonical');
    const taken = runCli(['user', 'rename', ids.Bob, 'BOB'], env);
    assert.equal(taken.status, 1);
    assert.match(taken.stderr, /already registered/);
    assert.match(taken.stderr, /1 account\(s\) cannot log in by name until renamed; run `rampart user conflicts`/, 'the identity warns when it opens');
    const renamed = runCli(['user', 'rename', ids.Bob, 'Bob.Smith'], env);
    assert.equal(renamed.status, 0, renamed.stderr);
    assert.match(renamed.stdout, new RegExp(`user ${ids.Bob} renamed from "Bob" to bob\\.smith`));
    const left = runCli(['user', 'conflicts'], env);
    assert.equal(left.status, 0, left.stderr);
    assert.match(left.stdout, /every account has its canonical name/);
  });
});

describe('rampart routes', () => {
  test('prints the inventory with policies, and as JSON', () => {
    const env = { NODE_ENV: 'development', RAMPART_DATA_DIR: mkdtempSync(join(tmpdir(), 'rampart-routes-')) };
    try {
      const table = runCli(['routes'], env);
      assert.equal(table.status, 0, table.stderr);
      assert.match(table.stdout, /^METHOD\s+PATH\s+ACCESS\s+SCOPES\s+OWNER\s+RATE LIMIT\s+LIFECYCLE/);
      assert.match(table.stdout, /\nPUT\s+\/v1\/admin\/users\/:id\/role\s+authenticated\s+admin:users\s/);
      const routes = JSON.parse(runCli(['routes', '--json'], env).stdout) as { path: string; access: string }[];
      assert.ok(routes.some((r) => r.path === '/healthz' && r.access === 'public'));
      assert.ok(routes.every((r) => r.access === 'public' || r.access === 'authenticated'));
    } finally {
      rmSync(env.RAMPART_DATA_DIR, { recursive: true, force: true });
    }
  });
});
