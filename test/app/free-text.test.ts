// Issue 18 item 11, one rule for every free-text field: bidirectional controls are refused on
// input in every string field of every request body (found in the service's own OpenAPI
// document), passwords excepted; HTML is stored and returned exactly as given, and only ever
// sent as JSON (the one HTML page the service renders, /docs, encodes what it shows).
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { bearer, login, startReferenceService, STRONG_PASSWORD, type RunningService } from '../helpers/app.ts';
import { request } from '../helpers/http.ts';

type Schema = { type?: string; properties?: Record<string, Schema>; 'x-allow-bidi-controls'?: boolean };
type Document = { paths: Record<string, Record<string, { requestBody?: { content: Record<string, { schema: Schema }> } }>> };

const BIDI = 'invoice\u202Egnp.exe';

describe('free text', () => {
  let service: RunningService;
  let admin: string;
  before(async () => {
    service = await startReferenceService();
    await service.identity.createUser({ username: 'text-admin', password: STRONG_PASSWORD, role: 'admin' }, { id: null, clientIp: null });
    admin = (await login(service.url, 'text-admin')).access_token;
  });
  after(() => service.close());

  test('every string field of every JSON or form body refuses bidi controls, except those that opt out (passwords)', async () => {
    const document = (await request(service.url, '/openapi.json')).json() as Document;
    const checked: string[] = [];
    const optedOut: string[] = [];
    for (const [path, item] of Object.entries(document.paths)) {
      for (const [method, operation] of Object.entries(item)) {
        for (const [media, { schema }] of Object.entries(operation.requestBody?.content ?? {})) {
          if (media === 'multipart/form-data') continue;
          for (const [name, field] of Object.entries(schema.properties ?? {})) {
            if (field.type !== 'string') continue;
            const url = path.replace(/\{[^}]+\}/g, '00000000-0000-4000-8000-000000000000');
            const body = media === 'application/json' ? JSON.stringify({ [name]: BIDI }) : new URLSearchParams({ [name]: BIDI }).toString();
            const response = await request(service.url, url, { method: method.toUpperCase(), headers: { ...bearer(admin), 'content-type': media, origin: service.url }, body });
            const refusedHere = response.body.includes(`"pointer":"/${name}","detail":"must not contain bidirectional control characters"`);
            if (field['x-allow-bidi-controls'] === true) {
              optedOut.push(`${method} ${path} ${name}`);
              assert.equal(refusedHere, false, `${method} ${path}: ${name} opted out`);
            } else {
              checked.push(`${method} ${path} ${name}`);
              // OAuth endpoints answer validation failures in RFC 6749's own format, without pointers.
              if (path.startsWith('/v1/auth/token') || path.startsWith('/v1/auth/revoke')) assert.equal(response.status, 400, `${method} ${path} ${name}: ${response.body}`);
              else assert.ok(refusedHere, `${method} ${path} ${name}: ${response.status} ${response.body}`);
            }
          }
        }
      }
    }
    assert.ok(checked.length >= 15, checked.join(', '));
    assert.ok(checked.includes('post /v1/transfers reference') && checked.includes('post /v1/products name'), checked.join(', '));
    assert.ok(optedOut.length >= 4 && optedOut.every((field) => /password/i.test(field)), optedOut.join(', '));
  });

  test('HTML in text is stored and returned exactly as given, only ever as JSON', async () => {
    const name = `<img src=x onerror="alert(1)"> Tom & Jerry's <b>mug</b> \u200F(RLM is fine)`;
    const description = '<script>alert(document.cookie)</script>';
    const created = await request(service.url, '/v1/products', { method: 'POST', headers: { ...bearer(admin), 'content-type': 'application/json' }, body: JSON.stringify({ name, description, price: 100 }) });
    assert.equal(created.status, 201, created.body);
    const { id } = created.json() as { id: string };
    const read = await request(service.url, `/v1/products/${id}`);
    assert.equal(read.status, 200);
    assert.match(String(read.headers['content-type']), /^application\/json/);
    assert.equal(read.headers['x-content-type-options'], 'nosniff');
    assert.match(String(read.headers['content-security-policy']), /default-src 'none'/);
    const product = read.json() as { name: string; description: string };
    assert.equal(product.name, name);
    assert.equal(product.description, description);
  });
});
