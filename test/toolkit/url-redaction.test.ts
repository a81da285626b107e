// Credential-shaped values never reach a log line through a URL: not in the query (by name or
// by value) and not in a path segment, encoded or not; ids and words stay readable.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { randomBytes, randomUUID } from 'node:crypto';
import fc from 'fast-check';
import { Type } from '../../src/toolkit/index.ts';
import { generateApiKey } from '../../src/toolkit/auth/api-keys/format.ts';
import { looksLikeCredential, scrubUrl } from '../../src/toolkit/logging/redact.ts';
import { request } from '../helpers/http.ts';
import { testRoutes } from '../helpers/routes.ts';
import { Ok, startServer, type TestServer } from '../helpers/server.ts';

const JWT = 'eyJhbGciOiJFZERTQSIsInR5cCI6ImF0K2p3dCJ9.eyJzdWIiOiJhbGljZSIsInNjb3BlIjoib3JkZXJzOnJlYWQifQ.c2lnbmF0dXJlLXNpZ25hdHVyZS1zaWduYXR1cmU';
const CREDENTIALS = {
  jwt: JWT,
  apiKey: generateApiKey().key,
  refreshToken: randomBytes(32).toString('base64url'),
  sessionId: randomBytes(32).toString('base64url'),
  webhookSecret: `whsec_${randomBytes(32).toString('base64url')}`,
  hexToken: randomBytes(16).toString('hex'),
  shortToken: randomBytes(15).toString('base64url'),
};

describe('credential-shaped values in logged URLs', () => {
  let server: TestServer;
  before(async () => {
    server = await startServer({}, (app) => {
      testRoutes()(app);
      app.get('/items/:id', { policy: { public: true }, schema: { params: Type.Object({ id: Type.String() }), response: { 200: Ok } } }, () => ({ ok: true }));
    });
  });
  after(() => server.close());

  const loggedUrl = async (path: string): Promise<string> => {
    const response = await request(server.url, path);
    const line = server.logs.entries().find((entry) => entry.reqId === response.headers['x-request-id'] && entry.msg === 'request');
    assert.ok(line, `a request line was logged for ${path.slice(0, 40)}`);
    return String(line.url);
  };

  for (const [name, value] of Object.entries(CREDENTIALS)) {
    test(`${name}: redacted as a path segment (unknown and matched routes), percent-encoded, and as a query value`, async () => {
      assert.equal(await loggedUrl(`/nope/${value}`), '/nope/[redacted]');
      assert.equal(await loggedUrl(`/items/${value}?page=2`), '/items/[redacted]?page=2');
      assert.equal(await loggedUrl(`/nope/${encodeURIComponent(value).replace(/[a-z]/g, (c) => `%${c.charCodeAt(0).toString(16)}`)}/x`), '/nope/[redacted]/x');
      assert.equal(await loggedUrl(`/ok?next=${value}&page=2`), '/ok?next=[redacted]&page=2');
      assert.equal(await loggedUrl(`/ok?${value}`), '/ok?[redacted]');
      assert.ok(!server.logs.text.includes(value), `${name} is nowhere in the log output`);
    });
  }

  test('the issue\'s case: a JWT in the path of a 404 is not logged, and neither is a Bearer value in a segment', async () => {
    assert.equal(await loggedUrl(`/nope/${JWT}`), '/nope/[redacted]');
    assert.equal(await loggedUrl(`/nope/Bearer%20${CREDENTIALS.sessionId.slice(0, 12)}/x`), '/nope/[redacted]/x');
    assert.ok(!server.logs.text.includes(JWT.split('.')[1]!));
  });

  test('ids, words, dates and harmless parameters stay readable', async () => {
    const uuid = randomUUID();
    assert.equal(await loggedUrl(`/items/${uuid}`), `/items/${uuid}`);
    assert.equal(await loggedUrl(`/items/${uuid.toUpperCase()}`), `/items/${uuid.toUpperCase()}`);
    assert.equal(await loggedUrl('/items/ord_1001?limit=20&after=ethiopia-yirgacheffe'), '/items/ord_1001?limit=20&after=ethiopia-yirgacheffe');
    assert.equal(await loggedUrl('/nope/2026-05-01/ethiopia_yirgacheffe_washed'), '/nope/2026-05-01/ethiopia_yirgacheffe_washed');
    assert.equal(await loggedUrl('/ok?api_key=abc&q=arabica'), '/ok?api_key=[redacted]&q=arabica');
  });
});

describe('looksLikeCredential', () => {
  test('every random token of 20+ base64url or hex characters is a credential, whatever prefix or suffix it has', () => {
    fc.assert(
      fc.property(fc.integer({ min: 15, max: 96 }), fc.constantFrom('base64url', 'hex'), fc.constantFrom('', 'tok_', 'whsec_', 'sk_live_'), fc.constantFrom('', '.json', '-v2'), (bytes, encoding, prefix, suffix) => {
        const token = randomBytes(bytes).toString(encoding);
        assert.ok(looksLikeCredential(`${prefix}${token}${suffix}`), token);
        assert.ok(!scrubUrl(`/a/${prefix}${token}${suffix}/b?c=${token}`).includes(token));
      }),
      { numRuns: 2000 },
    );
  });

  test('UUIDs, plain words and short ids are not', () => {
    fc.assert(fc.property(fc.uuid(), (uuid) => !looksLikeCredential(uuid) && !looksLikeCredential(uuid.toUpperCase())));
    for (const text of ['ord_1001', 'ethiopia-yirgacheffe-natural-process', 'ORDERS_BY_CUSTOMER_NAME', 'abc123', 'v1']) assert.equal(looksLikeCredential(text), false, text);
  });

  test('undecodable escapes are redacted rather than logged as they are', () => {
    assert.equal(scrubUrl('/a/%E0%A4%A/b?x=%zz'), '/a/[redacted]/b?x=[redacted]');
  });
});
