// applyGrants on a private database with private roles: the list is the whole truth. Sequences
// of tables the role may insert into are granted (serial and identity columns work), default
// privileges a recipe left behind no longer hand new tables to the role, CREATE on the schema
// granted to PUBLIC (PostgreSQL 14 and older) is revoked, a privilege dropped from the list is
// revoked, and a list that does not match the schema changes nothing.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import pg from 'pg';
import { applyGrants, openDatabase, type Database, type TableGrants } from '../../../src/toolkit/index.ts';
import { closeAll } from '../../helpers/close-all.ts';
import { POSTGRES_ADMIN_URL, uniqueName } from './services.ts';

describe('applyGrants (PostgreSQL)', () => {
  const base = `rampart_grants_${uniqueName()}`;
  const OWNER = `${base}_owner`;
  const APP = `${base}_app`;
  let rolesCreated = false;
  let databaseCreated = false;
  let owner: Database<unknown> | undefined;
  let app: pg.Client | undefined;

  const url = (user: string, database: string): string => {
    const u = new URL(POSTGRES_ADMIN_URL);
    u.username = user;
    u.password = '';
    u.pathname = `/${database}`;
    return u.href;
  };
  const asAdmin = async (database: string, statements: string[]): Promise<void> => {
    const u = new URL(POSTGRES_ADMIN_URL);
    u.pathname = `/${database}`;
    const client = new pg.Client({ connectionString: u.href, connectionTimeoutMillis: 5000 });
    await client.connect();
    try {
      for (const statement of statements) await client.query(statement);
    } finally {
      await client.end();
    }
  };
  const ownerSays = async (statement: string): Promise<void> => {
    const client = new pg.Client({ connectionString: url(OWNER, base), connectionTimeoutMillis: 5000 });
    await client.connect();
    try {
      await client.query(statement);
    } finally {
      await client.end();
    }
  };
  const refused = async (statement: string): Promise<string> => {
    const error = await app!.query(statement).then(
      () => assert.fail(`allowed: ${statement}`),
      (e: unknown) => e as { code: string; message: string },
    );
    assert.equal(error.code, '42501', `${statement}: ${error.message}`);
    return error.message;
  };

  before(async () => {
    await asAdmin('postgres', [`create role ${OWNER} login`, `create role ${APP} login`]);
    rolesCreated = true;
    await asAdmin('postgres', [`create database ${base} owner ${OWNER}`]);
    databaseCreated = true;
    await ownerSays(`
      create table counters (id serial primary key, label text not null);
      create table tickets (id bigint generated always as identity primary key, note text);
      create table vault (secret text);
      alter default privileges grant select, insert, update, delete, truncate on tables to ${APP};
      alter default privileges in schema public grant all on sequences to ${APP};
      grant all on vault to ${APP};
      -- PostgreSQL 14 and older let every role create tables in public.
      grant create on schema public to public;`);
    owner = openDatabase<unknown>({ databaseUrl: url(OWNER, base), dataDir: '/nonexistent' });
    app = new pg.Client({ connectionString: url(APP, base), connectionTimeoutMillis: 5000 });
    await app.connect();
  });
  after(() =>
    closeAll(
      app === undefined ? undefined : () => app!.end(),
      owner,
      () => (databaseCreated ? asAdmin('postgres', [`drop database if exists ${base} with (force)`]) : undefined),
      () => (rolesCreated ? asAdmin('postgres', [`drop role if exists ${APP}`, `drop role if exists ${OWNER}`]) : undefined),
    ),
  );

  const LIST: TableGrants = { counters: ['select', 'insert'], tickets: ['insert'], vault: [] };

  test('a list that does not match the schema is refused, and nothing changes', async () => {
    await assert.rejects(applyGrants(owner!, { counters: ['select'], tickets: [] }, APP), /Tables not in the grants list \(add each, with \[\] if the application never touches it\): vault/);
    await assert.rejects(applyGrants(owner!, { ...LIST, ghost: ['select'] }, APP), /Tables listed but not in schema "public": ghost/);
    await assert.rejects(applyGrants(owner!, LIST, OWNER), /is the role migrating/);
    await assert.rejects(applyGrants(owner!, LIST, `${base}_nobody`), /does not exist; create it first/);
    // The hand-made grants still stand: nothing was revoked.
    assert.deepEqual((await app!.query('select count(*)::int as n from vault')).rows, [{ n: 0 }]);
    await app!.query('create table scratch (id int); drop table scratch');
  });

  test('the list becomes the whole truth: sequences granted, everything else revoked', async () => {
    const applied = await applyGrants(owner!, LIST, APP);
    assert.deepEqual(applied, { role: APP, schema: 'public', granted: 2, withheld: 1, sequences: 2 });
    // serial and identity columns draw from sequences the role may now use.
    assert.equal((await app!.query("insert into counters (label) values ('a'), ('b') returning id")).rowCount, 2);
    await app!.query("insert into tickets (note) values ('x')");
    assert.match(await refused('select * from tickets'), /permission denied for table tickets/);
    assert.match(await refused('select * from vault'), /permission denied for table vault/);
    assert.match(await refused('truncate counters'), /permission denied for table counters/);
    assert.match(await refused("select setval('counters_id_seq', 1)"), /permission denied for sequence counters_id_seq/);
  });

  test('default privileges from a recipe no longer hand new tables to the role', async () => {
    await ownerSays('create table later (id int); create sequence later_seq');
    try {
      assert.match(await refused('select * from later'), /permission denied for table later/);
      assert.match(await refused("select nextval('later_seq')"), /permission denied for sequence later_seq/);
      assert.match(await refused('create table mine (id int)'), /permission denied for schema public/);
    } finally {
      await ownerSays('drop table if exists later; drop sequence if exists later_seq; drop table if exists mine');
    }
  });

  test('a privilege dropped from the list is revoked on the next run', async () => {
    await applyGrants(owner!, { ...LIST, counters: ['select'] }, APP);
    assert.match(await refused("insert into counters (label) values ('c')"), /permission denied for table counters/);
    assert.equal((await app!.query('select count(*)::int as n from counters')).rows[0].n, 2);
  });

  test('runs that overlap (two deploys, two development boots) wait for each other', async () => {
    const runs = await Promise.allSettled(Array.from({ length: 4 }, () => applyGrants(owner!, LIST, APP)));
    assert.deepEqual(runs.map((r) => (r.status === 'rejected' ? String(r.reason) : 'ok')), ['ok', 'ok', 'ok', 'ok']);
  });

  test('SQLite has no roles: nothing to do', async () => {
    const sqlite = openDatabase<unknown>({ databaseUrl: 'sqlite::memory:', dataDir: '/nonexistent' });
    try {
      assert.equal(await applyGrants(sqlite, LIST, APP), undefined);
    } finally {
      await sqlite.close();
    }
  });
});
