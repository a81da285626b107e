// The no-spec fixture: what a client can discover is really there (robots.txt, the listing, the
// bundle's routes, the partner Swagger page), unknown paths are a soft 404, routes.json and the
// Postman collection match the app, the page calls the API in a real browser, and each planted
// flaw is real on the vulnerable twin and absent on the fixed one.
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { after, before, describe, test } from 'node:test';
import { chromium } from 'playwright-core';
import { APP_JS, INDEX_HTML } from '../fixtures/nospec-express/pages.ts';
import { NOSPEC_FULL_SPEC_PATH, NOSPEC_PLANTED_PATH, NOSPEC_POSTMAN_PATH, NOSPEC_ROUTES_PATH, startNoSpec } from '../fixtures/nospec-express/start.ts';
import type { RunningNoSpec } from '../fixtures/nospec-express/start.ts';
import { call } from './http.ts';

type Twin = 'vuln' | 'fixed';
const twins = ['vuln', 'fixed'] as const;
interface Route {
  method: string;
  path: string;
  auth: 'none' | 'token' | 'partner-key';
  named_by: string[];
}
const routes = (JSON.parse(readFileSync(NOSPEC_ROUTES_PATH, 'utf8')) as { routes: Route[] }).routes;
let fx: RunningNoSpec;
const tokens: Record<Twin, Record<string, string>> = { vuln: {}, fixed: {} };
const base = (twin: Twin): string => fx[twin];
const as = (twin: Twin, name: string): Record<string, string> => ({ 'x-auth-token': tokens[twin][name]! });

before(async () => {
  fx = await startNoSpec();
  for (const twin of twins) {
    for (const name of ['alice', 'bob', 'admin'] as const) {
      const answer = await call(base(twin), 'POST', '/api/session', { body: { login: name, password: fx.users[name].password } });
      assert.equal(answer.status, 200, answer.text);
      tokens[twin][name] = answer.json.result.session_token as string;
    }
  }
});
after(async () => {
  await fx.close();
});

/** A concrete path for a route template. */
const concrete = (path: string): string => path.replace('{id}', path.startsWith('/api/orders') ? '1001' : '1').replace('{sku}', 'SKU-0001');

describe('the no-spec fixture: what can be discovered', () => {
  test('no OpenAPI document at the usual paths: every unknown GET path is the SPA page with 200 (soft 404)', async () => {
    for (const twin of twins) {
      for (const path of ['/openapi.json', '/swagger.json', '/api-docs', '/v3/api-docs', '/api/nothing-here', `/x${Date.now()}`]) {
        const answer = await call(base(twin), 'GET', path);
        assert.equal(answer.status, 200, path);
        assert.equal(answer.text, INDEX_HTML, path);
      }
      assert.equal((await call(base(twin), 'POST', '/api/nothing-here', { body: {} })).status, 404);
    }
  });
  test('robots.txt names /backup/, a listing of sensitive files (vulnerable twin only)', async () => {
    assert.match((await call(base('vuln'), 'GET', '/robots.txt')).text, /^Disallow: \/backup\/$/m);
    const listing = await call(base('vuln'), 'GET', '/backup/');
    assert.match(listing.text, /<title>Index of \/backup\/<\/title>/);
    for (const file of ['.env', 'shoplite-2024-05-01.sql', 'config.js.bak']) assert.ok(listing.text.includes(`<a href="${file}">`), file);
    assert.match((await call(base('vuln'), 'GET', '/backup/.env')).text, /^DATABASE_URL=postgres:\/\/shoplite:/m);
    assert.match((await call(base('vuln'), 'GET', '/backup/shoplite-2024-05-01.sql')).text, /INSERT INTO users .*\$2b\$10\$/);
    assert.match((await call(base('vuln'), 'GET', '/backup/config.js.bak')).text, new RegExp(fx.partnerKey));
    assert.doesNotMatch((await call(base('fixed'), 'GET', '/robots.txt')).text, /backup/);
    for (const path of ['/backup/', '/backup/.env']) assert.equal((await call(base('fixed'), 'GET', path)).text, INDEX_HTML, path);
  });
  test('the page loads the bundle and links the partner docs; the bundle names every route routes.json says it names', async () => {
    assert.match(INDEX_HTML, /<script defer src="\/static\/app\.js">/);
    assert.match(INDEX_HTML, /<a href="\/partners\/docs">/);
    assert.equal((await call(base('vuln'), 'GET', '/static/app.js')).text, APP_JS);
    for (const route of routes.filter((r) => r.named_by.includes('bundle'))) assert.ok(APP_JS.includes(`'${route.path.split('{')[0]!}`), route.path);
    assert.match(APP_JS, /fetch\('\/api\/reviews\?productId=1'\)/);
    assert.match(APP_JS, /axios\.get\('\/api\/orders\/' \+ order\.id\)/);
  });
  test('the partner Swagger UI page names its document, which lists the partner routes', async () => {
    const page = await call(base('vuln'), 'GET', '/partners/docs');
    assert.match(page.text, /SwaggerUIBundle\(\{ url: "\/partners\/v1\/openapi\.json"/);
    const spec = await call(base('vuln'), 'GET', '/partners/v1/openapi.json');
    const partnerRoutes = routes.filter((r) => r.named_by.includes('partner-spec')).map((r) => r.path);
    assert.deepEqual(Object.keys(spec.json.paths).sort(), partnerRoutes.sort());
  });
  test('routes.json is the real route table: each route answers itself (not the SPA page), protected as it says', async () => {
    for (const route of routes) {
      const path = concrete(route.path);
      const anonymous = await call(base('vuln'), route.method, path, route.method === 'POST' ? { body: {} } : {});
      if (route.auth === 'none') assert.ok(anonymous.status < 500 && (path === '/' || anonymous.text !== INDEX_HTML), `${route.method} ${route.path}`);
      else assert.equal(anonymous.status, 401, `${route.method} ${route.path}`);
      if (route.auth !== 'none' && route.method === 'GET') {
        const headers = route.auth === 'token' ? as('vuln', 'admin') : { 'x-partner-key': fx.partnerKey };
        assert.equal((await call(base('vuln'), 'GET', path, { headers })).status, 200, route.path);
      }
    }
  });
  test('the Postman collection (v2.1, with variables) holds exactly the routes of routes.json', () => {
    const collection = JSON.parse(readFileSync(NOSPEC_POSTMAN_PATH, 'utf8'));
    assert.match(collection.info.schema, /collection\/v2\.1\.0/);
    const names: Record<string, string> = { orderId: 'id', productId: 'id', sku: 'sku' };
    const variables = new Set((collection.variable as { key: string }[]).map((v) => v.key));
    const listed = (collection.item as { request: { method: string; url: { raw: string } } }[]).map(({ request }) => {
      const path = request.url.raw.replace('{{baseUrl}}', '').replace(/\?.*$/, '');
      for (const used of request.url.raw.matchAll(/\{\{(\w+)\}\}/g)) assert.ok(variables.has(used[1]!), used[1]);
      return `${request.method} ${path.replace(/\{\{(\w+)\}\}/g, (_m, v: string) => `{${names[v] ?? v}}`)}`;
    });
    assert.deepEqual(listed.sort(), routes.map((r) => `${r.method} ${r.path}`).sort());
  });
  test('the full spec (never served) lists exactly the routes of routes.json', () => {
    const spec = JSON.parse(readFileSync(NOSPEC_FULL_SPEC_PATH, 'utf8'));
    const listed = Object.entries(spec.paths as Record<string, Record<string, unknown>>).flatMap(([path, item]) => Object.keys(item).map((method) => `${method.toUpperCase()} ${path}`));
    assert.deepEqual(listed.sort(), routes.map((r) => `${r.method} ${r.path}`).sort());
  });
  test('in a real browser, signing in on the page calls the API (a HAR recorded there has content)', async () => {
    const browser = await chromium.launch({
      executablePath: process.env['CHROMIUM_PATH'] ?? '/usr/bin/chromium',
      args: [...(process.getuid?.() === 0 ? ['--no-sandbox'] : []), '--host-resolver-rules=MAP * ~NOTFOUND, EXCLUDE 127.0.0.1', '--disable-background-networking', '--disable-component-update', '--disable-sync'],
    });
    try {
      const page = await browser.newPage();
      const seen: string[] = [];
      page.on('request', (request) => {
        seen.push(`${request.method()} ${new URL(request.url()).pathname}`);
      });
      await page.goto(base('vuln'));
      await page.fill('input[name=login]', 'alice');
      await page.fill('input[name=password]', fx.users.alice.password);
      await page.click('#sign-in button');
      await page.waitForSelector('#orders li:nth-child(2)');
      for (const call of ['POST /api/session', 'GET /api/account', 'GET /api/products', 'GET /api/reviews', 'GET /api/orders', 'GET /api/orders/1001', 'GET /api/orders/1002']) assert.ok(seen.includes(call), `${call} in ${seen.join(', ')}`);
      await page.reload();
      await page.waitForSelector('#orders li');
      assert.ok(seen.filter((s) => s === 'GET /api/account').length >= 2, 'a reload with the stored token calls the API at once');
    } finally {
      await browser.close();
    }
  });
});

describe('planted flaws of the no-spec fixture, vulnerable vs fixed', () => {
  test('bola.read: bob reads alice’s order by its id', async () => {
    assert.equal((await call(base('vuln'), 'GET', '/api/orders/1001', { headers: as('vuln', 'bob') })).json.userId, 1);
    assert.equal((await call(base('fixed'), 'GET', '/api/orders/1001', { headers: as('fixed', 'bob') })).status, 404);
    assert.equal((await call(base('fixed'), 'GET', '/api/orders/1001', { headers: as('fixed', 'alice') })).status, 200);
  });
  test('data-exposure.personal-data: public reviews carry their authors’ email and phone', async () => {
    const vuln = await call(base('vuln'), 'GET', '/api/reviews?productId=1');
    assert.equal(vuln.json[0].author.email, 'alice@shoplite.example');
    const fixed = await call(base('fixed'), 'GET', '/api/reviews?productId=1');
    assert.deepEqual(Object.keys(fixed.json[0].author).sort(), ['displayName', 'id']);
  });
  test('injection.sql-boolean, injection.sql-error and errors.sql-text: the search text is SQL', async () => {
    const all = await call(base('vuln'), 'GET', `/api/products?search=${encodeURIComponent("x%' OR '1'='1' --")}`);
    assert.equal(all.json.items.length, 300, "the comment also cuts the LIMIT");
    assert.equal((await call(base('vuln'), 'GET', `/api/products?search=${encodeURIComponent("x%' AND '1'='2' --")}`)).json.items.length, 0);
    const broken = await call(base('vuln'), 'GET', `/api/products?search=${encodeURIComponent("'")}`);
    assert.equal(broken.status, 500);
    assert.match(broken.json.message, /syntax error|unrecognized token/);
    for (const search of ["x%' OR '1'='1' --", "'"]) {
      const fixed = await call(base('fixed'), 'GET', `/api/products?search=${encodeURIComponent(search)}`);
      assert.deepEqual([fixed.status, fixed.json.items.length], [200, 0]);
    }
  });
  test('resources.page-size: any limit is honoured on the public product listing', async () => {
    assert.equal((await call(base('vuln'), 'GET', '/api/products?limit=300')).json.items.length, 300);
    assert.equal((await call(base('fixed'), 'GET', '/api/products?limit=300')).status, 400);
    assert.equal((await call(base('fixed'), 'GET', '/api/products?limit=100')).json.items.length, 100);
  });
  test('authentication.no-login-limit and resources.rate-limit: failed sign-ins never limited on the vulnerable twin', async () => {
    for (const twin of twins) {
      const statuses: number[] = [];
      for (let i = 0; i < 11; i++) statuses.push((await call(base(twin), 'POST', '/api/session', { body: { login: 'carol', password: 'wrong' } })).status);
      assert.deepEqual(statuses, twin === 'vuln' ? Array(11).fill(401) : [...Array(10).fill(401), 429]);
    }
  });
  test('function-level.admin-route: a customer lists every order', async () => {
    const vuln = await call(base('vuln'), 'GET', '/api/admin/orders', { headers: as('vuln', 'alice') });
    assert.ok(vuln.json.some((o: { userId: number }) => o.userId === 2));
    assert.equal((await call(base('fixed'), 'GET', '/api/admin/orders', { headers: as('fixed', 'alice') })).status, 403);
    assert.equal((await call(base('fixed'), 'GET', '/api/admin/orders', { headers: as('fixed', 'admin') })).status, 200);
  });
  test('inventory.docs-exposed: partner docs public on the vulnerable twin, behind the key on the fixed one', async () => {
    for (const path of ['/partners/docs', '/partners/v1/openapi.json']) {
      assert.equal((await call(base('vuln'), 'GET', path)).status, 200);
      assert.equal((await call(base('fixed'), 'GET', path)).status, 401);
    }
  });
  test('api-key-query.accepted: the partner key is also taken from ?api_key=', async () => {
    for (const path of ['/partners/v1/catalog', '/partners/v1/stock/SKU-0001']) {
      assert.equal((await call(base('vuln'), 'GET', `${path}?api_key=${fx.partnerKey}`)).status, 200);
      assert.equal((await call(base('vuln'), 'GET', path, { headers: { 'x-partner-key': fx.partnerKey } })).status, 200);
      assert.equal((await call(base('fixed'), 'GET', `${path}?api_key=${fx.partnerKey}`)).status, 401);
    }
  });
  test('the planted list names only routes of routes.json', () => {
    const planted = (JSON.parse(readFileSync(NOSPEC_PLANTED_PATH, 'utf8')) as { flaws: { method: string; route: string }[] }).flaws;
    for (const flaw of planted) assert.ok(routes.some((r) => r.method === flaw.method && r.path === flaw.route), `${flaw.method} ${flaw.route}`);
  });
  test('sign-out ends the session on both twins; state() holds both twins’ orders', async () => {
    for (const twin of twins) {
      const answer = await call(base(twin), 'POST', '/api/session', { body: { login: 'bob', password: fx.users.bob.password } });
      const headers = { 'x-auth-token': answer.json.result.session_token as string };
      assert.equal((await call(base(twin), 'DELETE', '/api/session', { headers })).status, 204);
      assert.equal((await call(base(twin), 'GET', '/api/account', { headers })).status, 401);
    }
    const state = (await fx.state()) as Record<Twin, { orders: unknown[]; products: unknown[] }>;
    for (const twin of twins) assert.deepEqual([state[twin].orders.length >= 4, state[twin].products.length], [true, 300]);
  });
});
