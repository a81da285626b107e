// Rules every request value meets whatever its schema says, in every part of a request:
// numbers are finite (Infinity and 1e400 used to pass `integer 1..100` and reach SQL), and
// text carries no bidirectional embedding, override or isolate controls.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { Type } from '../../../src/toolkit/index.ts';
import { request, type Response } from '../../helpers/http.ts';
import { Ok, startServer, type TestServer } from '../../helpers/server.ts';

const Limit = Type.Integer({ minimum: 1, maximum: 100 });
const Amount = Type.Number({ minimum: 0, maximum: 1000 });
const JSON_TYPE = { 'content-type': 'application/json' };

interface Problem {
  type: string;
  errors: { in: string; pointer: string; detail: string }[];
}

function assertRefused(response: Response, where: string, pointer: string, detail: string): void {
  assert.equal(response.status, 400, response.body);
  assert.equal(response.headers['content-type'], 'application/problem+json');
  const problem = response.json() as Problem;
  assert.equal(problem.type, 'tag:rampart.dev,2026:problem:validation-failed');
  assert.ok(problem.errors.some((e) => e.in === where && e.pointer === pointer && e.detail === detail), response.body);
}

describe('request input rules', () => {
  const seen: unknown[] = [];
  let server: TestServer;
  before(async () => {
    server = await startServer({}, (app) => {
      const record = (value: unknown) => {
        // Query and path objects have no prototype; compare their content.
        seen.push(typeof value === 'object' && value !== null ? { ...value } : value);
        return { ok: true };
      };
      app.get('/query', { policy: { public: true }, schema: { querystring: Type.Object({ limit: Limit, amount: Type.Optional(Amount), q: Type.Optional(Type.String()) }), response: { 200: Ok } } }, (r) => record(r.query));
      app.get('/path/:limit', { policy: { public: true }, schema: { params: Type.Object({ limit: Limit }), response: { 200: Ok } } }, (r) => record(r.params));
      app.get('/header', { policy: { public: true }, schema: { headers: Type.Object({ 'x-limit': Limit }), response: { 200: Ok } } }, (r) => record(r.headers['x-limit']));
      app.post('/body', {
        policy: { public: true },
        schema: {
          body: Type.Object({
            amount: Type.Optional(Amount),
            text: Type.Optional(Type.String()),
            secret: Type.Optional(Type.String({ 'x-allow-bidi-controls': true })),
            tags: Type.Optional(Type.Record(Type.String(), Type.Integer())),
            anything: Type.Optional(Type.Unknown()),
          }),
          response: { 200: Ok },
        },
      }, (r) => record(r.body));
    });
  });
  after(() => server.close());

  // Every spelling the penetration test used, as it arrives in each text part.
  const SPELLINGS: [label: string, query: string, path: string][] = [
    ['Infinity', 'Infinity', 'Infinity'],
    ['-Infinity', '-Infinity', '-Infinity'],
    ['+Infinity', '%2BInfinity', '+Infinity'],
    ['1e400', '1e400', '1e400'],
    [' Infinity', '%20Infinity', '%20Infinity'],
    ['-1e400', '-1e400', '-1e400'],
  ];
  for (const [label, query, path] of SPELLINGS) {
    test(`query string: limit=${label} is refused`, async () => {
      assertRefused(await request(server.url, `/query?limit=${query}`), 'query', '/limit', 'must be a finite number');
    });
    test(`query string: a number field given ${label} is refused`, async () => {
      assertRefused(await request(server.url, `/query?limit=5&amount=${query}`), 'query', '/amount', 'must be a finite number');
    });
    test(`path: ${label} is refused`, async () => {
      assertRefused(await request(server.url, `/path/${path}`), 'path', '/limit', 'must be a finite number');
    });
    test(`header: ${label} is refused`, async () => {
      assertRefused(await request(server.url, '/header', { headers: { 'x-limit': label } }), 'header', '/x-limit', 'must be a finite number');
    });
  }
  for (const spelling of ['1e400', '-1e400', '1E400', '-0.1e999']) {
    test(`JSON body: ${spelling} (parsed as an infinite number) is refused, in typed and untyped fields`, async () => {
      assertRefused(await request(server.url, '/body', { method: 'POST', headers: JSON_TYPE, body: `{"amount":${spelling}}` }), 'body', '/amount', 'must be a finite number');
      const untyped = await request(server.url, '/body', { method: 'POST', headers: JSON_TYPE, body: `{"anything":{"deep":[${spelling}]}}` });
      assertRefused(untyped, 'body', '/anything', 'must hold only finite numbers and text without bidirectional control characters');
    });
  }

  test('finite numbers in range still pass, and reach the handler as numbers', async () => {
    seen.length = 0;
    assert.equal((await request(server.url, '/query?limit=100&amount=2.5')).status, 200);
    assert.equal((await request(server.url, '/path/1')).status, 200);
    assert.equal((await request(server.url, '/header', { headers: { 'x-limit': '7' } })).status, 200);
    assert.equal((await request(server.url, '/body', { method: 'POST', headers: JSON_TYPE, body: '{"amount":1e2}' })).status, 200);
    assert.deepEqual(seen, [{ limit: 100, amount: 2.5 }, { limit: 1 }, 7, { amount: 100 }]);
    assertRefused(await request(server.url, '/query?limit=101'), 'query', '/limit', 'must be at most 100');
  });

  const CONTROLS = [0x202a, 0x202b, 0x202c, 0x202d, 0x202e, 0x2066, 0x2067, 0x2068, 0x2069];
  for (const code of CONTROLS) {
    const char = String.fromCodePoint(code);
    const name = `U+${code.toString(16).toUpperCase()}`;
    test(`${name} is refused in body text, in query text and in record keys`, async () => {
      seen.length = 0;
      const body = (value: unknown) => request(server.url, '/body', { method: 'POST', headers: JSON_TYPE, body: JSON.stringify(value) });
      assertRefused(await body({ text: `invoice${char}fdp.exe` }), 'body', '/text', 'must not contain bidirectional control characters');
      assertRefused(await body({ tags: { [`a${char}`]: 1 } }), 'body', '/tags', 'must not have property names with bidirectional control characters');
      assertRefused(await body({ anything: [{ note: `x${char}` }] }), 'body', '/anything', 'must hold only finite numbers and text without bidirectional control characters');
      assertRefused(await request(server.url, `/query?limit=1&q=${encodeURIComponent(`a${char}b`)}`), 'query', '/q', 'must not contain bidirectional control characters');
      assert.deepEqual(seen, [], 'nothing reached a handler');
    });
  }

  test('the implicit marks U+200E, U+200F and U+061C, and right-to-left text, are accepted as given', async () => {
    seen.length = 0;
    const text = 'שלום\u200F (123) \u200Eabc \u061Cمرحبا';
    const response = await request(server.url, '/body', { method: 'POST', headers: JSON_TYPE, body: JSON.stringify({ text }) });
    assert.equal(response.status, 200, response.body);
    assert.deepEqual(seen, [{ text }]);
  });

  test("a string schema with 'x-allow-bidi-controls': true opts out", async () => {
    seen.length = 0;
    const secret = 'pass\u202Eword\u2066';
    const response = await request(server.url, '/body', { method: 'POST', headers: JSON_TYPE, body: JSON.stringify({ secret }) });
    assert.equal(response.status, 200, response.body);
    assert.deepEqual(seen, [{ secret }]);
  });
});
