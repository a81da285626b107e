// Request schemas are closed by default: an object without `additionalProperties` refuses
// fields it does not declare, in every shape TypeBox builds, while valid bodies still pass.
// `additionalProperties: true` is the one way to open an object, and the OpenAPI document
// shows both.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { Type } from '../../../src/toolkit/index.ts';
import { request } from '../../helpers/http.ts';
import { Ok, startServer, type TestServer } from '../../helpers/server.ts';
import { registerOpenApi } from '../../../src/toolkit/docs/index.ts';

const JSON_TYPE = { 'content-type': 'application/json' };

const Item = Type.Object({ sku: Type.String(), qty: Type.Integer({ minimum: 1 }) });
const Profile = Type.Object({ name: Type.String(), bio: Type.Optional(Type.String()) }, { additionalProperties: false });
const Owned = Type.Object({ title: Type.String(), nested: Type.Object({ level: Type.Integer() }) });

// One route per shape: [path, body schema, a valid body, an invalid body, the pointer refused].
const SHAPES: [string, unknown, unknown, unknown, string][] = [
  ['object', Type.Object({ title: Type.String() }), { title: 'x' }, { title: 'x', ownerId: 'u2', isAdmin: true }, '/ownerId'],
  ['partial', Type.Partial(Profile), { bio: 'hi' }, { bio: 'hi', isAdmin: true }, '/isAdmin'],
  ['intersect', Type.Intersect([Owned, Type.Object({ tags: Type.Array(Type.String()) })]), { title: 't', nested: { level: 1 }, tags: ['a'] }, { title: 't', nested: { level: 1 }, tags: [], ownerId: 'u2' }, '/ownerId'],
  ['intersect-nested', Type.Intersect([Owned, Type.Object({ tags: Type.Array(Type.String()) })]), { title: 't', nested: { level: 1 }, tags: [] }, { title: 't', nested: { level: 1, role: 'admin' }, tags: [] }, '/nested/role'],
  // TypeBox 1.x has no Type.Composite; Type.Evaluate of an intersection is its replacement (one flat object).
  ['composite', Type.Evaluate(Type.Intersect([Owned, Type.Object({ note: Type.Optional(Type.String()) })])), { title: 't', nested: { level: 2 } }, { title: 't', nested: { level: 2 }, balance: 1e6 }, '/balance'],
  ['union', Type.Union([Type.Object({ kind: Type.Literal('card'), last4: Type.String() }), Type.Object({ kind: Type.Literal('iban'), iban: Type.String() })]), { kind: 'iban', iban: 'DE00' }, { kind: 'card', last4: '4242', verified: true }, '/verified'],
  ['record', Type.Record(Type.String(), Item), { a: { sku: 'x', qty: 1 }, b: { sku: 'y', qty: 2 } }, { a: { sku: 'x', qty: 1, price: 0 } }, '/a/price'],
  ['record-keys', Type.Record(Type.Union([Type.Literal('min'), Type.Literal('max')]), Type.Integer()), { min: 1, max: 2 }, { min: 1, max: 2, step: 3 }, '/step'],
  ['array', Type.Object({ items: Type.Array(Item) }), { items: [{ sku: 'x', qty: 1 }, { sku: 'y', qty: 3 }] }, { items: [{ sku: 'x', qty: 1 }, { sku: 'y', qty: 3, unitPrice: 0 }] }, '/items/1/unitPrice'],
];

describe('request schemas are closed by default', () => {
  const stored: unknown[] = [];
  let server: TestServer;
  before(async () => {
    server = await startServer({}, (app) => {
      const store = (body: unknown) => {
        stored.push(body);
        return { ok: true };
      };
      for (const [path, body] of SHAPES) app.post(`/${path}`, { policy: { public: true }, schema: { body: body as object, response: { 200: Ok } } }, (r) => store(r.body));
      app.get('/query', { policy: { public: true }, schema: { querystring: Type.Object({ limit: Type.Optional(Type.Integer()) }), response: { 200: Ok } } }, (r) => store({ ...r.query }));
      app.get('/headers', { policy: { public: true }, schema: { headers: Type.Object({ 'x-tenant': Type.String({ maxLength: 8 }) }), response: { 200: Ok } } }, () => store('headers'));
      app.post('/open', { policy: { public: true }, schema: { body: Type.Object({ grant_type: Type.String() }, { additionalProperties: true }), response: { 200: Ok } } }, (r) => store(r.body));
    });
  });
  after(() => server.close());

  const post = (path: string, body: unknown) => request(server.url, path, { method: 'POST', headers: JSON_TYPE, body: JSON.stringify(body) });

  for (const [path, , valid, invalid, pointer] of SHAPES) {
    test(`${path}: a valid body passes unchanged; an extra property is 400 naming ${pointer}`, async () => {
      stored.length = 0;
      const ok = await post(`/${path}`, valid);
      assert.equal(ok.status, 200, ok.body);
      const refused = await post(`/${path}`, invalid);
      assert.equal(refused.status, 400, refused.body);
      assert.equal(refused.headers['content-type'], 'application/problem+json');
      const problem = refused.json() as { type: string; errors: { in: string; pointer: string; detail: string }[] };
      assert.equal(problem.type, 'tag:rampart.dev,2026:problem:validation-failed');
      assert.ok(problem.errors.some((e) => e.in === 'body' && e.pointer === pointer && e.detail === 'is not an allowed property'), refused.body);
      assert.deepEqual(stored, [valid], 'only the valid body reached the handler');
    });
  }

  test('query strings are closed too', async () => {
    assert.equal((await request(server.url, '/query?limit=3')).status, 200);
    const refused = await request(server.url, '/query?limit=3&role=admin');
    assert.equal(refused.status, 400);
    assert.deepEqual((refused.json() as { errors: unknown[] }).errors, [{ in: 'query', pointer: '/role', detail: 'is not an allowed property' }]);
  });

  test('header schemas stay open: only the declared headers are checked', async () => {
    assert.equal((await request(server.url, '/headers', { headers: { 'x-tenant': 'acme', 'x-anything-else': '1', 'user-agent': 'test' } })).status, 200);
    assert.equal((await request(server.url, '/headers', { headers: { 'x-tenant': 'much-too-long' } })).status, 400);
  });

  test('additionalProperties: true opens an object, and nothing else', async () => {
    stored.length = 0;
    const response = await post('/open', { grant_type: 'password', unrelated: 'x' });
    assert.equal(response.status, 200, response.body);
    assert.deepEqual(stored, [{ grant_type: 'password', unrelated: 'x' }]);
  });
});

describe('the OpenAPI document shows what is enforced', () => {
  let server: TestServer;
  before(async () => {
    server = await startServer({}, (app) => {
      void registerOpenApi(app, { info: { title: 't', version: '1' } });
      void app.after(() => {
        app.post('/closed', { policy: { public: true }, schema: { body: Type.Partial(Profile), querystring: Type.Object({ dry: Type.Optional(Type.Boolean()) }), response: { 200: Ok } } }, () => ({ ok: true }));
        app.post('/opened', { policy: { public: true }, schema: { body: Type.Object({ a: Type.String() }, { additionalProperties: true }), querystring: Type.Object({ dry: Type.Optional(Type.Boolean()) }, { additionalProperties: true }), response: { 200: Ok } } }, () => ({ ok: true }));
        app.post('/both', { policy: { public: true }, schema: { body: Type.Intersect([Owned, Type.Object({ tags: Type.Array(Type.String()) })]), response: { 200: Ok } } }, () => ({ ok: true }));
        app.get('/openapi.json', { policy: { public: true }, schema: { hide: true, response: { 200: Type.String() } } }, () => JSON.stringify(app.swagger()));
      });
    });
  });
  after(() => server.close());

  test('closed bodies say additionalProperties: false (intersections unevaluatedProperties: false); the opt-out says true', async () => {
    const document = (await request(server.url, '/openapi.json')).json() as { paths: Record<string, { post: { requestBody: { content: Record<string, { schema: Record<string, unknown> }> } } }> };
    const body = (path: string) => document.paths[path]!.post.requestBody.content['application/json']!.schema;
    assert.equal(body('/closed').additionalProperties, false);
    assert.equal((body('/closed').properties as Record<string, unknown>).name !== undefined, true);
    assert.equal(body('/opened').additionalProperties, true);
    assert.equal(body('/both').unevaluatedProperties, false);
    // Query strings are documented as parameters: an opened one adds OpenAPI's free-form query object.
    const parameters = (path: string) => (document.paths[path]!.post as unknown as { parameters: { name: string; in: string; schema: unknown }[] }).parameters;
    assert.deepEqual(parameters('/closed').map((p) => p.name), ['dry']);
    assert.deepEqual(parameters('/opened').map((p) => p.name), ['dry', 'other']);
    assert.deepEqual(parameters('/opened')[1]!.schema, { type: 'object', additionalProperties: true });
    assert.equal(JSON.stringify(document).includes('x-rampart-open-query'), false);
    assert.equal(((body('/both').allOf as Record<string, unknown>[])[0]!.properties as { nested: { additionalProperties: unknown } }).nested.additionalProperties, false);
  });
});
