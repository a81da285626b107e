// The caller's own orders: place, list, read, cancel. Ownership is the toolkit's: the per-id
// routes declare `owner`, the handlers filter by `request.owner`, and another user's order,
// a missing one and a malformed id are the same 404. Create bodies hold only the product and
// the quantity; everything else is the server's, and unknown fields are refused (400).
import type { FastifyRequest } from 'fastify';
import { HttpProblem, RESOURCE_ID_PATTERN, RESOURCE_NOT_FOUND, Type, type Database, type RampartServer } from '../../toolkit/index.ts';
import { decodeCursor, encodeCursor } from '../catalog/cursor.ts';
import { createOrders, orderPosition } from '../catalog/orders.ts';

// The response allowlist: the owner (and any other internal column) never leaves the server.
const Order = Type.Object(
  {
    id: Type.String(),
    productId: Type.String(),
    quantity: Type.Integer(),
    unitPrice: Type.Integer(),
    total: Type.Integer(),
    currency: Type.String(),
    status: Type.Union([Type.Literal('placed'), Type.Literal('cancelled')]),
    createdAt: Type.String(),
    cancelledAt: Type.Union([Type.String(), Type.Null()]),
  },
  { additionalProperties: false },
);
const OrderPage = Type.Object({ items: Type.Array(Order), next: Type.Union([Type.String(), Type.Null()]) }, { additionalProperties: false });
const NewOrder = Type.Object({ productId: Type.String({ pattern: RESOURCE_ID_PATTERN }), quantity: Type.Integer({ minimum: 1, maximum: 100 }) }, { additionalProperties: false });
const ListQuery = Type.Object(
  { limit: Type.Optional(Type.Integer({ minimum: 1, maximum: 100, default: 20 })), cursor: Type.Optional(Type.String({ minLength: 1, maxLength: 200 })) },
  { additionalProperties: false },
);
const IdParams = Type.Object({ id: Type.String({ maxLength: 64 }) }, { additionalProperties: false });

const READ = { scopes: ['orders:read'], rateLimit: { name: 'orders', limit: 300, windowSeconds: 60 } };
const WRITE = { scopes: ['orders:write'], rateLimit: { name: 'orders-write', limit: 60, windowSeconds: 60 } };
const OWNED = { owner: { param: 'id' } };

const UNKNOWN_PRODUCT = new HttpProblem(422, { slug: 'unknown-product', title: 'Unknown product', detail: 'No product on sale has this id.' });
const NOT_CANCELLABLE = new HttpProblem(409, { slug: 'order-not-cancellable', title: 'Order cannot be cancelled', detail: 'Only a placed order can be cancelled.' });

/** The order id and its owner; these routes grant no cross-owner access, so fail closed. */
function owned(request: FastifyRequest): { id: string; ownerId: string } {
  const { resourceId, ownerId } = request.owner!;
  if (ownerId === null) throw RESOURCE_NOT_FOUND;
  return { id: resourceId, ownerId };
}

export function orderRoutes(app: RampartServer, database: Database<unknown>): void {
  const orders = createOrders(database.db);

  app.post('/v1/orders', {
    policy: WRITE,
    schema: { body: NewOrder, response: { 201: Order } },
    handler: async (request, reply) => {
      const order = await orders.place(request.principal.id, request.body.productId, request.body.quantity);
      if (order === undefined) throw UNKNOWN_PRODUCT;
      return reply.code(201).header('location', `/v1/orders/${order.id}`).send(order);
    },
  });

  app.get('/v1/orders', {
    policy: READ,
    schema: { querystring: ListQuery, response: { 200: OrderPage } },
    handler: async (request) => {
      const { limit = 20, cursor } = request.query;
      const page = await orders.list(request.principal.id, limit, cursor === undefined ? undefined : decodeCursor(cursor, 'number'));
      const last = page.items[page.items.length - 1];
      return { items: page.items, next: page.more && last !== undefined ? encodeCursor(orderPosition(last)) : null };
    },
  });

  app.get('/v1/orders/:id', {
    policy: { ...READ, ...OWNED },
    schema: { params: IdParams, response: { 200: Order } },
    handler: async (request) => {
      const { id, ownerId } = owned(request);
      const order = await orders.byId(id, ownerId);
      if (order === undefined) throw RESOURCE_NOT_FOUND;
      return order; // carries ownerId: the response schema cuts it
    },
  });

  app.post('/v1/orders/:id/cancel', {
    policy: { ...WRITE, ...OWNED },
    schema: { params: IdParams, response: { 200: Order } },
    handler: async (request) => {
      const { id, ownerId } = owned(request);
      const result = await orders.cancel(id, ownerId);
      if (result === undefined) throw RESOURCE_NOT_FOUND;
      if (result === 'not-placed') throw NOT_CANCELLABLE;
      return result;
    },
  });
}
