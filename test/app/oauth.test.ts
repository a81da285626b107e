// The token endpoint speaks RFC 6749 (§5.2 errors, form encoding), the JWKS publishes only
// public keys, HS256 works by configuration, and every identity action leaves its event.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { request } from '../helpers/http.ts';
import { bearer, form, login, passwordLogin, startReferenceService, STRONG_PASSWORD, type RunningService } from '../helpers/app.ts';
import { closeAll } from '../helpers/close-all.ts';

const OPERATOR = { id: null, clientIp: null };
const token = (service: RunningService, fields: Record<string, string>) => request(service.url, '/v1/auth/token', form(fields));

describe('token endpoint protocol', () => {
  let service: RunningService;
  before(async () => {
    service = await startReferenceService();
    await service.identity.createUser({ username: 'olga', password: STRONG_PASSWORD, role: 'readonly' }, OPERATOR);
  });
  after(() => closeAll(service));

  const cases: [string, Record<string, string>, number, string][] = [
    ['an unknown grant type', { grant_type: 'client_credentials' }, 400, 'unsupported_grant_type'],
    ['a password grant without a password', { grant_type: 'password', username: 'olga' }, 400, 'invalid_request'],
    ['a refresh grant without a token', { grant_type: 'refresh_token' }, 400, 'invalid_request'],
    ['no grant type', { username: 'olga' }, 400, 'invalid_request'],
    ['an unknown client', { grant_type: 'password', username: 'olga', password: STRONG_PASSWORD, client_id: 'third-party-app' }, 401, 'invalid_client'],
    ['a scope beyond the role', { grant_type: 'password', username: 'olga', password: STRONG_PASSWORD, scope: 'orders:write' }, 400, 'invalid_scope'],
  ];
  for (const [label, fields, status, error] of cases) {
    test(`${label} → ${status} ${error}`, async () => {
      const response = await token(service, fields);
      assert.equal(response.status, status, response.body);
      assert.equal(response.headers['content-type'], 'application/json');
      assert.equal(response.headers['cache-control'], 'no-store');
      assert.equal((response.json() as { error: string }).error, error);
      assert.equal(response.headers['x-frame-options'], 'DENY');
    });
  }

  test('a repeated parameter is invalid_request (RFC 6749 §3.2)', async () => {
    const response = await request(service.url, '/v1/auth/token', { method: 'POST', headers: { 'content-type': 'application/x-www-form-urlencoded' }, body: 'grant_type=password&username=olga&username=admin&password=x' });
    assert.equal(response.status, 400);
    assert.equal((response.json() as { error: string }).error, 'invalid_request');
  });

  test('a JSON body is refused: the token endpoint is form-encoded', async () => {
    const response = await request(service.url, '/v1/auth/token', { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ grant_type: 'password', username: 'olga', password: STRONG_PASSWORD }) });
    assert.equal(response.status, 415);
  });

  test('a form declared UTF-8 is read; one declared in another charset is 415 and logs nobody in', async () => {
    const fields = new URLSearchParams({ grant_type: 'password', username: 'olga', password: STRONG_PASSWORD }).toString();
    const send = (contentType: string) => request(service.url, '/v1/auth/token', { method: 'POST', headers: { 'content-type': contentType }, body: fields });
    assert.equal((await send('application/x-www-form-urlencoded; charset=UTF-8')).status, 200);
    const logins = async () => (await service.identity.events.list({ limit: 500 })).filter((event) => event.type === 'login_succeeded').length;
    const before = await logins();
    for (const charset of ['utf-16', 'iso-8859-1', 'utf-7']) {
      const response = await send(`application/x-www-form-urlencoded; charset=${charset}`);
      assert.equal(response.status, 415, charset);
      assert.equal(response.headers['content-type'], 'application/problem+json');
      assert.equal((response.json() as { type: string }).type, 'tag:rampart.dev,2026:problem:charset-not-accepted');
    }
    assert.equal(await logins(), before, 'no login recorded');
  });

  test('unknown parameters are ignored, as RFC 6749 requires', async () => {
    assert.equal((await token(service, { grant_type: 'password', username: 'olga', password: STRONG_PASSWORD, nonce: 'x' })).status, 200);
  });

  test('a narrower scope is granted and enforced', async () => {
    const response = await passwordLogin(service.url, 'olga', STRONG_PASSWORD, { scope: 'orders:read' });
    const body = response.json() as { access_token: string; scope: string };
    assert.equal(body.scope, 'orders:read');
    const profile = await request(service.url, '/v1/users/me', { headers: bearer(body.access_token) });
    assert.equal(profile.status, 403);
    assert.equal(profile.headers['www-authenticate'], 'Bearer error="insufficient_scope", scope="profile"');
  });

  test('the JWKS has the public Ed25519 key and nothing private', async () => {
    const response = await request(service.url, '/.well-known/jwks.json');
    assert.equal(response.status, 200);
    const { keys } = response.json() as { keys: Record<string, string>[] };
    assert.equal(keys.length, 1);
    assert.deepEqual(Object.keys(keys[0]!).sort(), ['alg', 'crv', 'kid', 'kty', 'use', 'x']);
    assert.equal(keys[0]!.crv, 'Ed25519');
  });
});

describe('HS256 by configuration', () => {
  test('tokens are HS256, verify, and the JWKS is empty', async () => {
    const service = await startReferenceService({ RAMPART_JWT_ALG: 'HS256' });
    try {
      await service.identity.createUser({ username: 'pete', password: STRONG_PASSWORD, role: 'user' }, OPERATOR);
      const tokens = await login(service.url, 'pete');
      const header = JSON.parse(Buffer.from(tokens.access_token.split('.')[0]!, 'base64url').toString()) as { alg: string };
      assert.equal(header.alg, 'HS256');
      assert.equal((await request(service.url, '/v1/users/me', { headers: bearer(tokens.access_token) })).status, 200);
      assert.deepEqual((await request(service.url, '/.well-known/jwks.json')).json(), { keys: [] });
    } finally {
      await service.close();
    }
  });
});

describe('security events', () => {
  test('each identity action is recorded', async () => {
    const service = await startReferenceService({ RAMPART_LOGIN_ACCOUNT_LIMIT: '2', RAMPART_LOGIN_WINDOW_S: '1' });
    try {
      const user = await service.identity.createUser({ username: 'quinn', password: STRONG_PASSWORD, role: 'user' }, OPERATOR);
      await passwordLogin(service.url, 'quinn', 'wrong-password-0001');
      await passwordLogin(service.url, 'quinn', 'wrong-password-0002');
      await passwordLogin(service.url, 'quinn', 'wrong-password-0003');
      await new Promise((resolve) => setTimeout(resolve, 1100)); // the lock expires
      const tokens = await login(service.url, 'quinn');
      assert.equal((await token(service, { grant_type: 'refresh_token', refresh_token: tokens.refresh_token })).status, 200);
      await token(service, { grant_type: 'refresh_token', refresh_token: tokens.refresh_token });
      const again = await login(service.url, 'quinn');
      await request(service.url, '/v1/auth/revoke', form({ token: again.refresh_token }));
      // (Revoking the refresh token ended that login's access token too: log out of another.)
      const other = await login(service.url, 'quinn');
      await request(service.url, '/v1/auth/logout', { method: 'POST', headers: bearer(other.access_token) });
      const third = await login(service.url, 'quinn');
      await request(service.url, '/v1/users/me/password', { method: 'PUT', headers: { ...bearer(third.access_token), 'content-type': 'application/json' }, body: JSON.stringify({ currentPassword: STRONG_PASSWORD, newPassword: 'another-strong-passphrase-42' }) });
      await service.identity.setDisabled(user.id, true, OPERATOR);
      const types = new Set((await service.identity.events.list({ limit: 500 })).map((event) => event.type));
      for (const type of ['user_created', 'login_failed', 'account_locked', 'login_throttled', 'login_succeeded', 'token_refreshed', 'refresh_token_reuse', 'token_revoked', 'logout', 'password_changed', 'user_disabled'] as const) {
        assert.ok(types.has(type), `missing ${type}; have ${[...types].join(', ')}`);
      }
      const text = service.logs.text;
      assert.ok(!text.includes(STRONG_PASSWORD) && !text.includes('another-strong-passphrase-42') && !text.includes(third.access_token) && !text.includes(third.refresh_token), 'no credential in logs');
    } finally {
      await service.close();
    }
  });
});
