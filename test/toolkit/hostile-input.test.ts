// Bad input never hurts: each hostile request gets its 4xx problem+json and nothing is stored.
import { after, before, beforeEach, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { rawRequest, request } from '../helpers/http.ts';
import { testRoutes, type Recorded } from '../helpers/routes.ts';
import { startServer, type TestServer } from '../helpers/server.ts';
import { closeAll } from '../helpers/close-all.ts';

const JSON_TYPE = { 'content-type': 'application/json' };

describe('hostile input changes nothing', () => {
  const recorded: Recorded = { stored: [] };
  let server: TestServer;
  before(async () => {
    server = await startServer({ limits: { bodyBytes: 2048, jsonDepth: 8 } }, testRoutes(recorded));
  });
  after(() => closeAll(server));
  beforeEach(() => {
    recorded.stored.length = 0;
  });

  test('a valid body is stored (the control case)', async () => {
    const response = await request(server.url, '/echo', { method: 'POST', headers: JSON_TYPE, body: '{"name":"widget","qty":2}' });
    assert.equal(response.status, 200);
    assert.deepEqual(recorded.stored, [{ name: 'widget', qty: 2 }]);
  });

  const cases: [string, number, string | undefined, { headers?: Record<string, string>; body?: string; path?: string }][] = [
    ['malformed JSON', 400, 'malformed-json', { headers: JSON_TYPE, body: '{"name": "x",' }],
    ['an empty JSON body', 400, 'malformed-json', { headers: JSON_TYPE, body: '' }],
    ['a wrong content type', 415, undefined, { headers: { 'content-type': 'text/plain' }, body: '{"name":"x"}' }],
    ['form encoding where JSON is expected', 415, undefined, { headers: { 'content-type': 'application/x-www-form-urlencoded' }, body: 'name=x' }],
    ['an oversized body', 413, undefined, { headers: JSON_TYPE, body: JSON.stringify({ name: 'a'.repeat(3000) }) }],
    ['nesting deeper than the limit', 400, 'json-too-deep', { headers: JSON_TYPE, body: `{"name":"x","qty":${'['.repeat(20)}1${']'.repeat(20)}}` }],
    ['a deeply nested bomb inside the size limit', 400, 'json-too-deep', { headers: JSON_TYPE, body: `${'['.repeat(1000)}${']'.repeat(1000)}` }],
    ['a deeply nested bomb past the size limit', 413, undefined, { headers: JSON_TYPE, body: '['.repeat(100000) }],
    ['__proto__ key', 400, 'forbidden-key', { headers: JSON_TYPE, body: '{"name":"x","__proto__":{"admin":true}}' }],
    ['constructor key', 400, 'forbidden-key', { headers: JSON_TYPE, body: '{"name":"x","constructor":{"prototype":{"admin":true}}}' }],
    ['nested prototype key', 400, 'forbidden-key', { headers: JSON_TYPE, body: '[{"a":{"prototype":1}}]' }],
    ['an unknown field', 400, 'validation-failed', { headers: JSON_TYPE, body: '{"name":"x","role":"admin"}' }],
    ['a string where a number belongs (no coercion)', 400, 'validation-failed', { headers: JSON_TYPE, body: '{"name":"x","qty":"5"}' }],
    ['a value out of range', 400, 'validation-failed', { headers: JSON_TYPE, body: '{"name":"x","qty":1000}' }],
  ];
  for (const [label, status, slug, send] of cases) {
    test(`${label} → ${status}`, async () => {
      const response = await request(server.url, send.path ?? '/echo', { method: 'POST', headers: send.headers ?? {}, body: send.body ?? '' });
      assert.equal(response.status, status, response.body);
      assert.equal(response.headers['content-type'], 'application/problem+json');
      const problem = response.json() as { type: string; status: number };
      assert.equal(problem.status, status);
      assert.equal(problem.type, slug === undefined ? 'about:blank' : `tag:rampart.dev,2026:problem:${slug}`);
      assert.deepEqual(recorded.stored, [], 'nothing stored');
      assert.ok(!Object.prototype.hasOwnProperty.call(Object.prototype, 'admin'), 'no prototype pollution');
    });
  }

  test('unknown fields are named as JSON pointers', async () => {
    const response = await request(server.url, '/echo', { method: 'POST', headers: JSON_TYPE, body: '{"name":"x","role":"admin","ownerId":"u2"}' });
    const problem = response.json() as { errors: { in: string; pointer: string; detail: string }[] };
    assert.deepEqual(problem.errors.map((e) => e.pointer).sort(), ['/ownerId', '/role']);
    assert.ok(problem.errors.every((e) => e.in === 'body' && e.detail === 'is not an allowed property'));
  });

  test('query strings are coerced to their declared types, and checked', async () => {
    assert.deepEqual((await request(server.url, '/search?limit=5')).json(), { limit: 5 });
    const bad = await request(server.url, '/search?limit=1000');
    assert.equal(bad.status, 400);
    assert.deepEqual((bad.json() as { errors: unknown[] }).errors, [{ in: 'query', pointer: '/limit', detail: 'must be at most 100' }]);
    assert.equal((await request(server.url, '/search?limit=5&extra=1')).status, 400);
  });

  test('an over-long URL is 414 and oversized headers are 431, storing nothing', async () => {
    const longUrl = await rawRequest(server.port, `POST /echo?${'x'.repeat(30000)} HTTP/1.1\r\nHost: 127.0.0.1\r\ncontent-type: application/json\r\ncontent-length: 12\r\n\r\n{"name":"x"}`);
    assert.equal(longUrl.status, 414);
    const bigHeaders = await rawRequest(server.port, `POST /echo HTTP/1.1\r\nHost: 127.0.0.1\r\nX-Pad: ${'p'.repeat(30000)}\r\ncontent-type: application/json\r\ncontent-length: 12\r\n\r\n{"name":"x"}`);
    assert.equal(bigHeaders.status, 431);
    assert.deepEqual(recorded.stored, []);
  });

  test('a body sent to an unknown route is not parsed: 404, not 400', async () => {
    const response = await request(server.url, '/nowhere', { method: 'POST', headers: JSON_TYPE, body: '{bad' });
    assert.equal(response.status, 404);
  });

  test('a malformed percent-encoding in the path is a 400 problem', async () => {
    const response = await request(server.url, '/ok%zz%');
    assert.ok(response.status === 400 || response.status === 404, String(response.status));
    assert.equal(response.headers['content-type'], 'application/problem+json');
    assert.equal(response.headers['x-content-type-options'], 'nosniff');
  });
});
