// Issue 18 item 2: `limit=Infinity` (and its other spellings) passed `integer 1..100` and
// reached SQL on every list route (500). Every operation of the service with an integer
// `limit` parameter, found in its own OpenAPI document, now refuses each spelling with 400.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { login, startReferenceService, STRONG_PASSWORD, type RunningService } from '../helpers/app.ts';
import { request } from '../helpers/http.ts';

const SPELLINGS = ['Infinity', '-Infinity', '%2BInfinity', '1e400', '%20Infinity', '+Infinity'];

describe('list routes refuse non-finite limits', () => {
  let service: RunningService;
  let token: string;
  let lists: string[];
  before(async () => {
    service = await startReferenceService();
    await service.identity.createUser({ username: 'limits-admin', password: STRONG_PASSWORD, role: 'admin' }, { id: null, clientIp: null });
    token = (await login(service.url, 'limits-admin')).access_token;
    const document = (await request(service.url, '/openapi.json')).json() as { paths: Record<string, Record<string, { parameters?: { name: string; in: string; schema: { type?: string } }[] }>> };
    lists = Object.entries(document.paths)
      .filter(([, item]) => item.get?.parameters?.some((p) => p.in === 'query' && p.name === 'limit' && p.schema.type === 'integer'))
      .map(([path]) => path.replace(/\{[^}]+\}/g, '00000000-0000-4000-8000-000000000000'));
  });
  after(() => service.close());

  test('the seven list routes are found in the document', () => {
    assert.equal(lists.length, 7, lists.join(', '));
  });

  for (const spelling of SPELLINGS) {
    test(`limit=${spelling}: 400 problem+json on every list route, never 500`, async () => {
      for (const path of lists) {
        const response = await request(service.url, `${path}?limit=${spelling}`, { headers: { authorization: `Bearer ${token}` } });
        assert.equal(response.status, 400, `${path}: ${response.body}`);
        assert.equal(response.headers['content-type'], 'application/problem+json');
        assert.deepEqual((response.json() as { errors: unknown[] }).errors, [{ in: 'query', pointer: '/limit', detail: 'must be a finite number' }], path);
      }
    });
  }

  test('a finite limit still lists', async () => {
    for (const path of lists.filter((p) => !p.includes('0000'))) {
      assert.equal((await request(service.url, `${path}?limit=5`, { headers: { authorization: `Bearer ${token}` } })).status, 200, path);
    }
  });
});
