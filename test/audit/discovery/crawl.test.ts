// Discovery without a spec, measured on the no-spec fixture (ShopLite): routes.json is the real
// route table and says where a client can learn of each route. The crawler must find the routes
// named by the target itself (pages, the bundle, robots.txt, the directory listing, the partner
// Swagger UI and its document), never turn the single-page app's catch-all into routes, and
// send nothing but reads.
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { after, before, describe, test } from 'node:test';
import { crawl, templateOf, type Crawl } from '../../../src/audit/discovery/crawl.ts';
import { fromRobots, fromScript, swaggerDocuments } from '../../../src/audit/discovery/extract.ts';
import { COMMON_PATHS } from '../../../src/audit/discovery/wordlist.ts';
import { HttpClient } from '../../../src/audit/http/client.ts';
import { isRead } from '../../../src/audit/safety/policy.ts';
import { Target } from '../../../src/audit/target.ts';
import { NOSPEC_ROUTES_PATH, startNoSpec, type RunningNoSpec } from '../../fixtures/nospec-express/start.ts';
import { closeAll } from '../../helpers/close-all.ts';
import { DOCUMENTATION } from '../../helpers/readme.ts';

interface Route {
  method: string;
  path: string;
  named_by: string[];
}
const ROUTES = (JSON.parse(readFileSync(NOSPEC_ROUTES_PATH, 'utf8')) as { routes: Route[] }).routes;

describe('discovery without a spec (nospec-express)', { timeout: 120_000 }, () => {
  let fixture: RunningNoSpec;
  let result: Crawl;
  const sent: string[] = [];
  before(async () => {
    fixture = await startNoSpec();
    const client = new HttpClient({ ratePerSecond: 500, maxRequests: 1000, timeoutMs: 5000, onSent: (request) => sent.push(`${request.method} ${new URL(request.url).pathname}`) });
    result = await crawl(new Target(new URL(fixture.vuln)), client);
  });
  after(() => closeAll(fixture));

  test('every route the target names itself is found, with its method', () => {
    const found = new Set((result.spec?.operations ?? []).map((op) => `${op.method} ${op.path.replace(/\{[^}]+\}/g, '{}')}`));
    const named = ROUTES.filter((route) => !route.named_by.includes('wordlist') && !/\.m?js$/.test(route.path));
    const missing = named.filter((route) => !found.has(`${route.method} ${route.path.replace(/\{[^}]+\}/g, '{}')}`));
    const recall = (named.length - missing.length) / named.length;
    console.log(`discovery: ${named.length - missing.length}/${named.length} routes in ${result.requests} requests; missing ${missing.map((r) => `${r.method} ${r.path}`).join(', ') || 'none'}`);
    assert.ok(recall >= 0.95, `found ${Math.round(recall * 100)}%; missing ${missing.map((r) => `${r.method} ${r.path}`).join(', ')}`);
  });

  test('the catch-all page is not taken for routes: nothing found that the route table does not hold', () => {
    assert.ok(result.softNotFound === 200, 'the fixture answers unknown paths with its page');
    // Express answers /backup as it answers /backup/: a trailing slash is the same route.
    const real = ROUTES.map((route) => new RegExp(`^${route.path.replace(/\/$/, '').replace(/\{[^}]+\}/g, '[^/]+')}/?$`));
    const invented = result.routes.filter((route) => !real.some((pattern) => pattern.test(route.path.replace(/\{[^}]+\}/g, 'x'))));
    assert.deepEqual(invented.map((route) => `${route.method} ${route.path}`), []);
  });

  test('the partner Swagger UI leads to its document, whose operations join the spec', () => {
    assert.ok(result.documents.some((path) => path.endsWith('openapi.json')), result.documents.join(', '));
    const operations = result.spec?.operations.map((op) => `${op.method} ${op.path}`) ?? [];
    assert.ok(operations.includes('GET /partners/v1/stock/{sku}'), operations.join(', '));
  });

  test('only reads were sent, within the budget', () => {
    assert.ok(sent.length > 0 && sent.length <= 250, String(sent.length));
    assert.deepEqual(sent.filter((line) => !line.startsWith('GET ')), []);
  });
});

test('the README says what discovery reads, and its budget is the one in the code', async () => {
  const readme = DOCUMENTATION.replace(/\s+/g, ' ');
  assert.match(readme, /without one it discovers the routes itself, with reads only and at most 250 requests/);
  const { DEFAULT_CRAWL_BUDGET } = await import('../../../src/audit/discovery/crawl.ts');
  assert.equal(DEFAULT_CRAWL_BUDGET, 250);
});

test('the wordlist names only reads', () => {
  assert.deepEqual(COMMON_PATHS.filter((path) => !isRead({ method: 'GET', path })), []);
});

test('extraction: robots, scripts, Swagger UI pages, id templates', () => {
  assert.deepEqual(fromRobots('User-agent: *\nDisallow: /backup/\nAllow: /public/*.css$\nSitemap: https://x/s.xml').map((h) => [h.path, h.via]), [['/backup/', 'robots'], ['/public/', 'robots'], ['https://x/s.xml', 'sitemap']]);
  const script = 'axios.post("/api/orders", body); fetch(`/api/orders/${id}`, { method: "DELETE" }); const u = "/api/reviews";';
  assert.deepEqual(fromScript(script).map((h) => `${h.method} ${h.path}`).sort(), ['DELETE /api/orders/{id}', 'GET /api/orders', 'GET /api/orders/{id}', 'GET /api/reviews', 'POST /api/orders'].sort());
  assert.deepEqual(swaggerDocuments('SwaggerUIBundle({ url: "/partners/v1/openapi.json", dom_id: "#x" })'), ['/partners/v1/openapi.json']);
  assert.equal(templateOf('/orders/42/items/3f2504e0-4f89-41d3-9a0c-0305e82c3301', new Set()), '/orders/{id}/items/{id2}');
  assert.equal(templateOf('/products/sku-77', new Set(['sku-77'])), '/products/{id}');
});
