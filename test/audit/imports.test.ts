// --har and --postman converters on small hand-written inputs: paths with ids as `{id}`, methods,
// query parameters, JSON bodies with inferred schemas, response types, security named but never
// its values, other origins dropped, merging with a published spec, and hostile files (malformed,
// wrong kind, huge) failing with a clear message and exit 2, never a stack trace.
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, truncateSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, test } from 'node:test';
import { loadConfigFile, resolveSettings } from '../../src/audit/config.ts';
import { AuditError } from '../../src/audit/errors.ts';
import { parseHar } from '../../src/audit/imports/har.ts';
import { importedSpec, MAX_IMPORT_BYTES, readImport } from '../../src/audit/imports/index.ts';
import type { LoadedImport } from '../../src/audit/imports/index.ts';
import { buildDocument, looksLikeId } from '../../src/audit/imports/openapi.ts';
import { parsePostman } from '../../src/audit/imports/postman.ts';
import { buildSpec } from '../../src/audit/spec/load.ts';
import type { Operation } from '../../src/audit/spec/load.ts';
import { closeAll } from '../helpers/close-all.ts';
import { runCli } from './helpers.ts';

const dir = mkdtempSync(join(tmpdir(), 'rampart-imports-'));
after(() => closeAll(() => rmSync(dir, { recursive: true, force: true })));
const ORIGIN = 'http://127.0.0.1:9';
const SECRET_BEARER = 'eyJhbGciOiJIUzI1NiJ9.c2VjcmV0LWJlYXJlcg.sig-7f3a';
const SECRET_COOKIE = 'sess-value-91c2d';
const SECRET_PASSWORD = 'hunter2-password-5e1';

function write(name: string, text: string): string {
  const path = join(dir, name);
  writeFileSync(path, text);
  return path;
}

function entry(method: string, url: string, extra: Record<string, unknown> = {}, response: Record<string, unknown> = { status: 200, content: { mimeType: 'application/json; charset=utf-8' } }): unknown {
  return { request: { method, url, headers: [], ...extra }, response };
}

const HAR = {
  log: {
    version: '1.2',
    entries: [
      entry('GET', `${ORIGIN}/api/items?limit=10&api_key=k-123`, { headers: [{ name: 'Authorization', value: `Bearer ${SECRET_BEARER}` }] }),
      entry('GET', `${ORIGIN}/api/items/42`, { headers: [{ name: 'Authorization', value: `Bearer ${SECRET_BEARER}` }] }),
      entry('GET', `${ORIGIN}/api/items/7`, { headers: [{ name: 'Authorization', value: `Bearer ${SECRET_BEARER}` }] }),
      entry('GET', `${ORIGIN}/api/users/3f2b8c1e-9a4d-4e5f-8b6a-1c2d3e4f5a6b/files/0123456789abcdef0123`, { cookies: [{ name: 'session', value: SECRET_COOKIE }] }),
      entry('POST', `${ORIGIN}/api/login`, { postData: { mimeType: 'application/json', text: JSON.stringify({ email: 'a@example.com', password: SECRET_PASSWORD }) } }),
      entry('POST', `${ORIGIN}/api/items`, {
        headers: [{ name: 'Cookie', value: `session=${SECRET_COOKIE}; theme=dark` }],
        postData: { mimeType: 'application/json', text: JSON.stringify({ name: 'mug', price: 4.5, tags: ['a'], stock: 3 }) },
      }, { status: 201, content: { mimeType: 'application/json' } }),
      entry('GET', 'https://cdn.example.com/app.js'),
      entry('GET', 'http://127.0.0.1:10/api/other'),
      entry('GET', 'data:text/plain,hello'),
      { request: 'not an object' },
    ],
  },
};

function operations(imports: LoadedImport[], prefix = '', published?: ReturnType<typeof buildSpec>): Operation[] {
  return importedSpec(imports, ORIGIN, prefix, published).spec.operations;
}

function find(list: Operation[], method: string, path: string): Operation {
  const found = list.find((o) => o.method === method && o.path === path);
  assert.ok(found, `${method} ${path} in ${list.map((o) => `${o.method} ${o.path}`).join(', ')}`);
  return found;
}

describe('HAR import', () => {
  const loaded: LoadedImport = { ...parseHar(JSON.stringify(HAR), 'x.har'), kind: 'har', path: 'x.har' };

  test('ids in paths become {id} parameters with the seen values as examples; other origins are left out', () => {
    const list = operations([loaded]);
    assert.deepEqual(list.map((o) => `${o.method} ${o.path}`).sort(), [
      'GET /api/items',
      'GET /api/items/{id}',
      'GET /api/users/{id}/files/{id2}',
      'POST /api/items',
      'POST /api/login',
    ]);
    const byId = find(list, 'GET', '/api/items/{id}');
    const id = byId.parameters.find((p) => p.in === 'path' && p.name === 'id')!;
    assert.equal(id.example, 42);
    assert.deepEqual(id.schema, { type: 'integer', examples: [42, 7] });
    const files = find(list, 'GET', '/api/users/{id}/files/{id2}');
    assert.deepEqual(files.parameters.map((p) => [p.name, p.example]), [['id', '3f2b8c1e-9a4d-4e5f-8b6a-1c2d3e4f5a6b'], ['id2', '0123456789abcdef0123']]);
    assert.equal(loaded.skipped, 2, 'the data: URL and the malformed entry');
  });

  test('query parameters, bodies with inferred schemas, response types and security are in the document', () => {
    const result = importedSpec([loaded], ORIGIN, '', undefined);
    const list = result.spec.operations;
    const listing = find(list, 'GET', '/api/items');
    assert.deepEqual(listing.parameters.map((p) => [p.name, p.in, p.example]), [['limit', 'query', 10]]);
    assert.deepEqual(listing.security, [{ importedBearer: [] }, { importedQuery_api_key: [] }]);
    assert.deepEqual(listing.responses, ['200']);
    const create = find(list, 'POST', '/api/items');
    assert.deepEqual(create.requestBody?.schema, {
      type: 'object',
      properties: { name: { type: 'string' }, price: { type: 'number' }, tags: { type: 'array', items: { type: 'string' } }, stock: { type: 'integer' } },
      required: ['name', 'price', 'tags', 'stock'],
    });
    assert.deepEqual(create.security, [{ importedCookie_session: [] }], 'the session cookie, not the theme');
    assert.deepEqual(create.responses, ['201']);
    assert.deepEqual(find(list, 'POST', '/api/login').security, [], 'seen without credentials');
    assert.equal(result.spec.securitySchemes.importedBearer?.scheme, 'bearer');
    assert.match(result.notes.join('\n'), /credentials seen in x\.har .* act as no identity/);
    assert.equal(result.spec.document.paths && (result.spec.document.paths as Record<string, Record<string, Record<string, unknown>>>)['/api/items']!.get!['x-rampart-source'], 'har:x.har');
  });

  test('no credential value reaches the document', () => {
    const text = JSON.stringify(importedSpec([loaded], ORIGIN, '', undefined).spec.document);
    for (const secret of [SECRET_BEARER, SECRET_COOKIE, SECRET_PASSWORD, 'k-123']) assert.ok(!text.includes(secret), secret);
    assert.match(text, /"password":""/, 'the field is kept, its value blanked');
    assert.match(text, /"format":"email"/);
    assert.match(text, /"password":\{"type":"string","format":"password"\}/, 'a login is known as one');
  });

  test('a base path keeps only the requests under it, written relative to it', () => {
    const list = operations([loaded], '/api/items');
    assert.deepEqual(list.map((o) => `${o.method} ${o.path}`).sort(), ['GET /', 'GET /{id}', 'POST /']);
  });

  test('more entries than the cap are not read, and the count says so', () => {
    const capped = parseHar(JSON.stringify(HAR), 'x.har', 3);
    assert.equal(capped.observed.length, 3);
    assert.equal(capped.capped, true);
    assert.match(importedSpec([{ ...capped, kind: 'har', path: 'x.har' }], ORIGIN, '', undefined).notes[0]!, /entries not read \(over the cap\)/);
  });

  test('malformed HAR files fail with a clear message', () => {
    const cases: [string, RegExp][] = [
      ['{"log": ', /the HAR file bad\.har is not valid JSON/],
      ['[]', /has no `log` object/],
      ['{"log": {"entries": 3}}', /has no `log\.entries` list/],
    ];
    for (const [text, message] of cases) {
      assert.throws(() => parseHar(text, 'bad.har'), (error: unknown) => error instanceof AuditError && error.code === 'SPEC_INVALID' && message.test(error.message));
    }
  });
});

const COLLECTION = {
  info: { name: 'shop', schema: 'https://schema.getpostman.com/json/collection/v2.1.0/collection.json' },
  variable: [
    { key: 'baseUrl', value: `${ORIGIN}/v1` },
    { key: 'host', value: ORIGIN },
    { key: 'orderId', value: '1001' },
    { key: 'sku', value: 'SKU-7' },
    { key: 'token', value: SECRET_BEARER },
    { key: 'nested', value: '{{orderId}}' },
  ],
  auth: { type: 'bearer', bearer: [{ key: 'token', value: '{{token}}' }] },
  item: [
    {
      name: 'orders',
      item: [
        { name: 'list', request: { method: 'GET', url: { raw: '{{baseUrl}}/orders?status=open&page={{nested}}', query: [{ key: 'status', value: 'open' }, { key: 'page', value: '{{nested}}' }, { key: 'debug', value: '1', disabled: true }] } } },
        {
          name: 'deeper',
          item: [
            { name: 'one', request: { method: 'GET', url: '{{baseUrl}}/orders/{{orderId}}' }, response: [{ code: 200, header: [{ key: 'Content-Type', value: 'application/json' }] }, { code: 404 }] },
            { name: 'stock', request: { method: 'GET', url: { raw: '{{baseUrl}}/stock/:sku', variable: [{ key: 'sku', value: 'SKU-9' }] } } },
            { name: 'public', request: { method: 'GET', auth: { type: 'noauth' }, url: '{{host}}/health' } },
          ],
        },
      ],
    },
    { name: 'create', request: { method: 'POST', header: [{ key: 'Content-Type', value: 'application/json' }], url: '{{baseUrl}}/orders', body: { mode: 'raw', raw: '{"sku": "{{sku}}", "quantity": {{orderId}}}', options: { raw: { language: 'json' } } } } },
    { name: 'key', request: { method: 'GET', auth: { type: 'apikey', apikey: [{ key: 'key', value: 'X-Partner-Key' }, { key: 'value', value: 'pk-secret-1' }] }, url: '{{baseUrl}}/partners/catalog' } },
    { name: 'form', request: { method: 'POST', url: '{{baseUrl}}/login', auth: { type: 'noauth' }, body: { mode: 'urlencoded', urlencoded: [{ key: 'user', value: 'alice' }, { key: 'password', value: SECRET_PASSWORD }] } } },
    { name: 'elsewhere', request: { method: 'GET', url: 'https://other.example.com/v1/x' } },
  ],
};

describe('Postman import', () => {
  const loaded: LoadedImport = { ...parsePostman(JSON.stringify(COLLECTION), 'c.json'), kind: 'postman', path: 'c.json' };

  test('nested folders are walked, variables resolved, whole-variable segments become named parameters', () => {
    const list = operations([loaded]);
    assert.deepEqual(list.map((o) => `${o.method} ${o.path}`).sort(), [
      'GET /health',
      'GET /v1/orders',
      'GET /v1/orders/{orderId}',
      'GET /v1/partners/catalog',
      'GET /v1/stock/{sku}',
      'POST /v1/login',
      'POST /v1/orders',
    ]);
    assert.equal(find(list, 'GET', '/v1/orders/{orderId}').parameters[0]!.example, 1001);
    assert.equal(find(list, 'GET', '/v1/stock/{sku}').parameters[0]!.example, 'SKU-9', "the request's own :sku value");
    assert.deepEqual(find(list, 'GET', '/v1/orders').parameters.map((p) => [p.name, p.example]), [['status', 'open'], ['page', 1001]], 'disabled query entries left out, nested variables resolved');
    assert.deepEqual(find(list, 'GET', '/v1/orders/{orderId}').responses.sort(), ['200', '404']);
  });

  test('auth is inherited from the collection unless a request says otherwise; values are never written', () => {
    const result = importedSpec([loaded], ORIGIN, '', undefined);
    const list = result.spec.operations;
    assert.deepEqual(find(list, 'GET', '/v1/orders').security, [{ importedBearer: [] }]);
    assert.deepEqual(find(list, 'GET', '/health').security, []);
    assert.deepEqual(find(list, 'GET', '/v1/partners/catalog').security, [{ 'importedHeader_X-Partner-Key': [] }]);
    assert.deepEqual(find(list, 'POST', '/v1/orders').requestBody?.schema, { type: 'object', properties: { sku: { type: 'string' }, quantity: { type: 'integer' } }, required: ['sku', 'quantity'] });
    assert.equal(find(list, 'POST', '/v1/login').requestBody?.contentType, 'application/x-www-form-urlencoded');
    const text = JSON.stringify(result.spec.document);
    for (const secret of [SECRET_BEARER, SECRET_PASSWORD, 'pk-secret-1']) assert.ok(!text.includes(secret), secret);
  });

  test('a published spec and an import merge: one operation list, the spec keeps its own and its parameter names', () => {
    const published = buildSpec({
      openapi: '3.1.0',
      info: { title: 'shop', version: '1' },
      servers: [{ url: '/v1' }],
      paths: { '/orders/{id}': { get: { responses: { 200: { description: 'ok' } } }, delete: { responses: { 204: { description: 'gone' } } } } },
    }, 'spec.json');
    const result = importedSpec([loaded], ORIGIN, '/v1', published);
    const list = result.spec.operations;
    assert.equal(result.spec.source, 'spec.json + postman:c.json');
    assert.deepEqual(list.map((o) => `${o.method} ${o.path}`).sort(), [
      'DELETE /orders/{id}',
      'GET /orders',
      'GET /orders/{id}',
      'GET /partners/catalog',
      'GET /stock/{sku}',
      'POST /login',
      'POST /orders',
    ]);
    assert.deepEqual(find(list, 'GET', '/orders/{id}').responses, ['200'], "the spec's operation, not the import's");
    const guessed = importedSpec([loaded], ORIGIN, '/v1', published, true);
    assert.deepEqual(find(guessed.spec.operations, 'GET', '/orders/{id}').responses.sort(), ['200', '404'], 'a spec discovered by crawling is a guess: the import replaces it');
    assert.match(guessed.notes.join('\n'), /1 discovered operation\(s\) replaced/);
    assert.equal(guessed.spec.operations.length, 7);
    assert.match(result.notes[0]!, /5 operation\(s\) added, 1 already in the spec; 2 request\(s\) to other origins or outside \/v1 left out/);
  });

  test("a URL starting with a variable ({{baseUrl}}) is sent to the audited target's origin, the variable's path kept", () => {
    const elsewhere = 'http://127.0.0.1:5555';
    const moved: LoadedImport = { ...parsePostman(JSON.stringify(COLLECTION), 'c.json', elsewhere), kind: 'postman', path: 'c.json' };
    const result = importedSpec([moved], elsewhere, '', undefined);
    assert.equal(result.spec.operations.length, 7);
    assert.ok(result.spec.operations.some((o) => o.path === '/v1/orders/{orderId}'));
    assert.match(result.notes[0]!, /1 request\(s\) to other origins/, 'a literal host stays where it was');
    assert.equal(importedSpec([moved], ORIGIN, '', undefined).spec.operations.length, 0);
  });

  test('malformed collections fail with a clear message', () => {
    const cases: [string, RegExp][] = [
      ['{"info": {', /the Postman collection bad\.json is not valid JSON/],
      ['{"log": {}}', /is not a Postman collection/],
      [JSON.stringify({ info: { schema: 'https://schema.getpostman.com/json/collection/v1.0.0/collection.json' }, item: [] }), /export it as Collection v2\.1/],
    ];
    for (const [text, message] of cases) {
      assert.throws(() => parsePostman(text, 'bad.json'), (error: unknown) => error instanceof AuditError && error.code === 'SPEC_INVALID' && message.test(error.message));
    }
    let deep: Record<string, unknown> = { name: 'leaf', request: { method: 'GET', url: `${ORIGIN}/x` } };
    for (let i = 0; i < 60; i++) deep = { name: `f${i}`, item: [deep] };
    assert.throws(() => parsePostman(JSON.stringify({ info: { name: 'x' }, item: [deep] }), 'deep.json'), /nests folders deeper than 50/);
  });
});

describe('reading import files', () => {
  test('looksLikeId: numbers, UUIDs, long hex; not words or short hex', () => {
    for (const id of ['7', '1001', '3f2b8c1e-9a4d-4e5f-8b6a-1c2d3e4f5a6b', '5f1d7c2a9b3e4f6a7b8c9d0e']) assert.ok(looksLikeId(id), id);
    for (const word of ['orders', 'me', 'beef', 'SKU-1', 'v1']) assert.ok(!looksLikeId(word), word);
  });

  test('a file over the cap is refused before it is read', async () => {
    const path = join(dir, 'huge.har');
    writeFileSync(path, '');
    truncateSync(path, MAX_IMPORT_BYTES + 1);
    await assert.rejects(readImport('har', path), (error: unknown) => error instanceof AuditError && error.code === 'SPEC_UNREADABLE' && /more than the 67108864 read/.test(error.message));
    await assert.rejects(readImport('postman', join(dir, 'missing.json')), /cannot read the Postman collection .*: no such file/);
  });

  test('the command exits 2 with one clear line for a malformed import, before any request', async () => {
    const har = write('broken.har', '{"log": {"entries": [');
    const ran = await runCli([ORIGIN, '--har', har]);
    assert.equal(ran.code, 2);
    assert.match(ran.stderr, /rampart audit: the HAR file .*broken\.har is not valid JSON/);
    assert.doesNotMatch(ran.stderr, /\n\s+at /, 'no stack trace');
    const postman = write('not-postman.json', JSON.stringify(HAR));
    const second = await runCli([ORIGIN, '--postman', postman]);
    assert.equal(second.code, 2);
    assert.match(second.stderr, /is not a Postman collection/);
  });

  test('a config file may name them, relative to itself; the command line wins', async () => {
    const config = await loadConfigFile(write('audit.yaml', 'target: http://127.0.0.1:9/\nhar: traffic.har\npostman: shop.json\n'));
    assert.equal(config.har, join(dir, 'traffic.har'));
    const settings = resolveSettings({ postman: '/elsewhere/c.json' }, config, 'audit.yaml');
    assert.equal(settings.har, join(dir, 'traffic.har'));
    assert.equal(settings.postman, '/elsewhere/c.json');
    assert.throws(() => resolveSettings({ target: ORIGIN, har: '' }, undefined), /`har` must be a non-empty string/);
  });

  test('buildDocument writes OpenAPI 3.1 that buildSpec reads', () => {
    const built = buildDocument([], { origin: ORIGIN, prefix: '', source: 'x' }, 'empty');
    assert.equal(built.document.openapi, '3.1.0');
    assert.equal(buildSpec(built.document, 'x').operations.length, 0);
  });
});
