// Prometheus metrics: requests by route pattern (never the raw URL), method and status; every
// rate-limit refusal; security events by type; GET /metrics closed by default.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { countSecurityEvents, createBasicAuthenticator, createMetrics, metricsRoute, SECURITY_EVENT_TYPES, Type, type Metrics, type SecurityEvents } from '../../src/toolkit/index.ts';
import { request } from '../helpers/http.ts';
import { samples, value } from '../helpers/prometheus.ts';
import { Ok, startServer, type TestServer } from '../helpers/server.ts';
import { closeAll } from '../helpers/close-all.ts';

const ID = '0b0e6c84-5a7d-4c1e-9f3a-2d8b7e6f1a90';
const SERVICE_PASSWORD = 'hZ3kQ9mV2xL7pR4tW8yB1nC6fG0jD5sAe2Ru7Ko1Ti4=';
const basic = (user: string, password: string) => ({ authorization: `Basic ${Buffer.from(`${user}:${password}`).toString('base64')}` });

const COUNT = 'rampart_http_request_duration_seconds_count';

describe('request metrics', () => {
  let server: TestServer;
  let metrics: Metrics;
  before(async () => {
    metrics = createMetrics({ processMetrics: false });
    server = await startServer({ metrics }, (app) => {
      app.get('/items/:id', {
        policy: { public: true },
        schema: { params: Type.Object({ id: Type.String({ maxLength: 64 }) }, { additionalProperties: false }), response: { 200: Ok } },
      }, () => ({ ok: true }));
      app.post('/items', { policy: { scopes: ['items:write'] }, schema: { response: { 201: Ok } } }, (_request, reply) => {
        void reply.code(201).send({ ok: true });
      });
    });
  });
  after(() => closeAll(server));

  test('requests are counted by route pattern, method and status — never by raw URL', async () => {
    for (const path of [`/items/${ID}`, '/items/second', `/items/${ID}`]) assert.equal((await request(server.url, path)).status, 200);
    assert.equal((await request(server.url, '/items', { method: 'POST' })).status, 401);
    const text = await metrics.render();
    assert.equal(value(text, COUNT, { method: 'GET', route: '/items/:id', status: '200' }), 3);
    assert.equal(value(text, COUNT, { method: 'POST', route: '/items', status: '401' }), 1);
    assert.ok(!text.includes(ID) && !text.includes('/items/second'), 'no raw path or id in any label');
  });

  test('URLs that match no route share one `unmatched` series, whatever their path', async () => {
    for (const path of [`/v1/orders/${ID}`, `/admin/${ID}/x`]) assert.equal((await request(server.url, path)).status, 404);
    const text = await metrics.render();
    assert.equal(value(text, COUNT, { method: 'GET', route: 'unmatched', status: '404' }), 2);
    assert.ok(!text.includes(ID) && !text.includes('/admin'));
  });

  test('latency is a histogram in seconds with cumulative buckets', async () => {
    const text = await metrics.render();
    assert.match(text, /# TYPE rampart_http_request_duration_seconds histogram/);
    const buckets = samples(text, 'rampart_http_request_duration_seconds_bucket', { route: '/items/:id', status: '200' });
    assert.deepEqual(buckets.map(([labels]) => labels.le), ['0.001', '0.0025', '0.005', '0.01', '0.025', '0.05', '0.1', '0.25', '0.5', '1', '2.5', '5', '10', '+Inf']);
    assert.equal(buckets.at(-1)![1], 3);
    assert.ok(buckets.every(([, count], i) => i === 0 || count >= buckets[i - 1]![1]));
    assert.ok(value(text, 'rampart_http_request_duration_seconds_sum', { method: 'GET', route: '/items/:id', status: '200' }) > 0);
  });
});

describe('rate-limit refusal metrics', () => {
  let server: TestServer;
  let metrics: Metrics;
  before(async () => {
    metrics = createMetrics({ processMetrics: false });
    server = await startServer({ metrics, rateLimit: { limit: 2 } }, (app) => {
      app.get('/tight', { policy: { public: true, rateLimit: { name: 'tight', limit: 1, windowSeconds: 60 } }, schema: { response: { 200: Ok } } }, () => ({ ok: true }));
    });
  });
  after(() => closeAll(server));

  test('every refusal is counted by policy — not only the first, which is the security event', async () => {
    const statuses = [];
    for (let i = 0; i < 3; i++) statuses.push((await request(server.url, '/tight')).status);
    assert.deepEqual(statuses, [200, 429, 429]);
    // Unknown URLs count against the default limit (2 here): the 3rd and 4th are refused.
    for (let i = 0; i < 4; i++) await request(server.url, `/missing/${i}`);
    const text = await metrics.render();
    assert.equal(value(text, 'rampart_rate_limit_refusals_total', { policy: 'tight' }), 2);
    assert.equal(value(text, 'rampart_rate_limit_refusals_total', { policy: 'default' }), 2);
    assert.equal(value(text, COUNT, { method: 'GET', route: '/tight', status: '429' }), 2);
    assert.equal(value(text, COUNT, { method: 'GET', route: 'unmatched', status: '429' }), 2);
  });
});

describe('security event metrics', () => {
  function fakeEvents(): SecurityEvents & { recorded: string[] } {
    const recorded: string[] = [];
    return {
      recorded,
      record: (event) => {
        recorded.push(event.type);
        return Promise.resolve();
      },
      list: () => Promise.resolve([]),
      prune: () => Promise.resolve(0),
    };
  }

  test('every known type starts at zero; recorded events are counted and still recorded', async () => {
    const metrics = createMetrics({ processMetrics: false });
    const events = fakeEvents();
    assert.equal(samples(await metrics.render(), 'rampart_security_events_total').length, SECURITY_EVENT_TYPES.length);
    countSecurityEvents(events, metrics);
    await events.record({ type: 'login_failed', clientIp: '192.0.2.1' });
    await events.record({ type: 'login_failed', clientIp: '192.0.2.1' });
    await events.record({ type: 'csrf_rejected' });
    const text = await metrics.render();
    assert.equal(value(text, 'rampart_security_events_total', { type: 'login_failed' }), 2);
    assert.equal(value(text, 'rampart_security_events_total', { type: 'csrf_rejected' }), 1);
    assert.equal(value(text, 'rampart_security_events_total', { type: 'account_locked' }), 0);
    assert.deepEqual(events.recorded, ['login_failed', 'login_failed', 'csrf_rejected']);
  });

  test('an unknown type is not a new series (labels stay bounded)', async () => {
    const metrics = createMetrics({ processMetrics: false });
    const events = fakeEvents();
    countSecurityEvents(events, metrics);
    await events.record({ type: 'made_up_by_a_caller' as 'login_failed' });
    assert.ok(!(await metrics.render()).includes('made_up_by_a_caller'));
  });

  test('counting the same events twice is refused', () => {
    const metrics = createMetrics({ processMetrics: false });
    const events = fakeEvents();
    countSecurityEvents(events, metrics);
    assert.throws(() => countSecurityEvents(events, metrics), TypeError);
  });
});

describe('createMetrics options', () => {
  test('misspelled options and unusable buckets are refused', () => {
    assert.throws(() => createMetrics({ bucket: [1] } as never), /unsupported option `bucket`/);
    for (const latencyBuckets of [[], [0.1, 0.1], [0.5, 0.1], [0, 1], [1, Infinity]]) {
      assert.throws(() => createMetrics({ latencyBuckets }), /strictly ascending/, JSON.stringify(latencyBuckets));
    }
  });

  test('process metrics are on unless turned off', async () => {
    assert.match(await createMetrics().render(), /^process_cpu_user_seconds_total /m);
    assert.doesNotMatch(await createMetrics({ processMetrics: false }).render(), /process_cpu/);
  });
});

describe('GET /metrics', () => {
  let server: TestServer;
  before(async () => {
    const metrics = createMetrics({ processMetrics: false });
    const authenticator = createBasicAuthenticator({ username: 'metrics', password: SERVICE_PASSWORD, scopes: ['metrics:read'], realm: 'rampart-service', requireHttps: false });
    server = await startServer({ metrics, authenticators: [authenticator] }, (app) => metricsRoute(app, metrics));
  });
  after(() => closeAll(server));

  test('refused without the credential, with the Basic challenge', async () => {
    const response = await request(server.url, '/metrics');
    assert.equal(response.status, 401);
    assert.equal(response.headers['www-authenticate'], 'Basic realm="rampart-service", charset="UTF-8"');
    assert.equal(response.headers['content-type'], 'application/problem+json');
    assert.doesNotMatch(response.body, /rampart_/);
  });

  test('refused with a wrong password', async () => {
    assert.equal((await request(server.url, '/metrics', { headers: basic('metrics', 'wrong') })).status, 401);
  });

  test('the service credential reads the Prometheus text format, not cached', async () => {
    const response = await request(server.url, '/metrics', { headers: basic('metrics', SERVICE_PASSWORD) });
    assert.equal(response.status, 200);
    assert.equal(response.headers['content-type'], 'text/plain; version=0.0.4; charset=utf-8');
    assert.equal(response.headers['cache-control'], 'no-store');
    assert.equal(response.headers['content-security-policy'], "default-src 'none'; frame-ancestors 'none'");
    for (const family of ['rampart_http_request_duration_seconds', 'rampart_rate_limit_refusals_total', 'rampart_security_events_total']) {
      assert.match(response.body, new RegExp(`^# TYPE ${family} `, 'm'));
    }
    // The refused scrapes above are themselves counted.
    assert.equal(value(response.body, COUNT, { method: 'GET', route: '/metrics', status: '401' }), 2);
  });
});
