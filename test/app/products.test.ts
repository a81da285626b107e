// The product catalog through real HTTP, on node:sqlite and PostgreSQL: public browsing with
// keyset pages and hard limits, name search where SQL and LIKE metacharacters are literal
// text, and admin-only create, change and soft delete.
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
const ENV = { RAMPART_RATE_LIMIT_OVERRIDES: 'products-admin=100000/60' };

interface Product {
  id: string;
  name: string;
  description: string;
  price: number;
  currency: string;
  createdAt: string;
  updatedAt: string;
}

interface Page {
  items: Product[];
  next: string | null;
}

// Names whose search results prove that `%`, `_`, `\` and quotes are matched as text.
const SEARCH_FIXTURES = [
  '100% Cotton Shirt',
  '100 Cotton Socks',
  'snake_case Mug',
  'snakeXcase Mug',
  'Back\\slash Poster',
  "O'Reilly Book",
  "Robert'); DROP TABLE products;--",
];

for (const backend of ['sqlite', 'postgres'] as const) {
  describe(`products (${backend})`, () => {
    let service: RunningService;
    let dropDatabase: (() => Promise<void>) | undefined;
    let db: Kysely<CatalogTables>;
    let admin: string;
    let adminId: string;
    let user: string;
    const ids = new Map<string, string>();

    before(async () => {
      let env: Record<string, string> = ENV;
      if (backend === 'postgres') {
        const database = await createTestDatabase();
        dropDatabase = database.drop;
        env = { ...env, DATABASE_URL: database.url };
      }
      service = await startReferenceService(env);
      db = service.database.db;
      adminId = (await service.identity.createUser({ username: 'catalog-admin', password: STRONG_PASSWORD, role: 'admin' }, OPERATOR)).id;
      await service.identity.createUser({ username: 'shopper', password: STRONG_PASSWORD, role: 'user' }, OPERATOR);
      admin = (await login(service.url, 'catalog-admin')).access_token;
      user = (await login(service.url, 'shopper')).access_token;
      for (const [i, name] of SEARCH_FIXTURES.entries()) {
        const created = await create(admin, { name, price: 100 + i });
        assert.equal(created.status, 201, created.body);
        ids.set(name, (created.json() as Product).id);
      }
    });
    after(() => closeAll(service, dropDatabase));

    const json = (token: string) => ({ ...bearer(token), 'content-type': 'application/json' });
    const create = (token: string, body: unknown): Promise<Response> => request(service.url, '/v1/products', { method: 'POST', headers: json(token), body: JSON.stringify(body) });
    const patch = (token: string, id: string, body: unknown): Promise<Response> => request(service.url, `/v1/products/${id}`, { method: 'PATCH', headers: json(token), body: JSON.stringify(body) });
    const browse = (query: string): Promise<Response> => request(service.url, `/v1/products${query}`);
    const search = async (text: string): Promise<string[]> => {
      const response = await browse(`?limit=100&q=${encodeURIComponent(text)}`);
      assert.equal(response.status, 200, `${text}: ${response.body}`);
      return (response.json() as Page).items.map((p) => p.name).sort();
    };
    const countProducts = async () => Number((await db.selectFrom('products').select((eb) => eb.fn.countAll<number | string>().as('n')).executeTakeFirstOrThrow()).n);

    describe('public browsing', () => {
      test('anyone lists products without credentials, under the generous named browsing limit', async () => {
        const response = await browse('');
        assert.equal(response.status, 200);
        assert.equal(response.headers['ratelimit-policy'], '"products";q=600;w=60');
        const page = response.json() as Page;
        assert.ok(page.items.length >= SEARCH_FIXTURES.length);
        assert.deepEqual(Object.keys(page.items[0]!).sort(), ['createdAt', 'currency', 'description', 'id', 'name', 'price', 'updatedAt']);
      });

      test('pages follow the cursor over a stable (name, id) order without gaps or repeats', async () => {
        const seen: string[] = [];
        let cursor: string | null = null;
        let pages = 0;
        do {
          const response = await browse(`?limit=2${cursor === null ? '' : `&cursor=${cursor}`}`);
          assert.equal(response.status, 200);
          const page = response.json() as Page;
          assert.ok(page.items.length <= 2);
          seen.push(...page.items.map((p) => p.id));
          cursor = page.next;
          pages++;
        } while (cursor !== null && pages < 50);
        const expected = await db.selectFrom('products').select('id').where('deleted_at', 'is', null).orderBy('name').orderBy('id').execute();
        assert.deepEqual(seen, expected.map((r) => r.id));
        assert.equal(new Set(seen).size, seen.length);
      });

      test('limit=1000 is a 400 problem, not silently clamped; so are 0, 101 and non-numbers', async () => {
        for (const limit of ['1000', '0', '101', '-1', 'ten', '1.5']) {
          const response = await browse(`?limit=${limit}`);
          assert.equal(response.status, 400, limit);
          assert.equal(response.headers['content-type'], 'application/problem+json');
          assert.equal((response.json() as { errors: { pointer: string }[] }).errors[0]?.pointer, '/limit');
        }
        assert.equal((await browse('?limit=100')).status, 200);
      });

      test('a cursor this API did not issue is a 400 problem', async () => {
        const forged = (value: unknown) => Buffer.from(JSON.stringify(value)).toString('base64url');
        for (const cursor of ['garbage!', 'bm90IGpzb24', forged({ name: 'a' }), forged(['a', 'not-an-id']), forged([1, randomUUID()]), forged(['a', randomUUID(), 'x'])]) {
          const response = await browse(`?cursor=${encodeURIComponent(cursor)}`);
          assert.equal(response.status, 400, cursor);
          assert.match((response.json() as { type: string }).type, /invalid-cursor|validation-failed/);
        }
      });

      test('one product by id; malformed, unknown and deleted ids are the same 404', async () => {
        const id = ids.get('O\'Reilly Book')!;
        const found = await browse(`/${id}`);
        assert.equal(found.status, 200);
        assert.equal((found.json() as Product).name, "O'Reilly Book");
        const unknownRoute = await request(service.url, '/v1/no-such-thing');
        for (const path of [`/${randomUUID()}`, '/1%20OR%201=1', "/'%20OR%20'1'='1"]) {
          const response = await browse(path);
          assert.equal(response.status, 404, path);
          assert.equal(response.body, unknownRoute.body);
        }
      });

      test('unknown query parameters are refused', async () => {
        assert.equal((await browse('?sort=price')).status, 400);
      });
    });

    describe('Security: search treats SQL and LIKE metacharacters as literal text', () => {
      test('% and _ match only themselves, not any text or any character', async () => {
        assert.deepEqual(await search('%'), ['100% Cotton Shirt']);
        assert.deepEqual(await search('100%'), ['100% Cotton Shirt']);
        assert.deepEqual(await search('_'), ['snake_case Mug']);
        assert.deepEqual(await search('e_c'), ['snake_case Mug']);
        assert.deepEqual(await search('%%'), []);
        assert.deepEqual(await search('__'), []);
      });

      test('the escape character itself is literal', async () => {
        assert.deepEqual(await search('\\'), ['Back\\slash Poster']);
        assert.deepEqual(await search('k\\s'), ['Back\\slash Poster']);
        assert.deepEqual(await search('\\%'), []);
      });

      test('quotes and SQL fragments are text: no injection, no error, the table intact', async () => {
        const before = await countProducts();
        assert.deepEqual(await search("'"), ["O'Reilly Book", "Robert'); DROP TABLE products;--"].sort());
        assert.deepEqual(await search("'); DROP TABLE products;--"), ["Robert'); DROP TABLE products;--"]);
        assert.deepEqual(await search("' OR '1'='1"), []);
        assert.deepEqual(await search('" OR 1=1 --'), []);
        assert.deepEqual(await search("x' UNION SELECT id, password_hash FROM users --"), []);
        assert.equal(await countProducts(), before);
      });

      test('search ignores case and combines with pagination', async () => {
        assert.deepEqual(await search('COTTON'), ['100 Cotton Socks', '100% Cotton Shirt']);
        const first = (await browse('?q=cotton&limit=1')).json() as Page;
        assert.equal(first.items.length, 1);
        assert.notEqual(first.next, null);
        const second = (await browse(`?q=cotton&limit=1&cursor=${first.next}`)).json() as Page;
        assert.equal(second.items.length, 1);
        assert.equal(second.next, null);
        assert.notEqual(second.items[0]!.id, first.items[0]!.id);
      });

      test('search text is bounded: empty or over 100 characters is a 400', async () => {
        assert.equal((await browse('?q=')).status, 400);
        assert.equal((await browse(`?q=${'a'.repeat(101)}`)).status, 400);
        assert.equal((await browse(`?q=${'a'.repeat(100)}`)).status, 200);
      });
    });

    describe('admin product management', () => {
      test('an admin creates a product: 201, Location, EUR minor units, stored, recorded', async () => {
        const response = await create(admin, { name: 'Espresso Cup', description: 'Porcelain, 80 ml.\nDishwasher safe.', price: 1_000_000_000 });
        assert.equal(response.status, 201);
        const product = response.json() as Product;
        assert.equal(response.headers.location, `/v1/products/${product.id}`);
        assert.match(product.id, /^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/);
        assert.deepEqual({ name: product.name, price: product.price, currency: product.currency }, { name: 'Espresso Cup', price: 1_000_000_000, currency: 'EUR' });
        const row = await db.selectFrom('products').selectAll().where('id', '=', product.id).executeTakeFirstOrThrow();
        assert.deepEqual({ price: row.price, currency: row.currency, deleted: row.deleted_at }, { price: 1_000_000_000, currency: 'EUR', deleted: null });
        const events = await service.identity.events.list({ type: 'admin_action', principalId: adminId });
        assert.ok(events.some((e) => e.detail.action === 'product_create' && e.detail.productId === product.id));
        assert.equal((await browse(`/${product.id}`)).status, 200);
      });

      test('prices are integer minor units in (0, 10^9]; names are bounded text; anything else is 400 and nothing is stored', async () => {
        const before = await countProducts();
        const bad: unknown[] = [
          { name: 'Free', price: 0 },
          { name: 'Negative', price: -5 },
          { name: 'Fraction', price: 1.5 },
          { name: 'Text price', price: '100' },
          { name: 'Too dear', price: 1_000_000_001 },
          { name: '', price: 100 },
          { name: '   ', price: 100 },
          { name: 'x'.repeat(121), price: 100 },
          { name: 'bell\u0007', price: 100 },
          { name: 'No price' },
          { price: 100 },
          { name: 'Long', price: 100, description: 'd'.repeat(2001) },
        ];
        for (const body of bad) assert.equal((await create(admin, body)).status, 400, JSON.stringify(body));
        assert.equal(await countProducts(), before);
      });

      test('mass assignment: id, currency, timestamps or deletion in a body are 400 and change nothing', async () => {
        const id = ids.get('snakeXcase Mug')!;
        const stored = await db.selectFrom('products').selectAll().where('id', '=', id).executeTakeFirstOrThrow();
        const before = await countProducts();
        for (const field of ['id', 'currency', 'createdAt', 'updatedAt', 'deletedAt', 'deleted_at', 'name_folded', 'ownerId']) {
          const created = await create(admin, { name: 'Sneaky', price: 100, [field]: 'x' });
          assert.equal(created.status, 400, field);
          assert.deepEqual((created.json() as { errors: { pointer: string }[] }).errors.map((e) => e.pointer), [`/${field}`]);
          assert.equal((await patch(admin, id, { price: 1, [field]: 'x' })).status, 400, field);
        }
        assert.equal(await countProducts(), before);
        assert.deepEqual(await db.selectFrom('products').selectAll().where('id', '=', id).executeTakeFirstOrThrow(), stored);
      });

      test('an admin changes a product; an empty change is 400', async () => {
        const id = ids.get('snakeXcase Mug')!;
        const response = await patch(admin, id, { price: 4321, name: 'Snake X Case Mug' });
        assert.equal(response.status, 200);
        assert.deepEqual({ price: (response.json() as Product).price, name: (response.json() as Product).name }, { price: 4321, name: 'Snake X Case Mug' });
        const row = await db.selectFrom('products').selectAll().where('id', '=', id).executeTakeFirstOrThrow();
        assert.deepEqual({ price: row.price, folded: row.name_folded }, { price: 4321, folded: 'snake x case mug' });
        assert.deepEqual(await search('x case'), ['Snake X Case Mug']);
        assert.equal((await patch(admin, id, {})).status, 400);
        assert.equal((await patch(admin, randomUUID(), { price: 5 })).status, 404);
      });

      test('delete is soft: the product leaves the catalog, the row stays, and it cannot be changed or deleted again', async () => {
        const id = (((await create(admin, { name: 'Discontinued Lamp', price: 2500 })).json()) as Product).id;
        const removed = await request(service.url, `/v1/products/${id}`, { method: 'DELETE', headers: bearer(admin) });
        assert.equal(removed.status, 204);
        assert.equal((await browse(`/${id}`)).status, 404);
        assert.deepEqual(await search('Discontinued'), []);
        const row = await db.selectFrom('products').selectAll().where('id', '=', id).executeTakeFirstOrThrow();
        assert.equal(typeof row.deleted_at, 'number');
        assert.equal((await request(service.url, `/v1/products/${id}`, { method: 'DELETE', headers: bearer(admin) })).status, 404);
        assert.equal((await patch(admin, id, { price: 1 })).status, 404);
      });
    });

    describe('Security: only admins manage products', () => {
      test('a user gets 403 and an anonymous caller 401 on create, change and delete; nothing changes', async () => {
        const id = ids.get("O'Reilly Book")!;
        const stored = await db.selectFrom('products').selectAll().where('id', '=', id).executeTakeFirstOrThrow();
        const before = await countProducts();
        const calls: [string, string, string?][] = [
          ['POST', '/v1/products', JSON.stringify({ name: 'Mine now', price: 1 })],
          ['PATCH', `/v1/products/${id}`, JSON.stringify({ price: 1 })],
          ['DELETE', `/v1/products/${id}`],
        ];
        for (const [method, path, body] of calls) {
          const asUser = await request(service.url, path, { method, headers: json(user), ...(body === undefined ? {} : { body }) });
          assert.equal(asUser.status, 403, `${method} ${path}`);
          assert.deepEqual((asUser.json() as { requiredScopes: string[] }).requiredScopes, ['products:write']);
          const anonymous = await request(service.url, path, { method, headers: { 'content-type': 'application/json' }, ...(body === undefined ? {} : { body }) });
          assert.equal(anonymous.status, 401, `${method} ${path}`);
        }
        assert.equal(await countProducts(), before);
        assert.deepEqual(await db.selectFrom('products').selectAll().where('id', '=', id).executeTakeFirstOrThrow(), stored);
      });
    });
  });
}
