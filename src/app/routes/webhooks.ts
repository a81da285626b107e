// The caller's own webhooks: register (HTTPS to a public host; the signing secret is shown
// once), list, read, delete, and the delivery log. Ownership is the toolkit's: another
// user's webhook, a missing one and a malformed id are the same 404. Secrets never appear
// after creation, and receivers' responses only as a short printable excerpt.
import type { FastifyRequest } from 'fastify';
import { HttpProblem, RESOURCE_NOT_FOUND, Type, type Database, type FieldCipher, type RampartServer, type Resolver } from '../../toolkit/index.ts';
import { createWebhookStore } from '../webhooks/store.ts';
import { WEBHOOK_EVENTS } from '../webhooks/tables.ts';
import { checkWebhookTarget, MAX_WEBHOOK_URL_LENGTH } from '../webhooks/target.ts';

const EventName = Type.Union(WEBHOOK_EVENTS.map((event) => Type.Literal(event)));
const Webhook = Type.Object({ id: Type.String(), url: Type.String(), events: Type.Array(Type.String()), createdAt: Type.String() }, { additionalProperties: false });
const CreatedWebhook = Type.Object(
  { id: Type.String(), url: Type.String(), events: Type.Array(Type.String()), createdAt: Type.String(), secret: Type.String() },
  { additionalProperties: false },
);
const Delivery = Type.Object(
  {
    id: Type.String(),
    event: Type.String(),
    status: Type.String(),
    attempts: Type.Integer(),
    nextAttemptAt: Type.Union([Type.String(), Type.Null()]),
    lastStatus: Type.Union([Type.Integer(), Type.Null()]),
    lastError: Type.Union([Type.String(), Type.Null()]),
    responseExcerpt: Type.Union([Type.String(), Type.Null()]),
    createdAt: Type.String(),
    deliveredAt: Type.Union([Type.String(), Type.Null()]),
  },
  { additionalProperties: false },
);
const NewWebhook = Type.Object(
  { url: Type.String({ minLength: 1, maxLength: MAX_WEBHOOK_URL_LENGTH }), events: Type.Array(EventName, { minItems: 1, maxItems: WEBHOOK_EVENTS.length, uniqueItems: true }) },
  { additionalProperties: false },
);
const IdParams = Type.Object({ id: Type.String({ maxLength: 64 }) }, { additionalProperties: false });
const DeliveryQuery = Type.Object({ limit: Type.Optional(Type.Integer({ minimum: 1, maximum: 100, default: 50 })) }, { additionalProperties: false });

const READ = { scopes: ['webhooks:read'], rateLimit: { name: 'webhooks', limit: 300, windowSeconds: 60 } };
const WRITE = { scopes: ['webhooks:write'], rateLimit: { name: 'webhooks-write', limit: 30, windowSeconds: 60 } };
const OWNED = { owner: { param: 'id' } };

export interface WebhookRouteOptions {
  /** The loudly named development setting: plain-HTTP loopback targets. */
  allowInsecureLoopback: boolean;
  /** Most webhooks one user may have (default 10). */
  perUserLimit?: number;
  /** Name resolution for the registration check (tests inject one). */
  resolver?: Resolver;
}

function owned(request: FastifyRequest): { id: string; ownerId: string } {
  const { resourceId, ownerId } = request.owner!;
  if (ownerId === null) throw RESOURCE_NOT_FOUND;
  return { id: resourceId, ownerId };
}

export function webhookRoutes(app: RampartServer, database: Database<unknown>, cipher: FieldCipher, options: WebhookRouteOptions): void {
  const store = createWebhookStore(database.db, cipher);
  const limit = options.perUserLimit ?? 10;
  const tooMany = new HttpProblem(409, { slug: 'webhook-limit', title: 'Too many webhooks', detail: `A user may have at most ${limit} webhooks; delete one first.` });

  app.post('/v1/webhooks', {
    policy: WRITE,
    schema: { body: NewWebhook, response: { 201: CreatedWebhook } },
    handler: async (request, reply) => {
      const url = await checkWebhookTarget(request.body.url, { allowInsecureLoopback: options.allowInsecureLoopback, ...(options.resolver && { resolver: options.resolver }) });
      const created = await store.create(request.principal.id, url, request.body.events, limit);
      if (created === undefined) throw tooMany;
      return reply.code(201).header('location', `/v1/webhooks/${created.id}`).send(created);
    },
  });

  app.get('/v1/webhooks', {
    policy: READ,
    schema: { response: { 200: Type.Object({ items: Type.Array(Webhook) }, { additionalProperties: false }) } },
    handler: async (request) => ({ items: await store.list(request.principal.id) }),
  });

  app.get('/v1/webhooks/:id', {
    policy: { ...READ, ...OWNED },
    schema: { params: IdParams, response: { 200: Webhook } },
    handler: async (request) => {
      const { id, ownerId } = owned(request);
      const webhook = await store.byId(id, ownerId);
      if (webhook === undefined) throw RESOURCE_NOT_FOUND;
      return webhook;
    },
  });

  app.delete('/v1/webhooks/:id', {
    policy: { ...WRITE, ...OWNED },
    schema: { params: IdParams, response: { 204: Type.Null() } },
    handler: async (request, reply) => {
      const { id, ownerId } = owned(request);
      if (!(await store.remove(id, ownerId))) throw RESOURCE_NOT_FOUND;
      return reply.code(204).send();
    },
  });

  app.get('/v1/webhooks/:id/deliveries', {
    policy: { ...READ, ...OWNED },
    schema: { params: IdParams, querystring: DeliveryQuery, response: { 200: Type.Object({ items: Type.Array(Delivery) }, { additionalProperties: false }) } },
    handler: async (request) => {
      const { id, ownerId } = owned(request);
      const items = await store.deliveries(id, ownerId, request.query.limit ?? 50);
      if (items === undefined) throw RESOURCE_NOT_FOUND;
      return { items };
    },
  });
}
