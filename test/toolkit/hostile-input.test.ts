// Bad input never hurts: each hostile request gets its 4xx problem+json and nothing is stored.
import { after, before, beforeEach, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { gzipSync } from 'node:zlib';
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

  test('UTF-8 declared in any spelling, and the identity coding, are read (the control cases)', async () => {
    const sent = [
      { 'content-type': 'application/json; charset=utf-8' },
      { 'content-type': 'application/json;charset=UTF-8' },
      { 'content-type': 'application/json; charset="utf-8"' },
      { ...JSON_TYPE, 'content-encoding': 'identity' },
    ];
    for (const headers of sent) {
      const response = await request(server.url, '/echo', { method: 'POST', headers, body: '{"name":"wïdget"}' });
      assert.equal(response.status, 200, `${JSON.stringify(headers)}: ${response.body}`);
    }
    assert.deepEqual(recorded.stored, sent.map(() => ({ name: 'wïdget' })));
  });

  const gzipped = gzipSync('{"name":"widget"}');
  const cases: [string, number, string | undefined, { headers?: Record<string, string>; body?: string | Buffer; path?: string }][] = [
    ['JSON declared as UTF-16', 415, 'charset-not-accepted', { headers: { 'content-type': 'application/json; charset=utf-16' }, body: '{"name":"x"}' }],
    ['JSON declared as latin1', 415, 'charset-not-accepted', { headers: { 'content-type': 'application/json; charset=latin1' }, body: '{"name":"x"}' }],
    ['JSON declared as ISO-8859-1, quoted', 415, 'charset-not-accepted', { headers: { 'content-type': 'application/json; charset="ISO-8859-1"' }, body: '{"name":"x"}' }],
    ['JSON with a second, non-UTF-8 charset', 415, 'charset-not-accepted', { headers: { 'content-type': 'application/json; charset=utf-8; charset=utf-7' }, body: '{"name":"x"}' }],
    ['UTF-16 bytes without a charset', 400, 'invalid-utf8', { headers: JSON_TYPE, body: Buffer.from('\ufeff{"name":"x"}', 'utf16le') }],
    ['an overlong UTF-8 quote (C0 A2)', 400, 'invalid-utf8', { headers: JSON_TYPE, body: Buffer.concat([Buffer.from('{"name":"x'), Buffer.from([0xc0, 0xa2]), Buffer.from('"}')]) }],
    ['a gzip body', 415, 'content-encoding-not-accepted', { headers: { ...JSON_TYPE, 'content-encoding': 'gzip' }, body: gzipped }],
    ['a gzip body declared after identity', 415, 'content-encoding-not-accepted', { headers: { ...JSON_TYPE, 'content-encoding': 'identity, gzip' }, body: gzipped }],
    ['a body declared as br but sent plain', 415, 'content-encoding-not-accepted', { headers: { ...JSON_TYPE, 'content-encoding': 'br' }, body: '{"name":"x"}' }],
    ['a body declared as deflate but sent plain', 415, 'content-encoding-not-accepted', { headers: { ...JSON_TYPE, 'content-encoding': 'Deflate' }, body: '{"name":"x"}' }],
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
    ['a repeated name that a last-wins parse would let through', 400, 'duplicate-key', { headers: JSON_TYPE, body: '{"name":"<first>","name":"widget"}' }],
    ['a repeated number', 400, 'duplicate-key', { headers: JSON_TYPE, body: '{"name":"x","qty":1,"qty":2}' }],
    ['a repeated name spelled with an escape', 400, 'duplicate-key', { headers: JSON_TYPE, body: '{"name":"x","\\u006eame":"y"}' }],
    ['a repeated name past the size limit (the limit applies first)', 413, undefined, { headers: JSON_TYPE, body: `{"name":"a","name":"${'b'.repeat(3000)}"}` }],
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

  test('a repeated name is named as a JSON pointer', async () => {
    const response = await request(server.url, '/echo', { method: 'POST', headers: JSON_TYPE, body: '{"name":"x","qty":1,"qty":2}' });
    assert.deepEqual((response.json() as { errors: unknown[] }).errors, [{ in: 'body', pointer: '/qty', detail: 'appears more than once in its object' }]);
  });

  test('query strings are coerced to their declared types, and checked', async () => {
    assert.deepEqual((await request(server.url, '/search?limit=5')).json(), { limit: 5 });
    const bad = await request(server.url, '/search?limit=1000');
    assert.equal(bad.status, 400);
    assert.deepEqual((bad.json() as { errors: unknown[] }).errors, [{ in: 'query', pointer: '/limit', detail: 'must be at most 100' }]);
    assert.equal((await request(server.url, '/search?limit=5&extra=1')).status, 400);
  });

  test('a transfer coding other than chunked is refused before the body is read', async () => {
    const send = (coding: string) => rawRequest(server.port, `POST /echo HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\nTransfer-Encoding: ${coding}\r\nConnection: close\r\n\r\nc\r\n{"name":"x"}\r\n0\r\n\r\n`);
    assert.equal((await send('chunked')).status, 200, 'the control case');
    assert.deepEqual(recorded.stored, [{ name: 'x' }]);
    recorded.stored.length = 0;
    for (const coding of ['gzip, chunked', 'deflate, chunked']) {
      const response = await send(coding);
      assert.equal(response.status, 400, coding);
      assert.deepEqual(response.headers['content-type'], ['application/problem+json']);
      assert.equal((JSON.parse(response.body) as { type: string }).type, 'tag:rampart.dev,2026:problem:transfer-coding-not-accepted');
    }
    assert.deepEqual(recorded.stored, []);
  });

  test('the 415 for a compressed body says which coding is accepted', async () => {
    const response = await request(server.url, '/echo', { method: 'POST', headers: { ...JSON_TYPE, 'content-encoding': 'gzip' }, body: gzipped });
    assert.equal(response.headers['accept-encoding'], 'identity');
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
