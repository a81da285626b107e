// Orders through real HTTP, on node:sqlite and PostgreSQL: placing, listing, reading and
// cancelling one's own orders, and the authorization attacks on them — another user's order
// by id (BOLA), server-controlled fields in bodies (mass assignment), internal columns in
// responses.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import type { Kysely } from 'kysely';
import type { CatalogTables } from '../../src/app/catalog/tables.ts';
import { request, type Response } from '../helpers/http.ts';
import { bearer, login, startReferenceService, STRONG_PASSWORD, type RunningService } from '../helpers/app.ts';
import { createTestDatabase } from '../toolkit/stores/services.ts';
import { closeAll } from '../helpers/close-all.ts';

const OPERATOR = { id: null, clientIp: null };
const ENV = { RAMPART_RATE_LIMIT_OVERRIDES: 'orders-write=100000/60,products-admin=100000/60' };
const ORDER_FIELDS = ['cancelledAt', 'createdAt', 'currency', 'id', 'productId', 'quantity', 'status', 'total', 'unitPrice'];

interface Order {
  id: string;
  productId: string;
  quantity: number;
  unitPrice: number;
  total: number;
  currency: string;
  status: string;
  createdAt: string;
  cancelledAt: string | null;
}

interface User {
  id: string;
  token: string;
}

for (const backend of ['sqlite', 'postgres'] as const) {
  describe(`orders (${backend})`, () => {
    let service: RunningService;
    let dropDatabase: (() => Promise<void>) | undefined;
    let db: Kysely<CatalogTables>;
    let admin: User;
    let alice: User;
    let bob: User;
    let reader: User;
    let widget: string;
    let gadget: string;

    async function user(username: string, role: string): Promise<User> {
      const { id } = await service.identity.createUser({ username, password: STRONG_PASSWORD, role }, OPERATOR);
      return { id, token: (await login(service.url, username)).access_token };
    }

    async function product(name: string, price: number): Promise<string> {
      const response = await request(service.url, '/v1/products', { method: 'POST', headers: json(admin.token), body: JSON.stringify({ name, price }) });
      assert.equal(response.status, 201, response.body);
      return (response.json() as { id: string }).id;
    }

    before(async () => {
      let env: Record<string, string> = ENV;
      if (backend === 'postgres') {
        const database = await createTestDatabase();
        dropDatabase = database.drop;
        env = { ...env, DATABASE_URL: database.url };
      }
      service = await startReferenceService(env);
      db = service.database.db;
      admin = await user('shop-admin', 'admin');
      alice = await user('alice', 'user');
      bob = await user('bob', 'user');
      reader = await user('reader', 'readonly');
      widget = await product('Widget', 1250);
      gadget = await product('Gadget', 999);
    });
    after(() => closeAll(service, dropDatabase));

    const json = (token: string) => ({ ...bearer(token), 'content-type': 'application/json' });
    const place = (who: User, body: unknown): Promise<Response> => request(service.url, '/v1/orders', { method: 'POST', headers: json(who.token), body: JSON.stringify(body) });
    const cancel = (who: User, id: string): Promise<Response> => request(service.url, `/v1/orders/${id}/cancel`, { method: 'POST', headers: bearer(who.token) });
    const read = (who: User, id: string): Promise<Response> => request(service.url, `/v1/orders/${id}`, { headers: bearer(who.token) });
    const stored = (id: string) => db.selectFrom('orders').selectAll().where('id', '=', id).executeTakeFirst();
    const allOrders = () => db.selectFrom('orders').selectAll().orderBy('id').execute();
    async function placed(who: User, productId = widget, quantity = 1): Promise<Order> {
      const response = await place(who, { productId, quantity });
      assert.equal(response.status, 201, response.body);
      return response.json() as Order;
    }

    describe('placing, reading, listing and cancelling one’s own orders', () => {
      test('placing: 201 + Location; the server sets id, owner, unit price, total, currency and status', async () => {
        const response = await place(alice, { productId: widget, quantity: 3 });
        assert.equal(response.status, 201);
        const order = response.json() as Order;
        assert.equal(response.headers.location, `/v1/orders/${order.id}`);
        assert.match(order.id, /^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/);
        assert.deepEqual(
          { productId: order.productId, quantity: order.quantity, unitPrice: order.unitPrice, total: order.total, currency: order.currency, status: order.status, cancelledAt: order.cancelledAt },
          { productId: widget, quantity: 3, unitPrice: 1250, total: 3750, currency: 'EUR', status: 'placed', cancelledAt: null },
        );
        const row = await stored(order.id);
        assert.deepEqual({ owner: row?.owner_id, total: row?.total, status: row?.status }, { owner: alice.id, total: 3750, status: 'placed' });
      });

      test('the owner reads an order; the handler’s record (with its owner) is cut to the response schema', async () => {
        const order = await placed(alice);
        const response = await read(alice, order.id);
        assert.equal(response.status, 200);
        assert.deepEqual(Object.keys(response.json() as object).sort(), ORDER_FIELDS);
        assert.deepEqual(response.json(), order);
        assert.ok(!response.body.includes(alice.id), 'the owner id never leaves the server');
        assert.equal(response.headers['cache-control'], 'no-store');
      });

      test('quantity must be an integer 1–100 and productId a product id; bad input is 400 and nothing is stored', async () => {
        const before = await allOrders();
        for (const body of [
          { productId: widget, quantity: 0 },
          { productId: widget, quantity: 101 },
          { productId: widget, quantity: -1 },
          { productId: widget, quantity: 1.5 },
          { productId: widget, quantity: '2' },
          { productId: widget },
          { quantity: 1 },
          { productId: 'widget', quantity: 1 },
          { productId: "' OR '1'='1", quantity: 1 },
        ]) {
          const response = await place(alice, body);
          assert.equal(response.status, 400, JSON.stringify(body));
          assert.equal(response.headers['content-type'], 'application/problem+json');
        }
        assert.equal((await place(alice, { productId: gadget, quantity: 100 })).status, 201);
        assert.equal((await allOrders()).length, before.length + 1);
      });

      test('an unknown or deleted product is a 422 problem and nothing is stored', async () => {
        const doomed = await product('Doomed', 700);
        const kept = await placed(alice, doomed, 2);
        assert.equal((await request(service.url, `/v1/products/${doomed}`, { method: 'DELETE', headers: bearer(admin.token) })).status, 204);
        const before = await allOrders();
        for (const productId of [randomUUID(), doomed]) {
          const response = await place(alice, { productId, quantity: 1 });
          assert.equal(response.status, 422);
          assert.equal((response.json() as { type: string }).type, 'tag:rampart.dev,2026:problem:unknown-product');
        }
        assert.deepEqual(await allOrders(), before);
        const history = await read(alice, kept.id);
        assert.equal(history.status, 200, 'orders of a deleted product keep their history');
        assert.equal((history.json() as Order).total, 1400);
      });

      test('a later price change does not touch placed orders', async () => {
        const cheap = await product('Repriced', 500);
        const order = await placed(alice, cheap, 2);
        assert.equal((await request(service.url, `/v1/products/${cheap}`, { method: 'PATCH', headers: json(admin.token), body: JSON.stringify({ price: 9000 }) })).status, 200);
        assert.deepEqual(await read(alice, order.id).then((r) => r.json() as Order), order);
        assert.equal((await placed(alice, cheap, 2)).total, 18_000);
      });

      test('the owner lists only their own orders, newest first, page by page', async () => {
        const carol = await user('carol', 'user');
        const mine: string[] = [];
        for (let i = 0; i < 5; i++) mine.push((await placed(carol, i % 2 === 0 ? widget : gadget, i + 1)).id);
        await placed(bob);
        const seen: Order[] = [];
        let cursor: string | null = null;
        let pages = 0;
        do {
          const response = await request(service.url, `/v1/orders?limit=2${cursor === null ? '' : `&cursor=${cursor}`}`, { headers: bearer(carol.token) });
          assert.equal(response.status, 200);
          const page = response.json() as { items: Order[]; next: string | null };
          assert.ok(page.items.length <= 2);
          for (const item of page.items) assert.deepEqual(Object.keys(item).sort(), ORDER_FIELDS);
          seen.push(...page.items);
          cursor = page.next;
          pages++;
        } while (cursor !== null && pages < 10);
        assert.equal(pages, 3);
        assert.deepEqual(seen.map((o) => o.id).sort(), [...mine].sort());
        const expected = await db.selectFrom('orders').select('id').where('owner_id', '=', carol.id).orderBy('created_at', 'desc').orderBy('id', 'desc').execute();
        assert.deepEqual(seen.map((o) => o.id), expected.map((r) => r.id));
      });

      test('listing: limit=1000 and a forged cursor are 400 problems', async () => {
        const forged = Buffer.from(JSON.stringify(['x', randomUUID()])).toString('base64url');
        for (const query of ['?limit=1000', '?limit=0', `?cursor=${forged}`, '?cursor=%2F%2F', '?owner=bob']) {
          const response = await request(service.url, `/v1/orders${query}`, { headers: bearer(alice.token) });
          assert.equal(response.status, 400, query);
          assert.equal(response.headers['content-type'], 'application/problem+json');
        }
      });

      test('cancelling a placed order: 200 and stored; cancelling again is a 409 problem', async () => {
        const order = await placed(alice);
        const response = await cancel(alice, order.id);
        assert.equal(response.status, 200);
        const cancelled = response.json() as Order;
        assert.equal(cancelled.status, 'cancelled');
        assert.equal(typeof cancelled.cancelledAt, 'string');
        assert.deepEqual(Object.keys(cancelled).sort(), ORDER_FIELDS);
        const again = await cancel(alice, order.id);
        assert.equal(again.status, 409);
        assert.equal(again.headers['content-type'], 'application/problem+json');
        assert.equal((again.json() as { type: string }).type, 'tag:rampart.dev,2026:problem:order-not-cancellable');
        assert.equal((await stored(order.id))?.status, 'cancelled');
      });

      test('concurrent cancels of one order: exactly one wins', async () => {
        const order = await placed(alice);
        const statuses = (await Promise.all(Array.from({ length: 8 }, () => cancel(alice, order.id)))).map((r) => r.status).sort();
        assert.deepEqual(statuses, [200, 409, 409, 409, 409, 409, 409, 409]);
      });
    });

    describe('Security: another user’s order by id (BOLA)', () => {
      test('reading another user’s order is a 404 identical to a missing id, a malformed id and an unknown URL', async () => {
        const bobs = await placed(bob, gadget, 4);
        const foreign = await read(alice, bobs.id);
        const missing = await read(alice, randomUUID());
        const malformed = await read(alice, '1%20OR%201=1');
        const unknownRoute = await request(service.url, '/v1/no-such-thing', { headers: bearer(alice.token) });
        for (const response of [foreign, missing, malformed]) {
          assert.equal(response.status, 404);
          assert.equal(response.headers['content-type'], 'application/problem+json');
          assert.equal(response.body, unknownRoute.body);
        }
        assert.equal((await read(bob, bobs.id)).status, 200, 'the owner still reads it');
      });

      test('cancelling or changing another user’s order is a 404 identical to a missing id, and the order is unchanged', async () => {
        const bobs = await placed(bob, widget, 2);
        const before = await stored(bobs.id);
        const missing = await cancel(alice, randomUUID());
        const attempts = [
          await cancel(alice, bobs.id),
          await request(service.url, `/v1/orders/${bobs.id}`, { method: 'PATCH', headers: json(alice.token), body: JSON.stringify({ status: 'cancelled' }) }),
          await request(service.url, `/v1/orders/${bobs.id}`, { method: 'PUT', headers: json(alice.token), body: JSON.stringify({ productId: widget, quantity: 100 }) }),
          await request(service.url, `/v1/orders/${bobs.id}`, { method: 'DELETE', headers: bearer(alice.token) }),
        ];
        assert.equal(missing.status, 404);
        for (const response of attempts) {
          assert.equal(response.status, 404);
          assert.equal(response.body, missing.body);
        }
        assert.deepEqual(await stored(bobs.id), before);
        assert.equal(before?.status, 'placed');
      });

      test('another user’s orders never appear in one’s list', async () => {
        const bobs = await placed(bob);
        const page = (await request(service.url, '/v1/orders?limit=100', { headers: bearer(alice.token) })).json() as { items: Order[] };
        assert.ok(page.items.length > 0);
        assert.ok(!page.items.some((o) => o.id === bobs.id));
        const owners = await db.selectFrom('orders').select('owner_id').where('id', 'in', page.items.map((o) => o.id)).execute();
        assert.ok(owners.every((o) => o.owner_id === alice.id));
      });
    });

    describe('Security: server-controlled fields in create bodies (mass assignment)', () => {
      test('role, ownerId, id, status, total and other server fields are 400, naming the field; nothing is stored', async () => {
        const before = await allOrders();
        const forged: Record<string, unknown> = {
          role: 'admin', ownerId: bob.id, owner_id: bob.id, owner: bob.id, userId: bob.id, id: randomUUID(), status: 'cancelled',
          total: 1, unitPrice: 1, unit_price: 1, price: 1, currency: 'USD', createdAt: '2000-01-01T00:00:00.000Z', cancelledAt: null,
        };
        for (const [field, value] of Object.entries(forged)) {
          const response = await place(alice, { productId: widget, quantity: 1, [field]: value });
          assert.equal(response.status, 400, field);
          assert.deepEqual((response.json() as { errors: { pointer: string }[] }).errors.map((e) => e.pointer), [`/${field}`]);
        }
        assert.deepEqual(await allOrders(), before);
      });

      test('cancelling reads nothing from a body: fields sent with it set nothing', async () => {
        const order = await placed(alice, widget, 2);
        const response = await request(service.url, `/v1/orders/${order.id}/cancel`, { method: 'POST', headers: json(alice.token), body: JSON.stringify({ status: 'placed', total: 1, ownerId: bob.id }) });
        assert.equal(response.status, 200);
        const row = await stored(order.id);
        assert.deepEqual({ status: row?.status, total: row?.total, owner: row?.owner_id }, { status: 'cancelled', total: 2500, owner: alice.id });
      });
    });

    describe('Security: scopes', () => {
      test('read-only users list and read but cannot place or cancel; anonymous callers get 401', async () => {
        assert.equal((await request(service.url, '/v1/orders', { headers: bearer(reader.token) })).status, 200);
        const refused = await place(reader, { productId: widget, quantity: 1 });
        assert.equal(refused.status, 403);
        assert.deepEqual((refused.json() as { requiredScopes: string[] }).requiredScopes, ['orders:write']);
        const order = await placed(alice);
        assert.equal((await cancel(reader, order.id)).status, 403);
        assert.equal((await request(service.url, '/v1/orders')).status, 401);
        assert.equal((await request(service.url, `/v1/orders/${order.id}`)).status, 401);
        assert.equal((await stored(order.id))?.status, 'placed');
      });
    });
  });
}
