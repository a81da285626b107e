// Notes: each user's own. The per-note routes declare `owner`, so another user's note, a
// missing one and a malformed id are all the same 404; the handlers filter by its owner.
import { randomUUID } from 'node:crypto';
import { RESOURCE_NOT_FOUND, Type, type RampartApp } from 'rampart';
import type { Tables } from './schema.ts';

type Row = Tables['notes'];
// What leaves the server: the owner column does not.
const Note = Type.Object({ id: Type.String(), title: Type.String(), body: Type.String(), createdAt: Type.String() }, { additionalProperties: false });
const NewNote = Type.Object({ title: Type.String({ minLength: 1, maxLength: 200 }), body: Type.String({ maxLength: 10_000 }) }, { additionalProperties: false });
const Params = Type.Object({ id: Type.String({ maxLength: 64 }) }, { additionalProperties: false });
const Count = Type.Object({ ownerId: Type.String(), notes: Type.Integer() }, { additionalProperties: false });

const SIGNED_IN = { scopes: [] };
// request.owner.ownerId is null only for a caller with a cross-owner scope; these grant none.
const OWNED = { scopes: [], owner: { param: 'id' } };
const toNote = (row: Row) => ({ id: row.id, title: row.title, body: row.body, createdAt: new Date(Number(row.created_at)).toISOString() });

export function notesRoutes(app: RampartApp<Tables>): void {
  const { db } = app.database;

  app.post('/v1/notes', { policy: SIGNED_IN, schema: { body: NewNote, response: { 201: Note } } }, async (request, reply) => {
    const row = { id: randomUUID(), owner_id: request.principal.id, ...request.body, created_at: Date.now() };
    await db.insertInto('notes').values(row).execute();
    return reply.code(201).header('location', `/v1/notes/${row.id}`).send(toNote(row));
  });

  app.get('/v1/notes', { policy: SIGNED_IN, schema: { response: { 200: Type.Array(Note) } } }, async (request) => {
    const rows = await db.selectFrom('notes').selectAll().where('owner_id', '=', request.principal.id).orderBy('created_at', 'desc').limit(100).execute();
    return rows.map(toNote);
  });

  app.get('/v1/notes/:id', { policy: OWNED, schema: { params: Params, response: { 200: Note } } }, async (request) => {
    const { resourceId, ownerId } = request.owner;
    const row = await db.selectFrom('notes').selectAll().where('id', '=', resourceId).where('owner_id', '=', ownerId ?? '').executeTakeFirst();
    if (row === undefined) throw RESOURCE_NOT_FOUND;
    return toNote(row);
  });

  app.delete('/v1/notes/:id', { policy: OWNED, schema: { params: Params, response: { 204: Type.Null() } } }, async (request, reply) => {
    const { resourceId, ownerId } = request.owner;
    const deleted = await db.deleteFrom('notes').where('id', '=', resourceId).where('owner_id', '=', ownerId ?? '').executeTakeFirst();
    if (deleted.numDeletedRows === 0n) throw RESOURCE_NOT_FOUND;
    return reply.code(204).send();
  });

  // Admins only: how many notes each user has (never their contents).
  app.get('/v1/admin/notes', { policy: { scopes: ['admin:users'] }, schema: { response: { 200: Type.Array(Count) } } }, async () => {
    const rows = await db.selectFrom('notes').select(['owner_id', (eb) => eb.fn.countAll<number>().as('notes')]).groupBy('owner_id').execute();
    return rows.map((row) => ({ ownerId: row.owner_id, notes: Number(row.notes) }));
  });
}
