// The reference service while its Redis is down (a private Redis, killed and started again):
// what fails closed and what degrades, as the README's "When a dependency fails" says.
// Liveness stays 200; readiness is 503 naming redis; token revocation checks and login
// lockouts answer 503 (never 500, never skipped); rate limits are counted per process with
// one `rate_limit_degraded` event per outage — or answer 503 with RAMPART_RATE_LIMIT_FALLBACK=refuse.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { DEPENDENCY_UNAVAILABLE } from '../../src/toolkit/index.ts';
import { bearer, login, passwordLogin, startReferenceService, STRONG_PASSWORD, type RunningService } from '../helpers/app.ts';
import { request } from '../helpers/http.ts';
import { eventually, startPrivateRedis, type PrivateRedis } from '../helpers/private-services.ts';

const OPERATOR = { id: null, clientIp: null };

describe('the reference service while Redis is down', () => {
  let redis: PrivateRedis | undefined;
  let service: RunningService | undefined;
  let refusing: RunningService | undefined;
  before(async () => {
    redis = await startPrivateRedis();
    service = await startReferenceService({ REDIS_URL: redis.url });
    refusing = await startReferenceService({ REDIS_URL: redis.url, RAMPART_RATE_LIMIT_FALLBACK: 'refuse' });
    await service.identity.createUser({ username: 'alice', password: STRONG_PASSWORD, role: 'user' }, OPERATOR);
  });
  after(async () => {
    await service?.close();
    await refusing?.close();
    await redis?.remove();
  });

  test('liveness stays up, readiness names redis, security checks fail closed, rate limits degrade loudly, and all recovers', async () => {
    const { url, identity, logs } = service!;
    const { access_token: token } = await login(url, 'alice');
    assert.equal((await request(url, '/v1/accounts/me', { headers: bearer(token) })).status, 200);
    const session = await request(url, '/v1/auth/session', { method: 'POST', headers: { 'content-type': 'application/json', origin: url }, body: JSON.stringify({ username: 'alice', password: STRONG_PASSWORD }) });
    assert.equal(session.status, 200, session.body);
    const cookie = String(session.headers['set-cookie']).split(';')[0]!;
    assert.equal((await request(url, '/v1/users/me', { headers: { cookie } })).status, 200);

    await redis!.stop();

    assert.equal((await request(url, '/healthz')).status, 200, 'liveness touches no dependency');
    const ready = await request(url, '/readyz');
    assert.equal(ready.status, 503);
    assert.equal(ready.headers['retry-after'], '5');
    assert.deepEqual(ready.json(), { type: 'tag:rampart.dev,2026:problem:not-ready', title: 'Service Unavailable', status: 503, detail: 'Not ready: redis is unavailable.', unavailable: ['redis'], draining: false });

    // Fail closed: the revocation denylist cannot be read, so no token is honoured.
    for (let i = 0; i < 3; i++) {
      const me = await request(url, '/v1/accounts/me', { headers: bearer(token) });
      assert.equal(me.status, 503, me.body);
      assert.equal(me.headers['retry-after'], '5');
      assert.deepEqual(me.json(), DEPENDENCY_UNAVAILABLE.toJSON());
    }
    // Fail closed: the login lockout cannot be checked, so no password is tried.
    const refused = await passwordLogin(url, 'alice', STRONG_PASSWORD);
    assert.equal(refused.status, 503, refused.body);
    assert.deepEqual(JSON.parse(refused.body), DEPENDENCY_UNAVAILABLE.toJSON());

    // Fail closed: a cookie session cannot be looked up, so it is not honoured.
    const sessionRequest = await request(url, '/v1/users/me', { headers: { cookie } });
    assert.equal(sessionRequest.status, 503, sessionRequest.body);

    // Degrade: public routes still answer, their rate limit counted in this process.
    for (let i = 0; i < 3; i++) assert.equal((await request(url, '/v1/products')).status, 200);
    const degraded = await identity.events.list({ type: 'rate_limit_degraded' });
    assert.equal(degraded.length, 1, 'one event per outage, not per request');
    assert.deepEqual(degraded[0]!.detail, { dependency: 'redis' });
    const outageLines = logs.entries().filter((e) => e.msg === 'redis is unavailable: requests that need it are answered 503 until it recovers');
    assert.equal(outageLines.length, 1, 'one outage line, not one per request');

    // With RAMPART_RATE_LIMIT_FALLBACK=refuse nothing degrades: 503, but liveness still 200.
    assert.equal((await request(refusing!.url, '/v1/products')).status, 503);
    assert.equal((await request(refusing!.url, '/healthz')).status, 200);

    await redis!.start();
    await eventually(async () => (await request(url, '/v1/accounts/me', { headers: bearer(token) })).status === 200, 'the token works again');
    assert.equal((await request(url, '/readyz')).status, 200);
    assert.equal((await passwordLogin(url, 'alice', STRONG_PASSWORD)).status, 200);
    assert.equal((await request(refusing!.url, '/v1/products')).status, 200);
    assert.equal(logs.entries().filter((e) => typeof e.msg === 'string' && e.msg.startsWith('redis is available again')).length, 1);
  });
});
