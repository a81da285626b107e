// The notes API's own tests, on a temporary database, logged in through the real token endpoint.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { createTestApp, loginAs } from 'rampart/testing';
import { buildApp } from '../src/app.ts';

let app: Awaited<ReturnType<typeof buildApp>>;
before(async () => {
  app = await createTestApp(buildApp);
});
after(() => app.close());

const write = (headers: object, payload: object) => app.inject({ method: 'POST', url: '/v1/notes', headers: { ...headers }, payload });

test('a user writes a note and reads it back', async () => {
  const alice = await loginAs(app, 'alice');
  const created = await write(alice, { title: 'Groceries', body: 'milk' });
  assert.equal(created.statusCode, 201);
  const note = created.json();
  assert.equal(created.headers.location, `/v1/notes/${note.id}`);
  assert.deepEqual(Object.keys(note).sort(), ['body', 'createdAt', 'id', 'title']);
  const read = await app.inject({ url: `/v1/notes/${note.id}`, headers: alice });
  assert.equal(read.statusCode, 200);
  assert.equal(read.json().body, 'milk');
});

test("another user's note is a 404, the same as a missing one, and stays in place", async () => {
  const note = (await write(await loginAs(app, 'alice'), { title: 'Mine', body: 'private' })).json();
  const bob = await loginAs(app, 'bob');
  for (const method of ['GET', 'DELETE'] as const) {
    const response = await app.inject({ method, url: `/v1/notes/${note.id}`, headers: bob });
    assert.equal(response.statusCode, 404);
    assert.match(String(response.headers['content-type']), /^application\/problem\+json/);
  }
  const missing = await app.inject({ url: '/v1/notes/00000000-0000-4000-8000-000000000000', headers: bob });
  assert.equal(missing.statusCode, 404);
  const stored = await app.database.db.selectFrom('notes').select('owner_id').where('id', '=', note.id).executeTakeFirst();
  assert.ok(stored, 'the note is still there');
  const bobsList = await app.inject({ url: '/v1/notes', headers: bob });
  assert.deepEqual(bobsList.json(), []);
});

test('the owner deletes a note: 204, then 404', async () => {
  const carol = await loginAs(app, 'carol');
  const note = (await write(carol, { title: 'Temp', body: '' })).json();
  const deleted = await app.inject({ method: 'DELETE', url: `/v1/notes/${note.id}`, headers: carol });
  assert.equal(deleted.statusCode, 204);
  assert.equal(deleted.body, '');
  assert.equal((await app.inject({ url: `/v1/notes/${note.id}`, headers: carol })).statusCode, 404);
});

test('bad input is a 400 problem, and unknown fields are refused', async () => {
  const alice = await loginAs(app, 'alice');
  for (const payload of [{ title: '', body: 'x' }, { title: 'x' }, { title: 'x', body: 'y', owner_id: 'someone-else' }]) {
    const response = await write(alice, payload);
    assert.equal(response.statusCode, 400, JSON.stringify(payload));
    assert.match(String(response.headers['content-type']), /^application\/problem\+json/);
  }
});

test('without a token: 401', async () => {
  const response = await app.inject({ url: '/v1/notes' });
  assert.equal(response.statusCode, 401);
  assert.match(String(response.headers['www-authenticate']), /Bearer/);
});

test('the admin route: admins see counts, users get 403', async () => {
  await write(await loginAs(app, 'dave'), { title: 'One', body: '' });
  const asUser = await app.inject({ url: '/v1/admin/notes', headers: await loginAs(app, 'dave') });
  assert.equal(asUser.statusCode, 403);
  const asAdmin = await app.inject({ url: '/v1/admin/notes', headers: await loginAs(app, { username: 'root', role: 'admin' }) });
  assert.equal(asAdmin.statusCode, 200);
  assert.ok(asAdmin.json().some((row: { notes: number }) => row.notes >= 1));
});

test("tokens carry the app's own names, taken from package.json", async () => {
  const { authorization } = await loginAs(app, 'alice');
  const claims = JSON.parse(Buffer.from(authorization.split('.')[1]!, 'base64url').toString());
  assert.equal(claims.iss, 'notes');
  assert.equal(claims.aud, 'notes-api');
  assert.equal(claims.client_id, 'notes-console');
});
