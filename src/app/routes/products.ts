// The product catalog: public browsing (keyset pages, literal name search, a generous
// per-address limit) and admin-only create, change and (soft) delete, each recorded as an
// admin action. Prices are integer minor units of the one currency, EUR.
import type { FastifyRequest } from 'fastify';
import { RESOURCE_ID_PATTERN, RESOURCE_NOT_FOUND, Type, type AuthenticatedRequest, type Database, type Identity, type RampartServer } from '../../toolkit/index.ts';
import { decodeCursor, encodeCursor } from '../catalog/cursor.ts';
import { createProducts } from '../catalog/products.ts';

const Name = Type.String({ minLength: 1, maxLength: 120, pattern: '^(?=.*\\S)[^\\u0000-\\u001f\\u007f]+$' });
const Description = Type.String({ maxLength: 2000, pattern: '^[^\\u0000-\\u0009\\u000b-\\u001f\\u007f]*$' });
const Price = Type.Integer({ minimum: 1, maximum: 1_000_000_000 });
const Product = Type.Object(
  { id: Type.String(), name: Type.String(), description: Type.String(), price: Type.Integer(), currency: Type.String(), createdAt: Type.String(), updatedAt: Type.String() },
  { additionalProperties: false },
);
const ProductPage = Type.Object({ items: Type.Array(Product), next: Type.Union([Type.String(), Type.Null()]) }, { additionalProperties: false });
const NewProduct = Type.Object({ name: Name, description: Type.Optional(Description), price: Price }, { additionalProperties: false });
const ProductChange = Type.Object({ name: Type.Optional(Name), description: Type.Optional(Description), price: Type.Optional(Price) }, { additionalProperties: false, minProperties: 1 });
const ListQuery = Type.Object(
  {
    limit: Type.Optional(Type.Integer({ minimum: 1, maximum: 100, default: 20 })),
    cursor: Type.Optional(Type.String({ minLength: 1, maxLength: 1024 })),
    q: Type.Optional(Type.String({ minLength: 1, maxLength: 100 })),
  },
  { additionalProperties: false },
);
const IdParams = Type.Object({ id: Type.String({ maxLength: 64 }) }, { additionalProperties: false });

const ID = new RegExp(RESOURCE_ID_PATTERN);
const BROWSE = { public: true, rateLimit: { name: 'products', limit: 600, windowSeconds: 60 } } as const;
const ADMIN = { scopes: ['products:write'], rateLimit: { name: 'products-admin', limit: 60, windowSeconds: 60 } };

/** Malformed, unknown and deleted ids are one 404, the same as an unknown URL. */
function productId(request: FastifyRequest<{ Params: { id: string } }>): string {
  if (!ID.test(request.params.id)) throw RESOURCE_NOT_FOUND;
  return request.params.id;
}

export function productRoutes(app: RampartServer, database: Database<unknown>, identity: Identity): void {
  const products = createProducts(database.db);
  const record = (request: AuthenticatedRequest, action: string, id: string) =>
    identity.events.record({ type: 'admin_action', principalId: request.principal.id, clientIp: request.client.ip, detail: { action, productId: id } });

  app.get('/v1/products', {
    policy: BROWSE,
    schema: { querystring: ListQuery, response: { 200: ProductPage } },
    handler: async (request) => {
      const { limit = 20, cursor, q } = request.query;
      const page = await products.list({ limit, ...(cursor === undefined ? {} : { after: decodeCursor(cursor, 'string') }), ...(q === undefined ? {} : { search: q }) });
      const last = page.items[page.items.length - 1];
      return { items: page.items, next: page.more && last !== undefined ? encodeCursor({ key: last.name, id: last.id }) : null };
    },
  });

  app.get('/v1/products/:id', {
    policy: BROWSE,
    schema: { params: IdParams, response: { 200: Product } },
    handler: async (request) => {
      const product = await products.byId(productId(request));
      if (product === undefined) throw RESOURCE_NOT_FOUND;
      return product;
    },
  });

  app.post('/v1/products', {
    policy: ADMIN,
    schema: { body: NewProduct, response: { 201: Product } },
    handler: async (request, reply) => {
      const product = await products.create({ name: request.body.name, description: request.body.description ?? '', price: request.body.price });
      await record(request, 'product_create', product.id);
      return reply.code(201).header('location', `/v1/products/${product.id}`).send(product);
    },
  });

  app.patch('/v1/products/:id', {
    policy: ADMIN,
    schema: { params: IdParams, body: ProductChange, response: { 200: Product } },
    handler: async (request) => {
      const product = await products.update(productId(request), request.body);
      if (product === undefined) throw RESOURCE_NOT_FOUND;
      await record(request, 'product_update', product.id);
      return product;
    },
  });

  app.delete('/v1/products/:id', {
    policy: ADMIN,
    schema: { params: IdParams, response: { 204: Type.Null() } },
    handler: async (request, reply) => {
      const id = productId(request);
      if (!(await products.remove(id))) throw RESOURCE_NOT_FOUND;
      await record(request, 'product_delete', id);
      return reply.code(204).send();
    },
  });
}
