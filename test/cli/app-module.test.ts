// The operator commands act on the user's own app when one is named (`--app`, RAMPART_APP, or
// `"rampart": { "app": … }` in the package.json of the directory they run in): its routes, its
// migrations and no table of the reference service, its users; a module that cannot serve says why.
import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { sql } from 'kysely';
import { openDatabase } from '../../src/toolkit/index.ts';
import { runCli } from '../helpers/cli.ts';
import { closeAll } from '../helpers/close-all.ts';

const TOOLKIT = new URL('../../src/toolkit/index.ts', import.meta.url).href;
const PASSWORD = 'todo-operator-passphrase-2026';

// A user's app, as a user writes it (its import of 'rampart' pointed at this checkout).
const APP = `
import { createRampart, Type } from '${TOOLKIT}';
export const migrations = {
  '0100_todos': { async up(db) { await db.schema.createTable('todos').addColumn('id', 'text', (c) => c.primaryKey()).addColumn('owner_id', 'text').execute(); } },
};
export async function buildApp(options = {}) {
  const app = await createRampart({ ...options, migrations });
  app.get('/v1/todos', { policy: { scopes: ['profile'] }, schema: { response: { 200: Type.Array(Type.Object({ id: Type.String() }, { additionalProperties: false })) } } }, () => []);
  return app;
}
`;

describe('rampart commands on the user\'s own app', () => {
  let dir: string;
  let env: Record<string, string>;
  before(() => {
    dir = mkdtempSync(join(tmpdir(), 'rampart-app-module-'));
    mkdirSync(join(dir, 'src'));
    writeFileSync(join(dir, 'src', 'app.ts'), APP);
    writeFileSync(join(dir, 'src', 'no-factory.ts'), 'export const migrations = {};\n');
    writeFileSync(join(dir, 'package.json'), JSON.stringify({ name: 'todo-api', type: 'module', rampart: { app: 'src/app.ts' } }));
    env = { NODE_ENV: 'development', RAMPART_DATA_DIR: join(dir, 'data') };
  });
  after(() => closeAll(() => rmSync(dir, { recursive: true, force: true })));

  const tables = async (): Promise<string[]> => {
    const database = openDatabase<unknown>({ dataDir: join(dir, 'data') });
    try {
      return (await sql<{ name: string }>`select name from sqlite_master where type = 'table'`.execute(database.db)).rows.map((r) => r.name);
    } finally {
      await database.close();
    }
  };

  test('routes lists the app\'s routes, found through package.json', () => {
    const result = runCli(['routes', '--json'], env, undefined, 30_000, dir);
    assert.equal(result.status, 0, result.stderr);
    const paths = (JSON.parse(result.stdout) as { method: string; path: string }[]).map((r) => `${r.method} ${r.path}`);
    assert.ok(paths.includes('GET /v1/todos'), paths.join(', '));
    assert.ok(paths.includes('POST /v1/auth/token'), 'the toolkit\'s own routes are there too');
    assert.ok(!paths.some((p) => p.includes('/v1/orders')), 'no route of the reference service');
  });

  test('migrate applies the toolkit\'s migrations and the app\'s, and creates none of the reference service\'s tables', async () => {
    const result = runCli(['migrate'], env, undefined, 30_000, dir);
    assert.equal(result.status, 0, result.stderr);
    assert.match(result.stdout, /^migrations applied: 0001_identity, .*0100_todos/);
    const names = await tables();
    assert.ok(names.includes('todos') && names.includes('users'), names.join(', '));
    for (const theirs of ['orders', 'products', 'webhooks']) assert.ok(!names.includes(theirs), `${theirs} created in the user's database`);
  });

  test('user add creates the account in the app\'s database; --app names the module explicitly', async () => {
    const result = runCli(['--app', join(dir, 'src', 'app.ts'), 'user', 'add', 'alice', '--role', 'user'], env, `${PASSWORD}\n`, 30_000);
    assert.equal(result.status, 0, result.stderr);
    assert.match(result.stdout, /^user alice created/);
    assert.ok(!(await tables()).includes('orders'));
  });

  test('a module that does not exist, or exports no factory, is refused with the reason', () => {
    const missing = runCli(['--app', 'src/missing.ts', 'routes'], env, undefined, 30_000, dir);
    assert.equal(missing.status, 1);
    assert.match(missing.stderr, /^rampart: the app module src\/missing\.ts does not exist \(resolved to .*src\/missing\.ts\)/);
    const noFactory = runCli(['routes'], { ...env, RAMPART_APP: 'src/no-factory.ts' }, undefined, 30_000, dir);
    assert.equal(noFactory.status, 1);
    assert.match(noFactory.stderr, /the app module src\/no-factory\.ts exports no factory: export async function buildApp\(options\)/);
  });
});
