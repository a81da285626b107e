// Security: object ownership (BOLA), enumeration detection, property allowlists, lifecycle,
// and the route inventory — on a small owned resource in a real SQLite database.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { Kysely } from 'kysely';
import { openDatabase, RESOURCE_NOT_FOUND, Type, type Authenticator, type Database } from '../../src/toolkit/index.ts';
import { request } from '../helpers/http.ts';
import { startServer, type TestServer } from '../helpers/server.ts';
import { closeAll } from '../helpers/close-all.ts';

interface Notes {
  notes: { id: string; owner_id: string; body: string; secret_internal: string };
}

/** Principals from a header: `x-test-user: alice admin:notes` → id alice with those scopes. */
const users: Authenticator = {
  challenge: 'Bearer',
  authenticate(request) {
    const header = request.headers['x-test-user'];
    if (typeof header !== 'string') return Promise.resolve(undefined);
    const [id = '', ...scopes] = header.split(' ');
    return Promise.resolve({ id, username: id, roles: ['user'], scopes: ['notes:read', 'notes:write', ...scopes], method: 'jwt' as const });
  },
};

const Note = Type.Object({ id: Type.String(), body: Type.String() }, { additionalProperties: false });
const NoteUpdate = Type.Object({ body: Type.String({ maxLength: 200 }) }, { additionalProperties: false });
const IdParams = Type.Object({ id: Type.String() }, { additionalProperties: false });

describe('Security: object ownership', () => {
  let server: TestServer;
  let database: Database<Notes>;
  let db: Kysely<Notes>;
  const events: { type: string; principalId: string | null }[] = [];
  const bobsNote = randomUUID();
  const alicesNote = randomUUID();

  before(async () => {
    database = openDatabase<Notes>({ databaseUrl: 'sqlite::memory:', dataDir: '/tmp' });
    db = database.db;
    await db.schema.createTable('notes').addColumn('id', 'text', (c) => c.primaryKey()).addColumn('owner_id', 'text').addColumn('body', 'text').addColumn('secret_internal', 'text').execute();
    await db.insertInto('notes').values([
      { id: bobsNote, owner_id: 'bob', body: 'bob private', secret_internal: 'x' },
      { id: alicesNote, owner_id: 'alice', body: 'alice private', secret_internal: 'y' },
    ]).execute();
    server = await startServer(
      { authenticators: [users], enumeration: { limit: 5, windowSeconds: 60 }, onSecurityEvent: (event) => events.push(event) },
      (app) => {
        app.get('/notes/:id', { policy: { scopes: ['notes:read'], owner: { param: 'id', crossOwnerScopes: ['admin:notes'] } }, schema: { params: IdParams, response: { 200: Note } } }, async (req) => {
          const owner = req.owner;
          const note = await db.selectFrom('notes').selectAll().where('id', '=', owner.resourceId).$if(owner.ownerId !== null, (q) => q.where('owner_id', '=', owner.ownerId!)).executeTakeFirst();
          if (!note) throw RESOURCE_NOT_FOUND;
          return note; // carries owner_id and secret_internal: the response schema cuts them
        });
        app.patch('/notes/:id', { policy: { scopes: ['notes:write'], owner: { param: 'id' } }, schema: { params: IdParams, body: NoteUpdate, response: { 200: Note } } }, async (req) => {
          const owner = req.owner;
          const updated = await db.updateTable('notes').set({ body: req.body.body }).where('id', '=', owner.resourceId).where('owner_id', '=', owner.ownerId!).returningAll().executeTakeFirst();
          if (!updated) throw RESOURCE_NOT_FOUND;
          return updated;
        });
        app.delete('/notes/:id', { policy: { scopes: ['notes:write'], owner: { param: 'id' } }, schema: { params: IdParams, response: { 204: Type.Null() } } }, async (req, reply) => {
          const owner = req.owner;
          const result = await db.deleteFrom('notes').where('id', '=', owner.resourceId).where('owner_id', '=', owner.ownerId!).executeTakeFirst();
          if (result.numDeletedRows === 0n) throw RESOURCE_NOT_FOUND;
          return reply.code(204).send();
        });
        app.get('/old-notes', { policy: { scopes: ['notes:read'], deprecated: { since: '2026-01-01', sunset: '2099-01-01', link: 'https://docs.example/notes-v2' } }, schema: { response: { 200: Type.Object({ ok: Type.Boolean() }, { additionalProperties: false }) } } }, () => ({ ok: true }));
        app.get('/retired-notes', { policy: { public: true, deprecated: { since: '2020-01-01', sunset: '2021-01-01' } }, schema: { response: { 200: Type.Object({ ok: Type.Boolean() }, { additionalProperties: false }) } } }, () => ({ ok: true }));
      },
    );
  });
  after(() => closeAll(server, database));

  const as = (user: string) => ({ 'x-test-user': user });
  const bobStored = async () => (await db.selectFrom('notes').select('body').where('id', '=', bobsNote).executeTakeFirst())?.body;

  test('the owner reads their note, cut to the schema (no owner_id, no internals)', async () => {
    const response = await request(server.url, `/notes/${bobsNote}`, { headers: as('bob') });
    assert.equal(response.status, 200);
    assert.deepEqual(response.json(), { id: bobsNote, body: 'bob private' });
  });

  test('another owner’s id, a missing id and a malformed id answer the same 404', async () => {
    const foreign = await request(server.url, `/notes/${bobsNote}`, { headers: as('alice') });
    const missing = await request(server.url, `/notes/${randomUUID()}`, { headers: as('alice') });
    const malformed = await request(server.url, '/notes/1%20OR%201=1', { headers: as('alice') });
    const unknownRoute = await request(server.url, '/no/such/thing', { headers: as('alice') });
    for (const response of [foreign, missing, malformed]) {
      assert.equal(response.status, 404);
      assert.equal(response.body, unknownRoute.body);
      assert.equal(response.headers['content-type'], 'application/problem+json');
    }
  });

  test('updating and deleting another owner’s note: 404, and the note is unchanged', async () => {
    const update = await request(server.url, `/notes/${bobsNote}`, { method: 'PATCH', headers: { ...as('carol'), 'content-type': 'application/json' }, body: JSON.stringify({ body: 'pwned' }) });
    const remove = await request(server.url, `/notes/${bobsNote}`, { method: 'DELETE', headers: as('carol') });
    assert.equal(update.status, 404);
    assert.equal(remove.status, 404);
    assert.equal(await bobStored(), 'bob private');
  });

  test('mass assignment: owner_id, id or internals in the body are refused and nothing changes', async () => {
    for (const field of ['owner_id', 'ownerId', 'id', 'secret_internal']) {
      const response = await request(server.url, `/notes/${bobsNote}`, { method: 'PATCH', headers: { ...as('bob'), 'content-type': 'application/json' }, body: JSON.stringify({ body: 'changed', [field]: 'carol' }) });
      assert.equal(response.status, 400, field);
      assert.deepEqual((response.json() as { errors: { pointer: string }[] }).errors.map((e) => e.pointer), [`/${field}`]);
    }
    const row = await db.selectFrom('notes').selectAll().where('id', '=', bobsNote).executeTakeFirst();
    assert.deepEqual({ owner: row?.owner_id, body: row?.body }, { owner: 'bob', body: 'bob private' });
  });

  test('a cross-owner scope reads across owners only where the route allows it', async () => {
    assert.equal((await request(server.url, `/notes/${bobsNote}`, { headers: as('admin admin:notes') })).status, 200);
    const write = await request(server.url, `/notes/${bobsNote}`, { method: 'PATCH', headers: { ...as('admin admin:notes'), 'content-type': 'application/json' }, body: JSON.stringify({ body: 'admin edit' }) });
    assert.equal(write.status, 404, 'PATCH does not grant cross-owner access');
  });

  test('enumeration: N failed lookups trip 429 with Retry-After and one object_enumeration event', async () => {
    const statuses: number[] = [];
    for (let i = 0; i < 7; i++) statuses.push((await request(server.url, `/notes/${randomUUID()}`, { headers: as('mallory') })).status);
    assert.deepEqual(statuses, [404, 404, 404, 404, 404, 429, 429]);
    const blocked = await request(server.url, `/notes/${bobsNote}`, { headers: as('mallory') });
    assert.equal(blocked.status, 429);
    assert.match(String(blocked.headers['retry-after']), /^\d+$/);
    assert.equal(events.filter((e) => e.type === 'object_enumeration' && e.principalId === 'mallory').length, 1);
    assert.equal((await request(server.url, `/notes/${bobsNote}`, { headers: as('bob') })).status, 200, 'other principals are unaffected');
  });

  test('deprecated routes carry Deprecation, Sunset and Link; retired ones answer 410', async () => {
    const old = await request(server.url, '/old-notes', { headers: as('bob') });
    assert.equal(old.status, 200);
    assert.equal(old.headers.deprecation, `@${Date.parse('2026-01-01') / 1000}`);
    assert.equal(old.headers.sunset, 'Thu, 01 Jan 2099 00:00:00 GMT');
    assert.equal(old.headers.link, '<https://docs.example/notes-v2>; rel="deprecation"');
    const retired = await request(server.url, '/retired-notes');
    assert.equal(retired.status, 410);
    assert.equal(retired.headers['content-type'], 'application/problem+json');
  });

  test('the route inventory lists every route with its policy', () => {
    const inventory = server.app.routeInventory();
    const get = inventory.find((r) => r.method === 'GET' && r.path === '/notes/:id');
    assert.deepEqual(get, {
      method: 'GET', path: '/notes/:id', access: 'authenticated', scopes: ['notes:read'],
      owner: { param: 'id', crossOwnerScopes: ['admin:notes'] }, rateLimit: { name: 'default', limit: 100, windowSeconds: 60 }, deprecated: null,
    });
    assert.equal(inventory.find((r) => r.path === '/retired-notes')?.deprecated?.sunset, '2021-01-01');
    assert.ok(!inventory.some((r) => r.method === 'HEAD'));
  });
});
