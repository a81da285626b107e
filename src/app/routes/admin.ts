// Function-level authorization (OWASP API5): admin routes under /v1/admin, each needing its
// own admin scope; every admin action is recorded with the acting admin.
import { HttpProblem, RESOURCE_ID_PATTERN, RESOURCE_NOT_FOUND, SECURITY_EVENT_TYPES, Type, toPublicUser, type AuthenticatedRequest, type Identity, type RampartServer, type SecurityEventType } from '../../toolkit/index.ts';

const AdminUser = Type.Object(
  { id: Type.String(), username: Type.String(), email: Type.Union([Type.String(), Type.Null()]), role: Type.String(), disabled: Type.Boolean(), createdAt: Type.String() },
  { additionalProperties: false },
);
const UserPage = Type.Object({ items: Type.Array(AdminUser), next: Type.Union([Type.String(), Type.Null()]) }, { additionalProperties: false });
const UserParams = Type.Object({ id: Type.String({ maxLength: 64 }) }, { additionalProperties: false });
const RoleChange = Type.Object({ role: Type.String({ minLength: 1, maxLength: 32 }) }, { additionalProperties: false });
const Detail = Type.Record(Type.String(), Type.Union([Type.String(), Type.Number(), Type.Boolean(), Type.Null()]), { additionalProperties: false });
const Event = Type.Object(
  { id: Type.String(), type: Type.String(), at: Type.String(), principalId: Type.Union([Type.String(), Type.Null()]), clientIp: Type.Union([Type.String(), Type.Null()]), detail: Detail },
  { additionalProperties: false },
);
const EventPage = Type.Object({ items: Type.Array(Event), next: Type.Union([Type.String(), Type.Null()]) }, { additionalProperties: false });
const EventQuery = Type.Object(
  {
    type: Type.Optional(Type.Union(SECURITY_EVENT_TYPES.map((t) => Type.Literal(t)))),
    principal: Type.Optional(Type.String({ maxLength: 128 })),
    since: Type.Optional(Type.String({ format: 'date-time' })),
    until: Type.Optional(Type.String({ format: 'date-time' })),
    limit: Type.Optional(Type.Integer({ minimum: 1, maximum: 100, default: 50 })),
    cursor: Type.Optional(Type.String({ maxLength: 200 })),
  },
  { additionalProperties: false },
);
const RouteEntry = Type.Object(
  {
    method: Type.String(),
    path: Type.String(),
    access: Type.String(),
    scopes: Type.Array(Type.String()),
    owner: Type.Union([Type.Object({ param: Type.String(), crossOwnerScopes: Type.Array(Type.String()) }, { additionalProperties: false }), Type.Null()]),
    rateLimit: Type.Object({ name: Type.String(), limit: Type.Integer(), windowSeconds: Type.Integer() }, { additionalProperties: false }),
    deprecated: Type.Union([Type.Object({ since: Type.String(), sunset: Type.String() }, { additionalProperties: false }), Type.Null()]),
  },
  { additionalProperties: false },
);

const ID = new RegExp(RESOURCE_ID_PATTERN);
const BAD_CURSOR = new HttpProblem(400, { slug: 'invalid-cursor', title: 'Invalid cursor', detail: 'The cursor is not one this API issued.' });
const actorOf = (request: AuthenticatedRequest) => ({ id: request.principal.id, clientIp: request.client.ip });

function notSelf(request: AuthenticatedRequest, id: string): void {
  if (id === request.principal.id) throw new HttpProblem(400, { slug: 'self-change', title: 'Cannot change yourself', detail: 'Admins cannot change their own role or disable themselves; ask another admin.' });
}

export function adminRoutes(app: RampartServer, identity: Identity): void {
  const record = (request: AuthenticatedRequest, action: string) =>
    identity.events.record({ type: 'admin_action', principalId: request.principal.id, clientIp: request.client.ip, detail: { action } });
  const adminView = (row: Parameters<typeof toPublicUser>[0]) => ({ ...toPublicUser(row), disabled: row.disabled !== 0 });

  app.get('/v1/admin/users', {
    policy: { scopes: ['admin:users'] },
    schema: { querystring: Type.Object({ limit: Type.Optional(Type.Integer({ minimum: 1, maximum: 100, default: 50 })), after: Type.Optional(Type.String({ maxLength: 64 })) }, { additionalProperties: false }), response: { 200: UserPage } },
    handler: async (request) => {
      await record(request, 'list_users');
      const page = await identity.users.list(request.query.limit ?? 50, request.query.after);
      return { items: page.users.map(adminView), next: page.next };
    },
  });

  app.put('/v1/admin/users/:id/role', {
    policy: { scopes: ['admin:users'] },
    schema: { params: UserParams, body: RoleChange, response: { 200: AdminUser } },
    handler: async (request) => {
      if (!ID.test(request.params.id)) throw RESOURCE_NOT_FOUND;
      notSelf(request, request.params.id);
      const user = await identity.setRole(request.params.id, request.body.role, actorOf(request));
      if (user === undefined) throw RESOURCE_NOT_FOUND;
      return adminView(user);
    },
  });

  for (const [action, disabled] of [['disable', true], ['enable', false]] as const) {
    app.post(`/v1/admin/users/:id/${action}`, {
      policy: { scopes: ['admin:users'] },
      schema: { params: UserParams, response: { 204: Type.Null() } },
      handler: async (request, reply) => {
        if (!ID.test(request.params.id)) throw RESOURCE_NOT_FOUND;
        notSelf(request, request.params.id);
        if (!(await identity.setDisabled(request.params.id, disabled, actorOf(request)))) throw RESOURCE_NOT_FOUND;
        return reply.code(204).send();
      },
    });
  }

  app.get('/v1/admin/events', {
    policy: { scopes: ['admin:events'] },
    schema: { querystring: EventQuery, response: { 200: EventPage } },
    handler: async (request) => {
      const q = request.query;
      const type = q.type as string | undefined;
      const limit = q.limit ?? 50;
      await record(request, 'read_events');
      const events = await identity.events.list({
        limit: limit + 1,
        ...(type === undefined ? {} : { type: type as SecurityEventType }),
        ...(q.principal === undefined ? {} : { principalId: q.principal }),
        ...(q.since === undefined ? {} : { since: Date.parse(q.since) }),
        ...(q.until === undefined ? {} : { until: Date.parse(q.until) }),
        ...(q.cursor === undefined ? {} : { before: decodeCursor(q.cursor) }),
      });
      const page = events.slice(0, limit);
      const last = page[page.length - 1];
      return {
        items: page.map((e) => ({ ...e, at: new Date(e.at).toISOString() })),
        next: events.length > limit && last !== undefined ? Buffer.from(`${last.at}:${last.id}`).toString('base64url') : null,
      };
    },
  });

  app.get('/v1/admin/routes', {
    policy: { scopes: ['admin:routes'] },
    schema: { response: { 200: Type.Object({ routes: Type.Array(RouteEntry) }, { additionalProperties: false }) } },
    handler: async (request) => {
      await record(request, 'read_routes');
      return { routes: app.routeInventory() };
    },
  });
}

function decodeCursor(cursor: string): { at: number; id: string } {
  const text = Buffer.from(cursor, 'base64url').toString('utf8');
  const colon = text.indexOf(':');
  const at = Number(text.slice(0, colon));
  if (colon === -1 || !Number.isSafeInteger(at)) throw BAD_CURSOR;
  return { at, id: text.slice(colon + 1) };
}
