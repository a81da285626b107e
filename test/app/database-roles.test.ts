// Least privilege on PostgreSQL (issue 17 item 5), on a private database with private roles in
// the shared server: `rampart migrate` runs as the owner and grants the serving role exactly
// src/app/migrations/grants.ts; that role cannot DROP, ALTER, TRUNCATE, create, or read what it
// has no business with, while the real service — booted in production as that role — answers
// registration, login, listings, a deposit, a transfer, an order and an upload. Production
// refuses every role that could change the schema; development warns; SQLite is unaffected.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { once } from 'node:events';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { randomUUID } from 'node:crypto';
import type { ChildProcess } from 'node:child_process';
import pg from 'pg';
import { sql } from 'kysely';
import { buildApp } from '../../src/app/app.ts';
import { DatabaseRoleError, migrate } from '../../src/app/migrate.ts';
import { grants } from '../../src/app/migrations/grants.ts';
import { migrations } from '../../src/app/migrations/index.ts';
import { inspectServingRole, loadConfig, openDatabase, runMigrations } from '../../src/toolkit/index.ts';
import { runCli as runCliWithin, startCli, waitForOutput } from '../helpers/cli.ts';
import { LogCapture, request, type Response } from '../helpers/http.ts';
import { closeAll } from '../helpers/close-all.ts';
import { readmeRoleSql } from '../helpers/readme.ts';
import { POSTGRES_ADMIN_URL, uniqueName } from '../toolkit/stores/services.ts';
import { PNG } from '../toolkit/uploads/samples.ts';

const SECRET = 'q3J7Xc0mV9kz1Lw5Hn8Rt2Yb6Pd4Gs0Fe7Ua3Ji9Oc1=';
const PASSWORD = 'correct-horse-battery-staple-91!';
const HOST = 'api.example.com';
const ALL_PRIVILEGES = ['SELECT', 'INSERT', 'UPDATE', 'DELETE', 'TRUNCATE', 'REFERENCES', 'TRIGGER'];
const BOUNDARY = 'rampart-roles-boundary-5f2c';
// Each CLI run starts Node, loads the program and connects: on a loaded machine that alone has
// taken over 15 s. Deadlines, not waits.
const CLI_DEADLINE_MS = 90_000;
const runCli = (args: string[], env: Record<string, string>, input?: string): ReturnType<typeof runCliWithin> => runCliWithin(args, env, input, CLI_DEADLINE_MS);

describe('SQLite: the grants list names exactly the tables the migrations create', () => {
  test('every table, nothing more', async () => {
    const database = openDatabase<unknown>({ databaseUrl: 'sqlite::memory:', dataDir: tmpdir() });
    try {
      await runMigrations(database, migrations);
      const { rows } = await sql<{ name: string }>`select name from sqlite_master where type = 'table' and name not like 'sqlite\\_%' escape '\\' order by name`.execute(database.db);
      assert.deepEqual(rows.map((r) => r.name), Object.keys(grants).sort());
      for (const privileges of Object.values(grants)) assert.ok(privileges.every((p) => ['select', 'insert', 'update', 'delete'].includes(p)));
    } finally {
      await database.close();
    }
  });
});

describe('PostgreSQL: an owner migrates, an application role serves', () => {
  const base = `rampart_roles_${uniqueName()}`;
  const roles: string[] = [];
  const role = (suffix: string): string => {
    const name = `${base}_${suffix}`;
    roles.push(name);
    return name;
  };
  const OWNER = role('owner');
  const APP = role('app');
  let created = false;
  let dir: string | undefined;
  let child: ChildProcess | undefined;

  const urlAs = (user: string): string => {
    const url = new URL(POSTGRES_ADMIN_URL);
    url.username = user;
    url.password = '';
    url.pathname = `/${base}`;
    return url.href;
  };
  const admin = async <T>(database: string, work: (client: pg.Client) => Promise<T>): Promise<T> => {
    const url = new URL(POSTGRES_ADMIN_URL);
    url.pathname = `/${database}`;
    const client = new pg.Client({ connectionString: url.href, connectionTimeoutMillis: 5000 });
    await client.connect();
    try {
      return await work(client);
    } finally {
      await client.end();
    }
  };
  const production = (databaseUrl: string, extra: Record<string, string> = {}): Record<string, string> => ({
    NODE_ENV: 'production',
    PORT: '0',
    RAMPART_DATA_DIR: dir!,
    RAMPART_SECRET_KEY: SECRET,
    RAMPART_ALLOWED_HOSTS: HOST,
    RAMPART_TRUSTED_PROXIES: '127.0.0.1',
    RAMPART_REGISTRATION: 'open',
    RAMPART_RATE_LIMIT: '100000',
    RAMPART_TOKEN_RATE_LIMIT: '100000',
    RAMPART_RATE_LIMIT_OVERRIDES: 'registration=1000/60',
    DATABASE_URL: databaseUrl,
    ...extra,
  });

  before(async () => {
    dir = mkdtempSync(join(tmpdir(), 'rampart-roles-'));
    // The README's SQL, as written, with this run's names (and no passwords: trust auth).
    await admin('postgres', async (c) => {
      for (const statement of readmeRoleSql()) {
        await c.query(statement.replaceAll('rampart_owner', OWNER).replaceAll('rampart_app', APP).replace(/DATABASE rampart\b/, `DATABASE ${base}`).replaceAll("PASSWORD '…'", 'PASSWORD NULL'));
        if (statement.startsWith('CREATE DATABASE')) created = true;
      }
    });
  });
  after(() =>
    closeAll(
      () => {
        if (child !== undefined && child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
      },
      () => (created ? admin('postgres', (c) => c.query(`drop database if exists ${base} with (force)`)) : undefined),
      () => admin('postgres', async (c) => {
        for (const name of roles) await c.query(`drop role if exists ${name}`);
      }),
      () => {
        if (dir !== undefined) rmSync(dir, { recursive: true, force: true });
      },
    ),
  );

  test('`rampart migrate` migrates as the owner and grants the application role its list, idempotently', () => {
    const env = production(urlAs(APP), { RAMPART_MIGRATE_DATABASE_URL: urlAs(OWNER) });
    const first = runCli(['migrate'], env);
    assert.equal(first.status, 0, first.stderr);
    assert.match(first.stdout, /^migrations applied: 0001_identity, /);
    const granted = Object.values(grants).filter((p) => p.length > 0).length;
    assert.match(first.stdout, new RegExp(`grants: role "${APP}" may use ${granted} tables in schema "public" as src/app/migrations/grants.ts lists \\(1 withheld, 0 sequences\\)`));
    const second = runCli(['migrate'], env);
    assert.equal(second.status, 0, second.stderr);
    assert.match(second.stdout, /^migrations: up to date\ngrants: role /);
  });

  test('one URL: `--app-role` names the role to grant; without it one role migrates and serves, and migrate says so', () => {
    const flagged = runCli(['migrate', '--app-role', APP], production(urlAs(OWNER)));
    assert.equal(flagged.status, 0, flagged.stderr);
    assert.match(flagged.stdout, new RegExp(`^migrations: up to date\ngrants: role "${APP}" may use 18 tables`));
    const single = runCli(['migrate'], production(urlAs(OWNER)));
    assert.equal(single.status, 0, single.stderr);
    assert.match(single.stdout, /^migrations: up to date\ngrants: none \(one role migrates and serves\); production refuses to serve as the owner/);
  });

  test('the catalog holds exactly the listed privileges, and the role owns nothing and creates nothing', async () => {
    await admin(base, async (c) => {
      for (const [table, listed] of Object.entries(grants)) {
        for (const privilege of ALL_PRIVILEGES) {
          const { rows } = await c.query<{ has: boolean }>('select has_table_privilege($1, $2, $3) as has', [APP, `public.${table}`, privilege]);
          assert.equal(rows[0]!.has, listed.includes(privilege.toLowerCase() as never), `${APP} ${privilege} on ${table}`);
        }
      }
      const { rows } = await c.query<{ owned: string; schema_create: boolean; db_create: boolean }>(
        `select (select count(*) from pg_class where pg_has_role($1, relowner, 'MEMBER'))::text as owned,
                has_schema_privilege($1, 'public', 'CREATE') as schema_create, has_database_privilege($1, current_database(), 'CREATE') as db_create`,
        [APP],
      );
      assert.deepEqual(rows[0], { owned: '0', schema_create: false, db_create: false });
    });
    const database = openDatabase<unknown>({ databaseUrl: urlAs(APP), dataDir: dir! });
    try {
      assert.deepEqual(await inspectServingRole(database), { role: APP, problems: [] });
    } finally {
      await database.close();
    }
  });

  test('the application role cannot DROP, ALTER, TRUNCATE, create, rewrite history or read what it has no business with', async () => {
    const client = new pg.Client({ connectionString: urlAs(APP), connectionTimeoutMillis: 5000 });
    await client.connect();
    try {
      const refused: [string, RegExp][] = [
        ['drop table users', /must be owner of table users/],
        ['drop table ledger_entries cascade', /must be owner of table ledger_entries/],
        ['alter table users add column is_root boolean', /must be owner of table users/],
        ['alter table accounts drop constraint accounts_balance_check', /must be owner of table accounts/],
        ['truncate ledger_entries', /permission denied for table ledger_entries/],
        ['truncate security_events', /permission denied for table security_events/],
        ['create table stash (data text)', /permission denied for schema public/],
        ['create schema stash', /permission denied for database/],
        ['select * from rampart_migration_lock', /permission denied for table rampart_migration_lock/],
        ["insert into rampart_migration (name, timestamp) values ('9999_evil', 'now')", /permission denied for table rampart_migration/],
        ['delete from users', /permission denied for table users/],
        ['update ledger_entries set amount = 0', /permission denied for table ledger_entries/],
        ['delete from transfers', /permission denied for table transfers/],
        ["update security_events set detail = '{}'", /permission denied for table security_events/],
        ['delete from rampart_data_keys', /permission denied for table rampart_data_keys/],
        [`set role ${OWNER}`, /permission denied to set role/],
      ];
      for (const [statement, message] of refused) {
        const error = await client.query(statement).then(
          (result) => assert.fail(`allowed: ${statement} (${result.command})`),
          (e: unknown) => e as { code: string; message: string },
        );
        assert.equal(error.code, '42501', `${statement}: ${error.message}`);
        assert.match(error.message, message, statement);
      }
      // A grant by a non-owner only warns: nothing reaches the catalog.
      await client.query('grant select on users to public');
      await admin(base, async (c) => {
        const { rows } = await c.query<{ has: boolean }>("select has_table_privilege('public', 'public.users', 'SELECT') as has");
        assert.equal(rows[0]!.has, false);
      });
    } finally {
      await client.end();
    }
  });

  test('production serves as the application role: operator commands and the routes work over HTTP', async () => {
    const env = production(urlAs(APP));
    const added = runCli(['user', 'add', 'treasurer', '--role', 'admin'], env, `${PASSWORD}\n`);
    assert.equal(added.status, 0, added.stderr);
    child = startCli(['serve'], env);
    const output = await waitForOutput(child, /rampart listening on http:\/\/127\.0\.0\.1:(\d+) \(production\)/, CLI_DEADLINE_MS);
    const url = `http://127.0.0.1:${/rampart listening on http:\/\/127\.0\.0\.1:(\d+)/.exec(output)![1]!}`;
    const proxied = { 'x-forwarded-proto': 'https', 'x-forwarded-for': '203.0.113.7' };
    const call = (path: string, options: { method?: string; token?: string; json?: unknown; body?: Buffer | string; headers?: Record<string, string> } = {}): Promise<Response> =>
      request(url, path, {
        method: options.method ?? 'GET',
        host: HOST,
        headers: {
          ...proxied,
          ...(options.token === undefined ? {} : { authorization: `Bearer ${options.token}` }),
          ...(options.json === undefined ? {} : { 'content-type': 'application/json' }),
          ...options.headers,
        },
        body: options.json === undefined ? options.body : JSON.stringify(options.json),
      });
    const login = async (username: string): Promise<string> => {
      const response = await call('/v1/auth/token', {
        method: 'POST',
        headers: { 'content-type': 'application/x-www-form-urlencoded' },
        body: new URLSearchParams({ grant_type: 'password', username, password: PASSWORD }).toString(),
      });
      assert.equal(response.status, 200, response.body);
      return (response.json() as { access_token: string }).access_token;
    };

    assert.equal((await call('/readyz')).status, 200);
    for (const username of ['alice', 'bob']) {
      const registered = await call('/v1/users', { method: 'POST', json: { username, password: PASSWORD } });
      assert.equal(registered.status, 201, registered.body);
    }
    const [alice, bob, treasurer] = [await login('alice'), await login('bob'), await login('treasurer')];
    const aliceAccount = (await call('/v1/accounts/me', { token: alice })).json() as { id: string };
    const bobAccount = (await call('/v1/accounts/me', { token: bob })).json() as { id: string };

    const deposit = await call(`/v1/admin/accounts/${aliceAccount.id}/deposits`, { method: 'POST', token: treasurer, json: { amount: 10_000, reference: 'opening balance' } });
    assert.equal(deposit.status, 201, deposit.body);
    const key = randomUUID();
    const transfer = await call('/v1/transfers', { method: 'POST', token: alice, json: { toAccountId: bobAccount.id, amount: 2_500 }, headers: { 'idempotency-key': key } });
    assert.equal(transfer.status, 201, transfer.body);
    const replay = await call('/v1/transfers', { method: 'POST', token: alice, json: { toAccountId: bobAccount.id, amount: 2_500 }, headers: { 'idempotency-key': key } });
    assert.equal(replay.status, 201, replay.body);
    assert.equal((replay.json() as { id: string }).id, (transfer.json() as { id: string }).id);
    const ledger = (await call('/v1/accounts/me/ledger', { token: bob })).json() as { items: { amount: number }[] };
    assert.deepEqual(ledger.items.map((e) => e.amount), [2_500]);
    const check = (await call('/v1/admin/ledger/check', { token: treasurer })).json() as { ok: boolean; totalBalances: number };
    assert.deepEqual({ ok: check.ok, total: check.totalBalances }, { ok: true, total: 10_000 });

    const product = await call('/v1/products', { method: 'POST', token: treasurer, json: { name: 'Lamp', price: 1_999 } });
    assert.equal(product.status, 201, product.body);
    const listing = (await call('/v1/products', { token: alice })).json() as { items: { name: string }[] };
    assert.deepEqual(listing.items.map((p) => p.name), ['Lamp']);
    const order = await call('/v1/orders', { method: 'POST', token: alice, json: { productId: (product.json() as { id: string }).id, quantity: 2 } });
    assert.equal(order.status, 201, order.body);
    const cancelled = await call(`/v1/orders/${(order.json() as { id: string }).id}/cancel`, { method: 'POST', token: alice });
    assert.equal(cancelled.status, 200, cancelled.body);

    const upload = Buffer.concat([
      Buffer.from(`--${BOUNDARY}\r\ncontent-disposition: form-data; name="file"; filename="pixel.png"\r\ncontent-type: image/png\r\n\r\n`),
      PNG,
      Buffer.from(`\r\n--${BOUNDARY}--\r\n`),
    ]);
    const uploaded = await call('/v1/files', { method: 'POST', token: alice, body: upload, headers: { 'content-type': `multipart/form-data; boundary=${BOUNDARY}` } });
    assert.equal(uploaded.status, 201, uploaded.body);
    const files = (await call('/v1/files', { token: alice })).json() as { items: { name: string }[] };
    assert.deepEqual(files.items.map((f) => f.name), ['pixel.png']);
    const removed = await call(`/v1/files/${(uploaded.json() as { id: string }).id}`, { method: 'DELETE', token: alice });
    assert.equal(removed.status, 204, removed.body);

    const exited = once(child, 'exit');
    child.kill('SIGTERM');
    assert.equal(((await exited) as [number | null])[0], 0);
    // The operator commands run as the same role: a new signing key, then new data keys.
    const keys = runCli(['keys', 'rotate'], env);
    assert.equal(keys.status, 0, keys.stderr);
    const rotated = runCli(['rotate-keys'], env);
    assert.equal(rotated.status, 0, rotated.stderr);
    assert.match(rotated.stdout, /users\.email: re-encrypted \d+/);
  });

  test('a table the grants list does not name stops `rampart migrate`, naming it', async () => {
    await admin(base, (c) => c.query(`create table public.stray (id int); alter table public.stray owner to ${OWNER}`));
    try {
      const config = loadConfig(production(urlAs(APP), { RAMPART_MIGRATE_DATABASE_URL: urlAs(OWNER) }));
      await assert.rejects(migrate(config), /grants refused; nothing was granted or revoked\. Tables not in the grants list \(add each, with \[\] if the application never touches it\): stray/);
    } finally {
      await admin(base, (c) => c.query('drop table public.stray'));
    }
  });

  describe('production refuses to serve as a role that could change the schema', () => {
    const refuse = async (databaseUrl: string, reason: RegExp): Promise<void> => {
      const config = loadConfig(production(databaseUrl));
      const error = await buildApp(config, { server: { logDestination: new LogCapture() } }).then(
        async (service) => {
          await service.app.close();
          return assert.fail('it booted');
        },
        (e: unknown) => e,
      );
      assert.ok(error instanceof DatabaseRoleError, String(error));
      assert.match(error.message, /^the database role "[^"]+" may not serve in production: it /);
      assert.match(error.message, reason);
      assert.match(error.message, /point DATABASE_URL at it, and run `rampart migrate` with RAMPART_MIGRATE_DATABASE_URL naming the owner role/);
    };
    const cases: [string, string, (name: string) => string[], RegExp][] = [
      ['a superuser', 'super', (r) => [`create role ${r} login superuser`], /it is a superuser\./],
      ['CREATEDB', 'createdb', (r) => [`create role ${r} login createdb`], /it has CREATEDB\./],
      ['CREATEROLE', 'createrole', (r) => [`create role ${r} login createrole`], /it has CREATEROLE\./],
      ['BYPASSRLS', 'bypassrls', (r) => [`create role ${r} login bypassrls`], /it has BYPASSRLS\./],
      ['a member of the owner role', 'member', (r) => [`create role ${r} login in role ${OWNER}`], new RegExp(`it is a member of "${OWNER}", which owns tables \\(accounts, api_keys, deposits and 16 more\\)`)],
      ['a member of a role with CREATEDB', 'indirect', (r) => [`create role ${r}_group nologin createdb`, `create role ${r} login in role ${r}_group`], /is a member of "[a-z0-9_]+_group" \(CREATEDB\), which it can SET ROLE to/],
      ['a member of pg_execute_server_program', 'program', (r) => [`create role ${r} login in role pg_execute_server_program`], /is a member of "pg_execute_server_program" \(server files and programs\)/],
    ];
    for (const [label, suffix, statements, reason] of cases) {
      test(`refused: ${label}`, async () => {
        const name = role(suffix);
        if (suffix === 'indirect') roles.unshift(`${name}_group`);
        await admin('postgres', async (c) => {
          for (const statement of statements(name)) await c.query(statement);
        });
        await refuse(urlAs(name), reason);
      });
    }

    test('refused: the owner of a table, and a role with CREATE on the schema', async () => {
      const owner = role('tableowner');
      const creator = role('creator');
      await admin('postgres', (c) => c.query(`create role ${owner} login; create role ${creator} login`));
      await admin(base, (c) => c.query(`create table public.odd (id int); alter table public.odd owner to ${owner}; grant create on schema public to ${creator}`));
      try {
        await refuse(urlAs(owner), /it owns tables \(odd\)\./);
        await refuse(urlAs(creator), /it can create tables \(CREATE on schema "public"\)\./);
      } finally {
        await admin(base, (c) => c.query(`drop table public.odd; revoke create on schema public from ${creator}`));
      }
    });

    test('refused: the owner role itself (the single-role setup)', async () => {
      await refuse(urlAs(OWNER), /it owns schema "public" \(as the owner of the database, or a member of its owner\); it can create tables \(CREATE on schema "public"\); it can create schemas \(CREATE on the database\); it owns tables \(accounts, api_keys, deposits and 16 more\)\./);
    });

    test('the application role boots, with a warning when the owner\'s URL is in the serving environment too', async () => {
      const logs = new LogCapture();
      const service = await buildApp(loadConfig(production(urlAs(APP), { RAMPART_MIGRATE_DATABASE_URL: urlAs(OWNER) })), { server: { logDestination: logs } });
      await service.app.close();
      const warnings = logs.entries().filter((l) => l.level === 40).map((l) => String(l.msg));
      assert.deepEqual(warnings, ["RAMPART_MIGRATE_DATABASE_URL is set where the service runs: a compromised process could read the owner's credentials from its environment; give them to the `rampart migrate` job only"]);
    });

    test('`rampart serve` prints the refusal in one message and exits 1', () => {
      const result = runCli(['serve'], production(urlAs(`${base}_super`)));
      assert.equal(result.status, 1, result.stderr);
      assert.match(result.stderr, /^rampart: the database role "[a-z0-9_]+_super" may not serve in production: it is a superuser\. Serve as a role that only reads and writes rows/);
      assert.match(result.stderr, /docs\/configuration.md, "Database roles"\)\n$/);
      assert.ok(!/\n\s+at /.test(result.stderr), 'no stack trace');
    });
  });

  describe('development', () => {
    test('serving as the owner boots with one warning naming the problem', async () => {
      const logs = new LogCapture();
      const config = loadConfig({ NODE_ENV: 'development', PORT: '0', RAMPART_SECRET_KEY: SECRET, DATABASE_URL: urlAs(OWNER) }, dir);
      const service = await buildApp(config, { server: { logDestination: logs } });
      await service.app.close();
      const warnings = logs.entries().filter((l) => /development only: the database role/.test(String(l.msg)));
      assert.equal(warnings.length, 1);
      assert.match(String(warnings[0]!.msg), new RegExp(`the database role "${OWNER}" may not serve in production: it owns schema "public"`));
    });

    test('with the owner URL set, a development boot migrates as the owner and serves as the application role, silently', async () => {
      const logs = new LogCapture();
      const config = loadConfig({ NODE_ENV: 'development', PORT: '0', RAMPART_SECRET_KEY: SECRET, DATABASE_URL: urlAs(APP), RAMPART_MIGRATE_DATABASE_URL: urlAs(OWNER) }, dir);
      const service = await buildApp(config, { server: { logDestination: logs } });
      await service.app.close();
      assert.deepEqual(logs.entries().filter((l) => /database role/.test(String(l.msg))), []);
    });
  });
});
