// rampart/testing: a test app on a temporary SQLite database, removed on close, and loginAs
// returning the headers of a caller logged in through the real token endpoint.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import { createRampart, Type, type RampartOptions } from '../../src/toolkit/index.ts';
import { createTestApp, loginAs } from '../../src/toolkit/testing/index.ts';

async function buildApp(options: RampartOptions) {
  const app = await createRampart(options);
  app.get('/v1/whoami', { policy: { scopes: [] }, schema: { response: { 200: Type.Object({ username: Type.String(), roles: Type.Array(Type.String()) }, { additionalProperties: false }) } } }, (request) => ({ username: request.principal.username, roles: [...request.principal.roles] }));
  return app;
}

test('createTestApp builds the app on a temporary database that close() removes', async () => {
  const app = await createTestApp(buildApp);
  const dataDir = app.config.dataDir;
  assert.equal(app.database.dialect, 'sqlite');
  assert.ok(existsSync(dataDir), dataDir);
  assert.equal(app.config.mode, 'development');
  await app.close();
  assert.equal(existsSync(dataDir), false);
});

test('loginAs creates the user with the role asked for, and logs in again with the same password', async () => {
  const app = await createTestApp(buildApp);
  try {
    const headers = await loginAs(app, { username: 'root', role: 'admin' });
    assert.match(headers.authorization, /^Bearer [\w-]+\.[\w-]+\.[\w-]+$/);
    const me = await app.inject({ url: '/v1/whoami', headers });
    assert.deepEqual(me.json(), { username: 'root', roles: ['admin'] });
    const again = await loginAs(app, 'root');
    assert.equal((await app.inject({ url: '/v1/whoami', headers: again })).statusCode, 200);
    assert.equal((await app.inject({ url: '/v1/whoami' })).statusCode, 401);
  } finally {
    await app.close();
  }
});

test('loginAs refuses, saying why, a user it did not create and whose password it was not given', async () => {
  const app = await createTestApp();
  try {
    await app.identity.createUser({ username: 'erin', password: 'correct-horse-battery-staple-91!', role: 'user' }, { id: null, clientIp: null });
    await assert.rejects(loginAs(app, 'erin'), /"erin" exists and was not created by loginAs; pass its password/);
    await assert.rejects(loginAs(app, { username: 'erin', password: 'wrong-horse-battery-staple-91!' }), /answered 400/);
    assert.ok((await loginAs(app, { username: 'erin', password: 'correct-horse-battery-staple-91!' })).authorization);
  } finally {
    await app.close();
  }
});
