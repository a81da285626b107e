// Type tests, checked by `npm run typecheck` (tsc reads every file under test/): each
// `@ts-expect-error` fails the build if the line it guards ever type-checks, and each plain
// line fails it if it stops type-checking. Nothing here runs.
import type { Kysely } from 'kysely';
import { type createIdentity, rotateFieldKeys, Type, type AuthenticatedRequest, type Database, type AuthenticatedPolicy, type Principal, type RampartServer, type RoutePolicy } from '../../../src/toolkit/index.ts';

/** Reads a value, so that the lines below type-check what they touch. */
function use(value: unknown): void {
  if (value === Symbol.for('never')) throw new Error('unreachable');
}

interface NotesTables {
  notes: { id: string; owner_id: string; body: string };
}

export function routes(app: RampartServer, policy: RoutePolicy): void {
  // An authenticated policy: the principal is never null, and carries the user name.
  app.get('/me', { policy: { scopes: [] }, schema: { response: { 200: Type.Object({ id: Type.String(), name: Type.String() }) } } }, (request) => {
    const principal: Principal = request.principal;
    return { id: principal.id, name: request.principal.username };
  });
  app.post('/notes', {
    policy: { scopes: ['notes:write'], rateLimit: { name: 'notes', limit: 10, windowSeconds: 60 } },
    schema: { body: Type.Object({ body: Type.String() }), response: { 201: Type.Object({ owner: Type.String(), body: Type.String() }) } },
    handler: (request, reply) => {
      void reply.code(201).send({ owner: request.principal.id, body: request.body.body });
    },
  });

  // A public policy: the principal may be null.
  app.get('/open', { policy: { public: true }, schema: { response: { 200: Type.Object({ who: Type.String() }) } } }, (request) => {
    // @ts-expect-error -- possibly null on a public route
    use(request.principal.id);
    return { who: request.principal?.id ?? 'anonymous' };
  });

  // A policy only known at run time (public or not): nullable, as it must be.
  app.get('/either', { policy, schema: { response: { 200: Type.Object({ who: Type.String() }) } } }, (request) => {
    // @ts-expect-error -- the policy may be public
    use(request.principal.id);
    return { who: request.principal?.username ?? 'anonymous' };
  });

  // A policy held in a variable of the authenticated type: non-null.
  const signedIn: AuthenticatedPolicy = { scopes: ['profile'] };
  app.get('/profile', { policy: signedIn, schema: { response: { 200: Type.String() } } }, (request) => request.principal.username);

  // The known cost: Fastify's own `config` object shares the type parameter the policy's type
  // travels through, so beside a literal policy it must be cast (docs/toolkit.md, "Declaring routes").
  app.get('/configured', { policy: { scopes: [] }, config: { rawBody: true } as never, schema: { response: { 200: Type.String() } } }, (request) => request.principal.id);

  // @ts-expect-error -- a misspelt policy is a type error, not a public route
  app.get('/typo', { policy: { scope: ['x'] }, schema: { response: { 200: Type.String() } } }, () => 'x');

  // An owned route: the owner scope is never null either.
  app.get('/notes/:id', { policy: { scopes: ['notes:read'], owner: { param: 'id' } }, schema: { params: Type.Object({ id: Type.String() }), response: { 200: Type.String() } } }, (request) => request.owner.resourceId);
  app.get('/plain', { policy: { scopes: [] }, schema: { response: { 200: Type.String() } } }, (request) => {
    // @ts-expect-error -- no owner rule, so no owner scope
    use(request.owner.resourceId);
    return 'x';
  });

  // 204: Type.Null() is sent as Fastify's documentation writes it.
  app.delete('/notes/:id', { policy: { scopes: ['notes:write'] }, schema: { params: Type.Object({ id: Type.String() }), response: { 204: Type.Null() } } }, (request, reply) => {
    use(request.params.id);
    void reply.code(204).send();
  });
}

/** Helpers shared by authenticated routes take an AuthenticatedRequest. */
export const ownerOf = (request: AuthenticatedRequest): string => request.principal.id;

// A typed database is accepted wherever the toolkit takes one.
export async function typedDatabase(database: Database<NotesTables>): Promise<void> {
  const db: Kysely<NotesTables> = database.db;
  use(db);
  type IdentityOptions = Parameters<typeof createIdentity>[0];
  const options: Pick<IdentityOptions, 'database'> = { database };
  use(options);
  await rotateFieldKeys(database, {} as Parameters<typeof rotateFieldKeys>[1], []);
}
