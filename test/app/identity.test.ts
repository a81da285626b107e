// Identity through real HTTP: revocation that a verification cache cannot hide, refresh
// rotation and reuse, account enumeration, brute force, and password handling.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { sql } from 'kysely';
import { pino } from 'pino';
import { createMemoryStore, openIdentity } from '../../src/toolkit/index.ts';
import { request } from '../helpers/http.ts';
import { bearer, form, login, passwordLogin, startReferenceService, STRONG_PASSWORD, type RunningService } from '../helpers/app.ts';
import { closeAll } from '../helpers/close-all.ts';

const OPERATOR = { id: null, clientIp: null };
const me = (service: RunningService, token: string) => request(service.url, '/v1/users/me', { headers: bearer(token) });
const refresh = (service: RunningService, token: string) => request(service.url, '/v1/auth/token', form({ grant_type: 'refresh_token', refresh_token: token }));

describe('Security: revocation after the token was used once', () => {
  let service: RunningService;
  before(async () => {
    service = await startReferenceService();
    for (const name of ['revoked', 'disabled', 'changer']) await service.identity.createUser({ username: name, password: STRONG_PASSWORD, role: 'user' }, OPERATOR);
  });
  after(() => closeAll(service));

  test('a revoked jti is refused at once (logout)', async () => {
    const tokens = await login(service.url, 'revoked');
    assert.equal((await me(service, tokens.access_token)).status, 200);
    const logout = await request(service.url, '/v1/auth/logout', { method: 'POST', headers: { ...bearer(tokens.access_token), 'content-type': 'application/json' }, body: JSON.stringify({ refresh_token: tokens.refresh_token }) });
    assert.equal(logout.status, 204);
    assert.equal((await me(service, tokens.access_token)).status, 401);
    assert.equal((await refresh(service, tokens.refresh_token)).status, 400, 'logout also killed the refresh family');
  });

  test('a disabled user’s access token stops working at once', async () => {
    const tokens = await login(service.url, 'disabled');
    assert.equal((await me(service, tokens.access_token)).status, 200);
    const user = await service.identity.users.findByUsername('disabled');
    await service.identity.setDisabled(user!.id, true, OPERATOR);
    const response = await me(service, tokens.access_token);
    assert.equal(response.status, 401);
    assert.equal(response.headers['www-authenticate'], 'Bearer error="invalid_token"');
    assert.equal((await passwordLogin(service.url, 'disabled', STRONG_PASSWORD)).status, 400, 'and cannot log in');
  });

  test('RFC 7009 revocation of an access token; unknown tokens still answer 200', async () => {
    const tokens = await login(service.url, 'changer');
    assert.equal((await me(service, tokens.access_token)).status, 200);
    assert.equal((await request(service.url, '/v1/auth/revoke', form({ token: tokens.access_token }))).status, 200);
    assert.equal((await me(service, tokens.access_token)).status, 401);
    assert.equal((await request(service.url, '/v1/auth/revoke', form({ token: 'never-issued' }))).status, 200);
  });

  test('a token signed by a retired key verifies during its grace, not after', async () => {
    const tokens = await login(service.url, 'changer');
    await service.identity.keyring.rotate();
    assert.equal((await me(service, tokens.access_token)).status, 200, 'still within its lifetime');
    const fresh = await login(service.url, 'changer');
    assert.notEqual(fresh.access_token.split('.')[0], tokens.access_token.split('.')[0], 'new tokens use the new kid');
    // Move the retirement back past the grace period (token lifetime + margin), then open the
    // keyring afresh on the same database, as an instance that restarts would.
    await sql`update signing_keys set retired_at = retired_at - 3600000 where retired_at is not null`.execute(service.database.db);
    const restarted = await openIdentity(service.config, service.database, createMemoryStore({ maxKeys: 100 }), pino({ level: 'silent' }));
    await assert.rejects(restarted.tokens.verify(tokens.access_token), (error: unknown) => (error as { status?: number }).status === 401);
    await restarted.tokens.verify(fresh.access_token);
  });
});

describe('Security: refresh tokens', () => {
  let service: RunningService;
  before(async () => {
    service = await startReferenceService();
    await service.identity.createUser({ username: 'bob', password: STRONG_PASSWORD, role: 'user' }, OPERATOR);
  });
  after(() => closeAll(service));

  test('the token response follows RFC 6749 and is not cacheable', async () => {
    const response = await passwordLogin(service.url, 'bob', STRONG_PASSWORD, { scope: 'profile orders:read' });
    assert.equal(response.status, 200);
    assert.equal(response.headers['cache-control'], 'no-store');
    const body = response.json() as Record<string, unknown>;
    assert.deepEqual(Object.keys(body).sort(), ['access_token', 'expires_in', 'refresh_token', 'scope', 'token_type']);
    assert.equal(body.token_type, 'Bearer');
    assert.equal(body.expires_in, 900);
    assert.equal(body.scope, 'profile orders:read');
    const [header] = (body.access_token as string).split('.');
    assert.equal((JSON.parse(Buffer.from(header!, 'base64url').toString()) as { typ: string }).typ, 'at+jwt');
  });

  test('rotation: each use gives a new token; reuse of the old one kills the family', async () => {
    const first = await login(service.url, 'bob');
    const rotated = await refresh(service, first.refresh_token);
    assert.equal(rotated.status, 200);
    const second = rotated.json() as { refresh_token: string; access_token: string };
    assert.notEqual(second.refresh_token, first.refresh_token);
    const reuse = await refresh(service, first.refresh_token);
    assert.equal(reuse.status, 400);
    assert.deepEqual(reuse.json(), { error: 'invalid_grant', error_description: 'The refresh token is invalid, expired or revoked.' });
    assert.equal((await refresh(service, second.refresh_token)).status, 400, 'the newer token died with its family');
    const events = await service.identity.events.list({ type: 'refresh_token_reuse' });
    assert.ok(events.length >= 1);
  });

  test('a refused refresh (invalid_scope) leaves the token unused: the retry works, nothing is revoked, no reuse is recorded', async () => {
    const tokens = await login(service.url, 'bob');
    const reuses = async () => (await service.identity.events.list({ type: 'refresh_token_reuse' })).length;
    const before = await reuses();
    const refused = await request(service.url, '/v1/auth/token', form({ grant_type: 'refresh_token', refresh_token: tokens.refresh_token, scope: 'admin:users' }));
    assert.equal(refused.status, 400);
    assert.equal((refused.json() as { error: string }).error, 'invalid_scope');
    const retry = await refresh(service, tokens.refresh_token);
    assert.equal(retry.status, 200, retry.body);
    assert.equal((await me(service, tokens.access_token)).status, 200, 'the login is still alive');
    assert.equal((await me(service, (retry.json() as { access_token: string }).access_token)).status, 200);
    assert.equal(await reuses(), before, 'no false refresh_token_reuse event');
  });

  test('20 parallel uses of one refresh token give exactly one success', async () => {
    const tokens = await login(service.url, 'bob');
    const results = await Promise.all(Array.from({ length: 20 }, () => refresh(service, tokens.refresh_token)));
    assert.equal(results.filter((r) => r.status === 200).length, 1, results.map((r) => r.status).join(','));
  });

  test('idle expiry and absolute expiry', async () => {
    const idle = await login(service.url, 'bob');
    await sql`update refresh_tokens set created_at = created_at - ${8 * 86_400_000} where revoked_at is null and used_at is null`.execute(service.database.db);
    assert.equal((await refresh(service, idle.refresh_token)).status, 400, 'unused for 8 days');
    const absolute = await login(service.url, 'bob');
    await sql`update refresh_tokens set family_created_at = family_created_at - ${31 * 86_400_000} where revoked_at is null and used_at is null`.execute(service.database.db);
    assert.equal((await refresh(service, absolute.refresh_token)).status, 400, 'login 31 days ago');
  });

  test('RFC 7009 revocation of a refresh token', async () => {
    const tokens = await login(service.url, 'bob');
    assert.equal((await request(service.url, '/v1/auth/revoke', form({ token: tokens.refresh_token, token_type_hint: 'refresh_token' }))).status, 200);
    assert.equal((await refresh(service, tokens.refresh_token)).status, 400);
  });

  test('refresh tokens are stored only as hashes', async () => {
    const tokens = await login(service.url, 'bob');
    const rows = await sql<{ token_hash: string }>`select token_hash from refresh_tokens`.execute(service.database.db);
    assert.ok(rows.rows.every((row) => row.token_hash !== tokens.refresh_token));
  });
});

describe('Security: account enumeration and brute force', () => {
  let service: RunningService;
  before(async () => {
    service = await startReferenceService({ RAMPART_LOGIN_ACCOUNT_LIMIT: '3', RAMPART_LOGIN_ADDRESS_LIMIT: '6', RAMPART_LOGIN_WINDOW_S: '2', RAMPART_TRUSTED_PROXIES: '127.0.0.1/32' });
    for (const name of ['carol', 'dave', 'erin']) await service.identity.createUser({ username: name, password: STRONG_PASSWORD, role: 'user' }, OPERATOR);
  });
  after(() => closeAll(service));

  test('unknown user and wrong password get byte-identical answers', async () => {
    const unknown = await passwordLogin(service.url, 'nobody-here', 'wrong-password-123456', {}, { 'x-forwarded-for': '198.51.100.1' });
    const wrong = await passwordLogin(service.url, 'carol', 'wrong-password-123456', {}, { 'x-forwarded-for': '198.51.100.2' });
    assert.equal(unknown.status, 400);
    assert.equal(unknown.status, wrong.status);
    assert.equal(unknown.body, wrong.body);
    assert.equal(unknown.headers['content-type'], wrong.headers['content-type']);
  });

  test('the N+1th failure is 429, and rotating X-Forwarded-For from an untrusted peer does not reset it', async () => {
    const untrusted = await startReferenceService({ RAMPART_LOGIN_ACCOUNT_LIMIT: '3', RAMPART_LOGIN_WINDOW_S: '60' });
    try {
      await untrusted.identity.createUser({ username: 'frank', password: STRONG_PASSWORD, role: 'user' }, OPERATOR);
      for (let i = 0; i < 3; i++) assert.equal((await passwordLogin(untrusted.url, 'frank', 'bad-guess-1234567', {}, { 'x-forwarded-for': `203.0.113.${i}` })).status, 400);
      const limited = await passwordLogin(untrusted.url, 'frank', 'bad-guess-1234567', {}, { 'x-forwarded-for': '203.0.113.99' });
      assert.equal(limited.status, 429);
      assert.match(String(limited.headers['retry-after']), /^\d+$/);
    } finally {
      await untrusted.close();
    }
  });

  test('user-name variants neither get fresh tries nor walk around a lock (token endpoint and session login)', async () => {
    const locked = await startReferenceService({ RAMPART_LOGIN_ACCOUNT_LIMIT: '3', RAMPART_LOGIN_WINDOW_S: '600' });
    try {
      await locked.identity.createUser({ username: 'gwen', password: STRONG_PASSWORD, role: 'user' }, OPERATOR);
      // Failures under three spellings of one account count together: the third locks it.
      const statuses = [];
      for (const spelling of ['gwen', 'GWEN', 'ｇｗｅｎ']) statuses.push((await passwordLogin(locked.url, spelling, 'bad-guess-1234567')).status);
      assert.deepEqual(statuses, [400, 400, 400]);
      for (const spelling of ['gwen', 'Gwen', 'ＧＷＥＮ']) assert.equal((await passwordLogin(locked.url, spelling, STRONG_PASSWORD)).status, 429, spelling);
      // Spellings with spaces or invisible characters are no user name at all: they reach no account.
      for (const spelling of ['gwen ', ' gwen', '\tgwen', 'gw\u200Ben']) {
        assert.equal((await passwordLogin(locked.url, spelling, STRONG_PASSWORD)).status, 400, JSON.stringify(spelling));
        const session = await request(locked.url, '/v1/auth/session', { method: 'POST', headers: { 'content-type': 'application/json', origin: locked.url }, body: JSON.stringify({ username: spelling, password: STRONG_PASSWORD }) });
        assert.equal(session.status, 401, JSON.stringify(spelling));
      }
      const events = await locked.identity.events.list({ type: 'login_throttled' });
      assert.ok(events.length >= 3 && events.every((e) => e.detail.username === 'gwen'), 'events name the account in its canonical form');
    } finally {
      await locked.close();
    }
  });

  test('100 addresses through a trusted proxy against one account are stopped; while limited every answer is the same', async () => {
    const statuses: number[] = [];
    for (let i = 0; i < 100; i++) statuses.push((await passwordLogin(service.url, 'dave', `guess-number-${i}-xyz`, {}, { 'x-forwarded-for': `198.18.${i}.1` })).status);
    assert.deepEqual(statuses.slice(0, 3), [400, 400, 400]);
    assert.ok(statuses.slice(3).every((s) => s === 429), 'the account limit stops the rest');
    const right = await passwordLogin(service.url, 'dave', STRONG_PASSWORD, {}, { 'x-forwarded-for': '198.18.200.1' });
    const wrong = await passwordLogin(service.url, 'dave', 'still-wrong-123456', {}, { 'x-forwarded-for': '198.18.201.1' });
    assert.equal(right.status, 429);
    assert.equal(right.body, wrong.body);
  });

  test('while an address is limited, right password, wrong password and unknown user are indistinguishable', async () => {
    const ip = { 'x-forwarded-for': '198.51.100.77' };
    for (let i = 0; i < 6; i++) await passwordLogin(service.url, `stuffed-${i}`, 'leaked-password-123', {}, ip);
    const answers = await Promise.all([
      passwordLogin(service.url, 'erin', STRONG_PASSWORD, {}, ip),
      passwordLogin(service.url, 'erin', 'wrong-password-999', {}, ip),
      passwordLogin(service.url, 'nobody-at-all', 'whatever-password-1', {}, ip),
    ]);
    assert.deepEqual(answers.map((a) => a.status), [429, 429, 429]);
    assert.equal(new Set(answers.map((a) => a.body)).size, 1);
  });

  test('the owner logs in after the window', async () => {
    await new Promise((resolve) => setTimeout(resolve, 2200));
    const response = await passwordLogin(service.url, 'dave', STRONG_PASSWORD, {}, { 'x-forwarded-for': '198.18.250.1' });
    assert.equal(response.status, 200);
  });
});

describe('passwords', () => {
  let service: RunningService;
  before(async () => {
    service = await startReferenceService();
  });
  after(() => closeAll(service));

  const register = (username: string, password: string) =>
    request(service.url, '/v1/users', { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ username, password }) });

  test('registration applies the policy: 14 vs 15 characters, username inside, common passwords', async () => {
    assert.equal((await register('gina', 'Tq8#vZ2!mK9@pL')).status, 400, '14 characters');
    assert.equal((await register('gina', 'Tq8#vZ2!mK9@pLx')).status, 201, '15 characters');
    const containing = await register('henry', 'my name is henry and i like tea');
    assert.equal(containing.status, 400);
    const problem = containing.json() as { type: string; reasons: string[] };
    assert.equal(problem.type, 'tag:rampart.dev,2026:problem:weak-password');
    assert.ok(problem.reasons.includes('must not contain your username'), problem.reasons.join('; '));
    assert.ok(!containing.body.includes('i like tea'), 'the password is never echoed');
    assert.equal((await register('ivan', 'passwordpassword')).status, 400);
  });

  test('a role in the registration body is refused, never applied', async () => {
    const response = await request(service.url, '/v1/users', { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ username: 'mallory', password: STRONG_PASSWORD, role: 'admin' }) });
    assert.equal(response.status, 400);
    assert.equal(await service.identity.users.findByUsername('mallory'), undefined);
  });

  test('GET /v1/users/me returns the public profile only', async () => {
    await register('judy', STRONG_PASSWORD);
    const tokens = await login(service.url, 'judy');
    const response = await me(service, tokens.access_token);
    assert.deepEqual(Object.keys(response.json() as object).sort(), ['createdAt', 'email', 'id', 'role', 'username']);
    assert.ok(!response.body.includes('argon2'));
  });

  test('a hash with weaker parameters is re-hashed on the next successful login', async () => {
    const user = await service.identity.createUser({ username: 'kate', password: STRONG_PASSWORD, role: 'user' }, OPERATOR);
    const { createPasswordHasher } = await import('../../src/toolkit/auth/passwords/index.ts');
    const weak = await createPasswordHasher({ params: { memoryCost: 4096, timeCost: 1 } }).hash(STRONG_PASSWORD);
    await service.identity.users.setPasswordHash(user.id, weak);
    await login(service.url, 'kate');
    const stored = await service.identity.users.findById(user.id);
    assert.match(stored!.password_hash, /\$argon2id\$v=19\$m=19456,t=2,p=1\$/);
  });

  test('changing the password needs the current one and revokes refresh tokens and access tokens', async () => {
    await register('leo', STRONG_PASSWORD);
    const tokens = await login(service.url, 'leo');
    const change = (current: string, next: string) =>
      request(service.url, '/v1/users/me/password', { method: 'PUT', headers: { ...bearer(tokens.access_token), 'content-type': 'application/json' }, body: JSON.stringify({ currentPassword: current, newPassword: next }) });
    assert.equal((await change('not-the-password-123', 'a-brand-new-passphrase-77')).status, 403);
    assert.equal((await change(STRONG_PASSWORD, 'a-brand-new-passphrase-77')).status, 204);
    assert.equal((await refresh(service, tokens.refresh_token)).status, 400);
    assert.equal((await me(service, tokens.access_token)).status, 401);
    assert.equal((await passwordLogin(service.url, 'leo', 'a-brand-new-passphrase-77')).status, 200);
  });
});
