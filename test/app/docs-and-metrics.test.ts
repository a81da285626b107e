// The reference service's GET /metrics (service Basic credential or `metrics:read`) and its
// OpenAPI 3.1 documentation (open in development, behind RAMPART_DOCS_SCOPE in production,
// absent when off).
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { buildApp, type ReferenceService } from '../../src/app/app.ts';
import { migrations } from '../../src/app/migrations/index.ts';
import { listen, loadConfig, openDatabase, runMigrations, type Listening } from '../../src/toolkit/index.ts';
import { bearer, login, passwordLogin, startReferenceService, STRONG_PASSWORD, type RunningService } from '../helpers/app.ts';
import { LogCapture, request } from '../helpers/http.ts';
import { samples, value } from '../helpers/prometheus.ts';
import { closeAll } from '../helpers/close-all.ts';

const SERVICE_PASSWORD = 'hZ3kQ9mV2xL7pR4tW8yB1nC6fG0jD5sAe2Ru7Ko1Ti4=';
const SERVICE = { authorization: `Basic ${Buffer.from(`metrics:${SERVICE_PASSWORD}`).toString('base64')}` };
const ID = '0b0e6c84-5a7d-4c1e-9f3a-2d8b7e6f1a90';
const COUNT = 'rampart_http_request_duration_seconds_count';
const SYSTEM = { id: null, clientIp: null };

async function addUser(service: ReferenceService, username: string, role: string): Promise<void> {
  await service.identity.createUser({ username, password: STRONG_PASSWORD, role }, SYSTEM);
}

interface OpenApiDocument {
  openapi: string;
  servers?: unknown;
  components: { securitySchemes: Record<string, Record<string, string>> };
  paths: Record<string, Record<string, { security?: Record<string, string[]>[]; requestBody?: { content: Record<string, unknown> }; responses: Record<string, unknown>; parameters?: { name: string; in: string }[] }>>;
}

describe('GET /metrics', () => {
  let service: RunningService;
  let userToken: string;
  let adminToken: string;
  before(async () => {
    service = await startReferenceService({ RAMPART_SERVICE_PASSWORD: SERVICE_PASSWORD, RAMPART_RATE_LIMIT_OVERRIDES: 'health=2/60' });
    await addUser(service, 'alice', 'user');
    await addUser(service, 'root', 'admin');
    userToken = (await login(service.url, 'alice')).access_token;
    adminToken = (await login(service.url, 'root')).access_token;
  });
  after(() => closeAll(service));

  const scrape = async (): Promise<string> => {
    const response = await request(service.url, '/metrics', { headers: SERVICE });
    assert.equal(response.status, 200);
    return response.body;
  };

  test('refused without the credential: 401 naming every scheme, Basic included', async () => {
    const response = await request(service.url, '/metrics');
    assert.equal(response.status, 401);
    assert.match(String(response.headers['www-authenticate']), /Basic realm="rampart-service"/);
    assert.match(String(response.headers['www-authenticate']), /Bearer/);
    assert.doesNotMatch(response.body, /rampart_/);
  });

  test('refused with a wrong service password, and with a user’s password over Basic', async () => {
    const wrong = { authorization: `Basic ${Buffer.from('metrics:not-it').toString('base64')}` };
    assert.equal((await request(service.url, '/metrics', { headers: wrong })).status, 401);
    const userOverBasic = { authorization: `Basic ${Buffer.from(`alice:${STRONG_PASSWORD}`).toString('base64')}` };
    assert.equal((await request(service.url, '/metrics', { headers: userOverBasic })).status, 401);
  });

  test('a user’s token lacks metrics:read → 403', async () => {
    const response = await request(service.url, '/metrics', { headers: bearer(userToken) });
    assert.equal(response.status, 403);
    assert.deepEqual((response.json() as { requiredScopes: string[] }).requiredScopes, ['metrics:read']);
  });

  test('the service credential and admins read it in the Prometheus text format', async () => {
    for (const headers of [SERVICE, bearer(adminToken)]) {
      const response = await request(service.url, '/metrics', { headers });
      assert.equal(response.status, 200);
      assert.equal(response.headers['content-type'], 'text/plain; version=0.0.4; charset=utf-8');
      assert.equal(response.headers['cache-control'], 'no-store');
      for (const family of ['rampart_http_request_duration_seconds histogram', 'rampart_security_events_total counter', 'rampart_rate_limit_refusals_total counter', 'process_cpu_user_seconds_total counter', 'nodejs_eventloop_lag_seconds gauge']) {
        assert.match(response.body, new RegExp(`^# TYPE ${family}$`, 'm'));
      }
    }
  });

  test('request counters move, labelled by route pattern — an id in the URL never becomes a label', async () => {
    const before = await scrape();
    assert.equal((await request(service.url, `/v1/orders/${ID}`, { headers: bearer(userToken) })).status, 404);
    assert.equal((await request(service.url, `/v1/orders/${ID}`)).status, 401);
    assert.equal((await request(service.url, `/v1/no-such-thing/${ID}`)).status, 404);
    const afterwards = await scrape();
    const delta = (labels: Record<string, string>): number => value(afterwards, COUNT, labels) - value(before, COUNT, labels);
    assert.equal(delta({ method: 'GET', route: '/v1/orders/:id', status: '404' }), 1);
    assert.equal(delta({ method: 'GET', route: '/v1/orders/:id', status: '401' }), 1);
    assert.equal(delta({ method: 'GET', route: 'unmatched', status: '404' }), 1);
    assert.ok(!afterwards.includes(ID), 'the id appears nowhere');
    const declared = new Set([...service.app.routeInventory().map((route) => route.path), 'unmatched']);
    const routes = new Set(samples(afterwards, COUNT).map(([labels]) => labels.route!));
    for (const route of routes) assert.ok(declared.has(route), `route label "${route}" is a declared pattern`);
  });

  test('security events are counted by type as the identity records them', async () => {
    const before = await scrape();
    assert.equal((await passwordLogin(service.url, 'alice', 'not-her-password-at-all')).status, 400);
    const afterwards = await scrape();
    assert.equal(value(afterwards, 'rampart_security_events_total', { type: 'login_failed' }) - value(before, 'rampart_security_events_total', { type: 'login_failed' }), 1);
  });

  test('rate-limit refusals are counted on every refusal; the toolkit’s event once per window', async () => {
    const statuses = [];
    for (let i = 0; i < 4; i++) statuses.push((await request(service.url, '/healthz')).status);
    assert.deepEqual(statuses, [200, 200, 429, 429]);
    const text = await scrape();
    assert.equal(value(text, 'rampart_rate_limit_refusals_total', { policy: 'health' }), 2);
    assert.equal(value(text, 'rampart_security_events_total', { type: 'rate_limited' }), 1);
  });
});

describe('API docs in development', () => {
  let service: RunningService;
  let document: OpenApiDocument;
  before(async () => {
    service = await startReferenceService({ RAMPART_SERVICE_PASSWORD: SERVICE_PASSWORD });
    const response = await request(service.url, '/docs/openapi.json');
    assert.equal(response.status, 200);
    assert.equal(response.headers['content-type'], 'application/json; charset=utf-8');
    document = response.json() as OpenApiDocument;
  });
  after(() => closeAll(service));

  test('are open, as OpenAPI 3.1, also at /openapi.json where tools look for it', async () => {
    assert.equal(document.openapi, '3.1.0');
    const alias = await request(service.url, '/openapi.json');
    assert.equal(alias.status, 200);
    assert.deepEqual(alias.json(), document);
  });

  test('declare the bearer, API key, cookie and service Basic schemes', () => {
    assert.deepEqual(
      Object.fromEntries(Object.entries(document.components.securitySchemes).map(([name, s]) => [name, [s.type, s.scheme ?? s.in, s.bearerFormat ?? s.name]])),
      {
        bearer: ['oauth2', undefined, undefined],
        apiKey: ['apiKey', 'header', 'X-API-Key'],
        cookie: ['apiKey', 'cookie', '__Host-session'],
        basic: ['http', 'basic', undefined],
      },
    );
  });

  test('describe bearer tokens as the OAuth2 password flow, with the token URL and every role scope', () => {
    const bearer = document.components.securitySchemes.bearer as unknown as { flows: { password: { tokenUrl: string; refreshUrl: string; scopes: Record<string, string> } } };
    assert.equal(bearer.flows.password.tokenUrl, '/v1/auth/token');
    assert.equal(bearer.flows.password.refreshUrl, '/v1/auth/token');
    const scopes = Object.keys(bearer.flows.password.scopes);
    for (const scope of ['orders:read', 'orders:write', 'files:write', 'admin:users']) assert.ok(scopes.includes(scope), scope);
    assert.match(bearer.flows.password.scopes['orders:read']!, /user/);
  });

  test('describe every declared route, with {param} paths', () => {
    const hidden = new Set(['/docs', '/docs/openapi.json', '/openapi.json']);
    const declared = service.app.routeInventory().filter((route) => !hidden.has(route.path));
    assert.ok(declared.length > 20);
    for (const route of declared) {
      const path = route.path.replace(/:([A-Za-z0-9_]+)/g, '{$1}');
      assert.ok(document.paths[path]?.[route.method.toLowerCase()], `${route.method} ${path} is described`);
    }
    const operations = Object.values(document.paths).reduce((n, item) => n + Object.keys(item).length, 0);
    assert.equal(operations, declared.length, 'and nothing else');
    assert.ok(Object.keys(document.paths).every((path) => !path.includes(':')));
    const order = document.paths['/v1/orders/{id}']!.get!;
    assert.deepEqual(order.parameters?.map((p) => [p.in, p.name]), [['path', 'id']]);
  });

  test('derive each operation’s security from its policy', () => {
    assert.deepEqual(document.paths['/healthz']!.get!.security, []);
    assert.deepEqual(document.paths['/v1/auth/token']!.post!.security, []);
    assert.deepEqual(document.paths['/v1/orders/{id}']!.get!.security, [{ bearer: ['orders:read'] }, { apiKey: ['orders:read'] }, { cookie: ['orders:read'] }]);
    assert.deepEqual(document.paths['/metrics']!.get!.security, [{ bearer: ['metrics:read'] }, { apiKey: ['metrics:read'] }, { cookie: ['metrics:read'] }, { basic: ['metrics:read'] }]);
    // Basic only on service endpoints, never on user routes.
    assert.deepEqual(document.paths['/v1/users/me']!.get!.security?.map((r) => Object.keys(r)[0]), ['bearer', 'apiKey', 'cookie']);
    const order = document.paths['/v1/orders/{id}']!.get!.responses;
    for (const status of ['200', '401', '403', '404', '429']) assert.ok(order[status], `documents ${status}`);
    assert.deepEqual(Object.keys(document.paths['/healthz']!.get!.responses), ['200', '429']);
  });

  test('document request bodies with the media types each route accepts', () => {
    assert.deepEqual(Object.keys(document.paths['/v1/auth/token']!.post!.requestBody!.content), ['application/x-www-form-urlencoded']);
    assert.deepEqual(Object.keys(document.paths['/v1/transfers']!.post!.requestBody!.content), ['application/json']);
  });

  test('document the upload as multipart/form-data with one binary `file` part', () => {
    const upload = document.paths['/v1/files']!.post!;
    assert.deepEqual(Object.keys(upload.requestBody!.content), ['multipart/form-data']);
    const schema = (upload.requestBody!.content['multipart/form-data'] as { schema: { type: string; required: string[]; properties: Record<string, { type: string; contentMediaType: string }> } }).schema;
    assert.equal(schema.type, 'object');
    assert.deepEqual(schema.required, ['file']);
    assert.deepEqual(Object.keys(schema.properties), ['file']);
    assert.equal(schema.properties.file!.type, 'string');
    assert.equal(schema.properties.file!.contentMediaType, 'application/octet-stream');
    assert.ok(upload.responses['400'], 'a malformed body is a documented refusal');
    // The documentation-only marker never reaches the document itself.
    assert.ok(!JSON.stringify(upload).includes('"upload"'));
  });

  test('leak no internals: no servers, file paths, docs routes or library markers', () => {
    const text = JSON.stringify(document);
    assert.equal(document.servers, undefined);
    for (const leak of [process.cwd(), tmpdir(), 'node_modules', '~kind', 'todo.com', 'def-0', '/docs']) assert.ok(!text.includes(leak), `no "${leak}"`);
  });

  test('/docs is a self-contained page under a strict CSP that links the document', async () => {
    const response = await request(service.url, '/docs');
    assert.equal(response.status, 200);
    assert.equal(response.headers['content-type'], 'text/html; charset=utf-8');
    const csp = String(response.headers['content-security-policy']);
    assert.match(csp, /^default-src 'none'; style-src 'sha256-[A-Za-z0-9+/]+=*'; frame-ancestors 'none'/);
    assert.doesNotMatch(csp, /unsafe-|https?:|\*/);
    assert.doesNotMatch(response.body, /<script|https?:\/\//i);
    assert.match(response.body, /href="docs\/openapi\.json"/);
    assert.match(response.body, /<code>\/v1\/orders\/\{id\}<\/code>/);
  });
});

describe('API docs in production', () => {
  let dir: string;
  let service: ReferenceService;
  let listening: Listening;
  let url: string;
  const proxied = (headers: Record<string, string> = {}) => ({ headers: { ...headers, 'x-forwarded-proto': 'https' } });
  before(async () => {
    dir = mkdtempSync(join(tmpdir(), 'rampart-docs-'));
    mkdirSync(join(dir, 'data'), { mode: 0o700 });
    const config = loadConfig({
      NODE_ENV: 'production', PORT: '0', RAMPART_SECRET_KEY: randomBytes(32).toString('base64'),
      RAMPART_ALLOWED_HOSTS: '127.0.0.1', RAMPART_TRUSTED_PROXIES: '127.0.0.1/32', RAMPART_DOCS: 'on', RAMPART_DOCS_SCOPE: 'docs',
    }, dir);
    const database = openDatabase<unknown>({ databaseUrl: undefined, dataDir: config.dataDir });
    await runMigrations(database, migrations);
    service = await buildApp(config, { database, server: { logDestination: new LogCapture() } });
    listening = await listen(service.app, { host: '127.0.0.1', port: 0, allowedHosts: ['127.0.0.1'], development: false });
    url = `http://127.0.0.1:${listening.port}`;
    await addUser(service, 'alice', 'user');
    await addUser(service, 'root', 'admin');
  });
  after(() => closeAll(listening, () => rmSync(dir, { recursive: true, force: true })));

  /** A login through the trusted proxy that says https (production refuses passwords over plain HTTP). */
  const secureLogin = async (name: string): Promise<string> => (passwordLogin(url, name, STRONG_PASSWORD, {}, { 'x-forwarded-proto': 'https' }).then((r) => (r.json() as { access_token: string }).access_token));

  test('401 without credentials, 403 without the docs scope, 200 with it', async () => {
    const user = await secureLogin('alice');
    const admin = await secureLogin('root');
    for (const path of ['/docs', '/docs/openapi.json', '/openapi.json']) {
      const anonymous = await request(url, path, proxied());
      assert.equal(anonymous.status, 401, path);
      assert.match(String(anonymous.headers['www-authenticate']), /Bearer/);
      const denied = await request(url, path, proxied(bearer(user)));
      assert.equal(denied.status, 403, path);
      assert.deepEqual((denied.json() as { requiredScopes: string[] }).requiredScopes, ['docs']);
      const allowed = await request(url, path, proxied(bearer(admin)));
      assert.equal(allowed.status, 200, path);
      assert.equal(allowed.headers['cache-control'], 'no-store');
    }
  });

  test('credentials over plain HTTP are refused: password grant, refresh grant, session login, password change', async () => {
    const https = { 'x-forwarded-proto': 'https' };
    const plain = await passwordLogin(url, 'alice', STRONG_PASSWORD);
    assert.equal(plain.status, 403);
    assert.equal((plain.json() as { type: string }).type, 'tag:rampart.dev,2026:problem:https-required');
    assert.ok(!plain.body.includes('access_token'));
    const secure = await passwordLogin(url, 'alice', STRONG_PASSWORD, {}, https);
    assert.equal(secure.status, 200, secure.body);
    const tokens = secure.json() as { access_token: string; refresh_token: string };
    const refreshBody = new URLSearchParams({ grant_type: 'refresh_token', refresh_token: tokens.refresh_token }).toString();
    const refreshPlain = await request(url, '/v1/auth/token', { method: 'POST', headers: { 'content-type': 'application/x-www-form-urlencoded' }, body: refreshBody });
    assert.equal(refreshPlain.status, 403);
    const refreshed = await request(url, '/v1/auth/token', { method: 'POST', headers: { 'content-type': 'application/x-www-form-urlencoded', ...https }, body: refreshBody });
    assert.equal(refreshed.status, 200, 'the refused plain request did not use the refresh token up');
    const session = (headers: Record<string, string>) =>
      request(url, '/v1/auth/session', { method: 'POST', headers: { 'content-type': 'application/json', ...headers }, body: JSON.stringify({ username: 'alice', password: STRONG_PASSWORD }) });
    assert.equal((await session({ origin: 'http://127.0.0.1' })).status, 403);
    assert.equal((await session({ ...https, origin: `https://127.0.0.1:${listening.port}` })).status, 200);
    const access = (refreshed.json() as { access_token: string }).access_token;
    const change = await request(url, '/v1/users/me/password', { method: 'PUT', headers: { ...bearer(access), 'content-type': 'application/json' }, body: JSON.stringify({ currentPassword: STRONG_PASSWORD, newPassword: 'never-sent-in-clear-9876' }) });
    assert.equal(change.status, 403);
    assert.equal((await passwordLogin(url, 'alice', STRONG_PASSWORD, {}, https)).status, 200, 'the password was not changed');
  });

  test('no Basic scheme when no service credential is configured', async () => {
    const admin = await secureLogin('root');
    const document = (await request(url, '/docs/openapi.json', proxied(bearer(admin)))).json() as OpenApiDocument;
    assert.deepEqual(Object.keys(document.components.securitySchemes), ['bearer', 'apiKey', 'cookie']);
    assert.deepEqual(document.paths['/metrics']!.get!.security?.map((r) => Object.keys(r)[0]), ['bearer', 'apiKey', 'cookie']);
  });
});

describe('API docs turned off', () => {
  test('the docs routes do not exist: 404 like any unknown URL', async () => {
    const service = await startReferenceService({ RAMPART_DOCS: 'off' });
    try {
      const unknown = await request(service.url, '/no-such-page');
      for (const path of ['/docs', '/docs/openapi.json', '/openapi.json']) {
        const response = await request(service.url, path);
        assert.equal(response.status, 404, path);
        assert.equal(response.body, unknown.body);
      }
      assert.ok(!service.app.routeInventory().some((route) => route.path.includes('docs') || route.path.includes('openapi')));
    } finally {
      await service.close();
    }
  });
});
