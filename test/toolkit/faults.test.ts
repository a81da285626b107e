// Every fault a service meets, produced for real, answered by the one mapping in
// src/toolkit/faults/classify.ts: a private Redis and a private PostgreSQL killed and started
// again, a SQLite file held locked by another process, a full disk (a 3 MB tmpfs). Each
// answers 503 (or 507) problem+json with Retry-After — never 500 — logs one line per outage
// rather than per request, and recovers without a restart.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync, spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { sql } from 'kysely';
import {
  BUSY,
  classifyFault,
  createRedisStore,
  DEPENDENCY_UNAVAILABLE,
  INSUFFICIENT_STORAGE,
  openDatabase,
  StoreError,
  Type,
  type Database,
  type HttpProblem,
  type KeyValueStore,
} from '../../src/toolkit/index.ts';
import type { LogCapture } from '../helpers/http.ts';
import { request } from '../helpers/http.ts';
import { eventually, startPrivatePostgres, startPrivateRedis, type PrivatePostgres, type PrivateRedis } from '../helpers/private-services.ts';
import { Ok, startServer, type TestServer } from '../helpers/server.ts';
import { waitForOutput } from '../helpers/cli.ts';

/** The answer a fault must get: its problem, as problem+json, with Retry-After, and nothing else in the body. */
async function assertAnswered(url: string, path: string, problem: HttpProblem, method = 'GET'): Promise<void> {
  const response = await request(url, path, { method });
  assert.equal(response.status, problem.status, response.body);
  assert.equal(response.headers['content-type'], 'application/problem+json');
  assert.equal(response.headers['retry-after'], problem.headers['retry-after']);
  assert.deepEqual(response.json(), problem.toJSON());
}

/** Retries until the route answers 200: recovery needs no restart (bounded, never a hang). */
async function recovers(url: string, path: string, method = 'GET'): Promise<void> {
  const deadline = Date.now() + 30_000;
  for (;;) {
    const response = await request(url, path, { method });
    if (response.status === 200) return;
    assert.ok([503, 507].includes(response.status), `while recovering: ${response.status} ${response.body}`);
    if (Date.now() > deadline) assert.fail(`${path} did not recover: ${response.status}`);
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
}

const linesMatching = (logs: LogCapture, pattern: RegExp): Record<string, unknown>[] =>
  logs.entries().filter((entry) => typeof entry.msg === 'string' && pattern.test(entry.msg));

describe('Redis unreachable', () => {
  let redis: PrivateRedis | undefined;
  let store: KeyValueStore | undefined;
  let server: TestServer | undefined;
  before(async () => {
    redis = await startPrivateRedis();
    const kv = createRedisStore({ url: redis.url, prefix: 'faults:' });
    store = kv;
    server = await startServer({ keyValueStore: kv, dependencies: { redis: () => kv.ping!() } }, (app) => {
      app.get('/kv', { policy: { public: true }, schema: { response: { 200: Ok } } }, async () => ({ ok: (await kv.get('k')) === undefined }));
    });
  });
  after(async () => {
    await server?.close();
    await store?.close();
    await redis?.remove();
  });

  test('answers 503 with Retry-After, logs the outage once, and recovers without a restart', async () => {
    const { url, logs, app } = server!;
    assert.equal((await request(url, '/kv')).status, 200);
    await redis!.stop();
    for (let i = 0; i < 5; i++) await assertAnswered(url, '/kv', DEPENDENCY_UNAVAILABLE);
    assert.deepEqual(await app.readiness(), { ready: false, draining: false, unavailable: ['redis'] });
    assert.equal(linesMatching(logs, /^redis is unavailable/).length, 1, 'one line for the outage, not one per request');

    await redis!.start();
    await recovers(url, '/kv');
    await eventually(() => linesMatching(logs, /^redis is available again/).length === 1, 'a recovery line');
    assert.equal(linesMatching(logs, /^redis is unavailable/).length, 1);
    assert.equal((await app.readiness()).ready, true);
  });
});

describe('PostgreSQL unreachable', () => {
  let postgres: PrivatePostgres | undefined;
  let database: Database<unknown> | undefined;
  let server: TestServer | undefined;
  before(async () => {
    postgres = await startPrivatePostgres();
    const db = openDatabase<unknown>({ databaseUrl: postgres.url, dataDir: '/nonexistent' });
    database = db;
    server = await startServer({ dependencies: { database: () => db.ping() } }, (app) => {
      app.get('/db', { policy: { public: true }, schema: { response: { 200: Ok } } }, async () => {
        await sql`select 1`.execute(db.db);
        return { ok: true };
      });
    });
  });
  after(async () => {
    await server?.close();
    await database?.close();
    await postgres?.remove();
  });

  test('a crash answers 503 with Retry-After; an orderly shutdown too; both recover without a restart', async () => {
    const { url, logs } = server!;
    assert.equal((await request(url, '/db')).status, 200);
    await postgres!.stop('immediate');
    for (let i = 0; i < 3; i++) await assertAnswered(url, '/db', DEPENDENCY_UNAVAILABLE);
    assert.equal(linesMatching(logs, /^database is unavailable/).length, 1);
    await postgres!.start();
    await recovers(url, '/db');

    await postgres!.stop('fast');
    await assertAnswered(url, '/db', DEPENDENCY_UNAVAILABLE);
    await postgres!.start();
    await recovers(url, '/db');
  });
});

describe('SQLite held locked by another process', () => {
  let dir: string;
  let database: Database<unknown> | undefined;
  let holder: ChildProcess | undefined;
  let server: TestServer | undefined;
  before(async () => {
    dir = mkdtempSync(join(tmpdir(), 'rampart-locked-'));
    const db = openDatabase<{ notes: { id: string } }>({ dataDir: dir, sqlite: { busyTimeoutMs: 200 } });
    database = db as Database<unknown>;
    await sql`create table notes (id text primary key)`.execute(db.db);
    server = await startServer({}, (app) => {
      app.post('/notes', { policy: { public: true }, schema: { response: { 200: Ok } } }, async () => {
        await db.db.insertInto('notes').values({ id: crypto.randomUUID() }).execute();
        return { ok: true };
      });
      app.get('/notes', { policy: { public: true }, schema: { response: { 200: Ok } } }, async () => {
        await db.db.selectFrom('notes').select('id').execute();
        return { ok: true };
      });
    });
  });
  after(async () => {
    holder?.kill('SIGKILL');
    await server?.close();
    await database?.close();
    rmSync(dir, { recursive: true, force: true });
  });

  test('a write answers 503 with Retry-After (not a long wait and a 500); reads go on; released, writes go through', async () => {
    const { url } = server!;
    // Another process (a CLI command, a backup) takes the write lock and keeps it.
    const script = `const { DatabaseSync } = require('node:sqlite'); const db = new DatabaseSync(${JSON.stringify(join(dir, 'rampart.db'))}); db.exec('begin immediate'); console.log('locked'); process.stdin.resume(); process.stdin.on('end', () => process.exit(0));`;
    holder = spawn(process.execPath, ['-e', script], { stdio: ['pipe', 'pipe', 'pipe'] });
    await waitForOutput(holder, /locked/);
    await assertAnswered(url, '/notes', BUSY, 'POST');
    assert.equal((await request(url, '/notes')).status, 200, 'readers are not blocked (WAL)');
    holder.stdin!.end();
    await recovers(url, '/notes', 'POST');
  });
});

describe('a full disk', () => {
  let mountPoint: string;
  let mounted = false;
  let database: Database<unknown> | undefined;
  let server: TestServer | undefined;
  before(async () => {
    mountPoint = mkdtempSync(join(tmpdir(), 'rampart-full-'));
    // CI runs as root; elsewhere this fails here, loudly, with mount's own message.
    execFileSync('mount', ['-t', 'tmpfs', '-o', 'size=3m', 'tmpfs', mountPoint], { timeout: 10_000 });
    mounted = true;
    const db = openDatabase<{ blobs: { id: string; data: Uint8Array } }>({ dataDir: mountPoint });
    database = db as Database<unknown>;
    await sql`create table blobs (id text primary key, data blob)`.execute(db.db);
    server = await startServer({}, (app) => {
      app.post('/files/:name', { policy: { public: true }, schema: { params: Type.Object({ name: Type.String({ maxLength: 20 }) }), response: { 200: Ok } } }, async (request) => {
        await writeFile(join(mountPoint, request.params.name), Buffer.alloc(1024 * 1024, 1));
        return { ok: true };
      });
      app.post('/rows', { policy: { public: true }, schema: { response: { 200: Ok } } }, async () => {
        await db.db.insertInto('blobs').values({ id: crypto.randomUUID(), data: Buffer.alloc(256 * 1024, 2) }).execute();
        return { ok: true };
      });
    });
  });
  after(async () => {
    await server?.close();
    await database?.close();
    if (mounted) execFileSync('umount', [mountPoint], { timeout: 10_000 });
    rmSync(mountPoint, { recursive: true, force: true });
  });

  test('files answer 507 with Retry-After once the disk is full, and go through again once space is freed', async () => {
    const { url } = server!;
    let written = 0;
    for (;;) {
      const response = await request(url, `/files/f${written}`, { method: 'POST' });
      if (response.status !== 200) break;
      written += 1;
      assert.ok(written < 10, 'a 3 MB disk cannot take 10 MiB');
    }
    await assertAnswered(url, `/files/f${written}`, INSUFFICIENT_STORAGE, 'POST');
    for (let i = 0; i <= written; i++) await rm(join(mountPoint, `f${i}`), { force: true });
    await recovers(url, '/files/again', 'POST');
    await rm(join(mountPoint, 'again'));
  });

  test('SQLite answers 507 when the disk is full (SQLITE_FULL), and writes go through once space is freed', async () => {
    const { url } = server!;
    await writeFile(join(mountPoint, 'filler'), Buffer.alloc(2 * 1024 * 1024));
    let rows = 0;
    for (;;) {
      const response = await request(url, '/rows', { method: 'POST' });
      if (response.status !== 200) {
        assert.equal(response.status, 507, response.body);
        break;
      }
      rows += 1;
      assert.ok(rows < 20, 'a 3 MB disk cannot take 5 MiB of rows');
    }
    await assertAnswered(url, '/rows', INSUFFICIENT_STORAGE, 'POST');
    await rm(join(mountPoint, 'filler'));
    await recovers(url, '/rows', 'POST');
  });
});

describe('the mapping itself', () => {
  test('SQLSTATEs and system errors that cannot be produced here on demand map as documented', () => {
    const pgError = (code: string): Error => Object.assign(new Error('server error'), { code, severity: 'FATAL' });
    const cases: [unknown, string | undefined, number | undefined][] = [
      [pgError('57P01'), 'database', 503], // admin_shutdown
      [pgError('57P03'), 'database', 503], // starting up
      [pgError('08006'), 'database', 503], // connection failure
      [pgError('53300'), 'database', 503], // too many connections
      [pgError('40001'), 'database', 503], // serialization failure
      [pgError('53100'), 'database', 507], // disk full
      [pgError('23505'), undefined, undefined], // unique violation: a bug, not an outage
      [new Error('Connection terminated unexpectedly'), 'database', 503],
      [new Error('timeout exceeded when trying to connect'), 'database', 503], // every pooled connection busy
      [Object.assign(new Error('x'), { code: 'EMFILE', syscall: 'open' }), 'server', 503],
      [Object.assign(new Error('x'), { code: 'EDQUOT', syscall: 'write' }), 'storage', 507],
      [new StoreError('ERR_STORE_BUSY', 'busy', { dependency: 'database' }), 'database', 503],
      [new StoreError('ERR_STORE_NOT_A_COUNTER', 'bug'), undefined, undefined],
      [new Error('database exploded'), undefined, undefined],
      [Object.assign(new Error('wrapped'), { cause: Object.assign(new Error('x'), { code: 'ENOSPC', syscall: 'write' }) }), 'storage', 507],
    ];
    for (const [error, dependency, status] of cases) {
      const fault = classifyFault(error);
      assert.equal(fault?.dependency, dependency, String(error));
      assert.equal(fault?.problem.status, status, String(error));
    }
  });

  test('anything else stays a 500 with the generic body', async () => {
    const server = await startServer({}, (app) => {
      app.get('/boom', { policy: { public: true }, schema: { response: { 200: Ok } } }, () => {
        throw new Error('a bug');
      });
    });
    try {
      const response = await request(server.url, '/boom');
      assert.equal(response.status, 500);
      assert.equal(response.headers['retry-after'], undefined);
    } finally {
      await server.close();
    }
  });
});
