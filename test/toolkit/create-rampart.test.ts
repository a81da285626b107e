// createRampart: one call gives a server with the secure constructor defaults, the database
// migrated (the app's migrations after the toolkit's), login/refresh/logout, registration,
// health, metrics and docs — and the toolkit layers' security events in the identity's trail
// without the app passing onSecurityEvent.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createRampart, loadConfig, Type, type RampartApp } from '../../src/toolkit/index.ts';
import { LogCapture } from '../helpers/http.ts';
import { STRONG_PASSWORD } from '../helpers/app.ts';
import { closeAll } from '../helpers/close-all.ts';

interface Tables {
  things: { id: string; owner_id: string };
}

const form = (fields: Record<string, string>) => ({ headers: { 'content-type': 'application/x-www-form-urlencoded' }, payload: new URLSearchParams(fields).toString() });

describe('createRampart', () => {
  let dir: string;
  let app: RampartApp<Tables>;
  before(async () => {
    dir = mkdtempSync(join(tmpdir(), 'rampart-create-'));
    const config = loadConfig({ NODE_ENV: 'development', RAMPART_TOKEN_RATE_LIMIT: '3' }, dir);
    app = await createRampart<Tables>({
      config,
      migrations: { '0100_things': { up: (db) => db.schema.createTable('things').addColumn('id', 'text', (c) => c.primaryKey()).addColumn('owner_id', 'text').execute() } },
      docs: { title: 'Things', version: '2.0.0' },
      server: { logDestination: new LogCapture() },
    });
    app.get('/v1/things', { policy: { scopes: [] }, schema: { response: { 200: Type.Array(Type.String()) } } }, async (request) => {
      const rows = await app.database.db.selectFrom('things').select('id').where('owner_id', '=', request.principal.id).execute();
      return rows.map((row) => row.id);
    });
  });
  after(() => closeAll(() => app.close(), () => rmSync(dir, { recursive: true, force: true })));

  // docs/toolkit.md "One call: createRampart" lists these.
  test('the routes it wires, and what it hands the app', () => {
    const routes: [string, string][] = [
      ['POST', '/v1/auth/token'], ['POST', '/v1/auth/revoke'], ['POST', '/v1/auth/logout'], ['POST', '/v1/auth/session'], ['DELETE', '/v1/auth/session'],
      ['GET', '/.well-known/jwks.json'], ['POST', '/v1/users'], ['GET', '/v1/users/me'], ['PUT', '/v1/users/me/password'],
      ['GET', '/healthz'], ['GET', '/readyz'], ['GET', '/metrics'], ['GET', '/docs'], ['GET', '/docs/openapi.json'],
    ];
    for (const [method, url] of routes) assert.ok(app.hasRoute({ method, url }), `${method} ${url}`);
    assert.equal(app.config.mode, 'development');
    assert.equal(typeof app.fieldKeyring.encrypt, 'function');
    assert.ok(app.identity.roles['admin']);
  });

  test('the secure defaults of the constructor options: body limit, request ids, security headers', async () => {
    const big = await app.inject({ method: 'POST', url: '/v1/users', headers: { 'content-type': 'application/json' }, payload: JSON.stringify({ username: 'x'.repeat(2 * 1024 * 1024) }) });
    assert.equal(big.statusCode, 413);
    assert.match(String(big.headers['content-type']), /^application\/problem\+json/);
    const health = await app.inject({ url: '/healthz' });
    assert.equal(health.statusCode, 200);
    assert.equal(health.headers['x-frame-options'], 'DENY');
    assert.ok(health.headers['x-request-id'], 'a request id');
  });

  test('register, log in, call the app\'s own route on its migrated table, log out', async () => {
    const registered = await app.inject({ method: 'POST', url: '/v1/users', payload: { username: 'alice', password: STRONG_PASSWORD } });
    assert.equal(registered.statusCode, 201, registered.body);
    const token = await app.inject({ method: 'POST', url: '/v1/auth/token', ...form({ grant_type: 'password', username: 'alice', password: STRONG_PASSWORD }) });
    assert.equal(token.statusCode, 200, token.body);
    const { access_token: access, refresh_token: refresh } = token.json<{ access_token: string; refresh_token: string }>();
    const alice = await app.identity.users.findByUsername('alice');
    await app.database.db.insertInto('things').values({ id: 't1', owner_id: alice!.id }).execute();
    const things = await app.inject({ url: '/v1/things', headers: { authorization: `Bearer ${access}` } });
    assert.deepEqual(things.json(), ['t1']);
    const logout = await app.inject({ method: 'POST', url: '/v1/auth/logout', headers: { authorization: `Bearer ${access}` }, payload: { refresh_token: refresh } });
    assert.equal(logout.statusCode, 204);
    const reused = await app.inject({ method: 'POST', url: '/v1/auth/token', ...form({ grant_type: 'refresh_token', refresh_token: refresh }) });
    assert.equal(reused.statusCode, 400);
  });

  test('docs name the app and list its routes; metrics need a scope', async () => {
    const spec = await app.inject({ url: '/openapi.json' });
    assert.equal(spec.statusCode, 200);
    const document = spec.json<{ info: { title: string; version: string }; paths: Record<string, unknown> }>();
    assert.deepEqual([document.info.title, document.info.version], ['Things', '2.0.0']);
    assert.ok('/v1/things' in document.paths && '/v1/auth/token' in document.paths);
    assert.equal((await app.inject({ url: '/metrics' })).statusCode, 401);
  });

  test('a toolkit layer\'s security event (a rate limit) reaches the trail without onSecurityEvent', async () => {
    const statuses: number[] = [];
    for (let i = 0; i < 5; i++) statuses.push((await app.inject({ method: 'POST', url: '/v1/auth/token', ...form({ grant_type: 'password', username: 'nobody', password: 'wrong' }) })).statusCode);
    assert.ok(statuses.includes(429), statuses.join(','));
    let events = await app.identity.events.list({ type: 'rate_limited' });
    for (let i = 0; events.length === 0 && i < 50; i++) {
      await new Promise((resolve) => setTimeout(resolve, 20));
      events = await app.identity.events.list({ type: 'rate_limited' });
    }
    assert.equal(events.length, 1);
    assert.equal(events[0]!.detail['policy'], 'token');
  });
});
