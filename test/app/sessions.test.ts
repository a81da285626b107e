// Cookie sessions and CSRF, through real HTTP as a browser would send them.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { request, type Response } from '../helpers/http.ts';
import { bearer, login, startReferenceService, STRONG_PASSWORD, type RunningService } from '../helpers/app.ts';
import { closeAll } from '../helpers/close-all.ts';

const OPERATOR = { id: null, clientIp: null };
const NEW_PASSWORD = 'a-completely-new-passphrase-88';

interface BrowserSession {
  cookie: string;
  csrfToken: string;
  setCookie: string;
}

function sameOrigin(service: RunningService): Record<string, string> {
  return { origin: service.url };
}

async function sessionLogin(service: RunningService, username: string, headers: Record<string, string> = sameOrigin(service), password = STRONG_PASSWORD): Promise<Response> {
  return request(service.url, '/v1/auth/session', { method: 'POST', headers: { 'content-type': 'application/json', ...headers }, body: JSON.stringify({ username, password }) });
}

async function browserLogin(service: RunningService, username: string, headers?: Record<string, string>): Promise<BrowserSession> {
  const response = await sessionLogin(service, username, headers);
  assert.equal(response.status, 200, response.body);
  const setCookie = String(response.headers['set-cookie']);
  return { cookie: setCookie.split(';')[0]!, csrfToken: (response.json() as { csrfToken: string }).csrfToken, setCookie };
}

const profile = (service: RunningService, session: BrowserSession) => request(service.url, '/v1/users/me', { headers: { cookie: session.cookie } });

function changePassword(service: RunningService, session: BrowserSession, headers: Record<string, string>, body?: string): Promise<Response> {
  return request(service.url, '/v1/users/me/password', {
    method: 'PUT',
    headers: { cookie: session.cookie, 'content-type': 'application/json', ...headers },
    body: body ?? JSON.stringify({ currentPassword: STRONG_PASSWORD, newPassword: NEW_PASSWORD }),
  });
}

describe('cookie sessions', () => {
  let service: RunningService;
  before(async () => {
    service = await startReferenceService({ RAMPART_SESSION_IDLE_TTL_S: '1', RAMPART_SESSION_ABSOLUTE_TTL_S: '3' });
    for (const name of ['sam', 'tess', 'uma', 'vic']) await service.identity.createUser({ username: name, password: STRONG_PASSWORD, role: 'user' }, OPERATOR);
  });
  after(() => closeAll(service));

  test('the cookie has exactly __Host- name, Secure, HttpOnly, SameSite=Strict, Path=/', async () => {
    const session = await browserLogin(service, 'sam');
    const [pair, ...attributes] = session.setCookie.split(';').map((part) => part.trim());
    assert.match(pair!, /^__Host-session=[A-Za-z0-9_-]{43}$/);
    assert.deepEqual(attributes.map((a) => a.toLowerCase()).sort(), ['httponly', 'path=/', 'samesite=strict', 'secure']);
    assert.equal((await profile(service, session)).status, 200);
  });

  test('the id changes at login, and the old one stops working (no fixation)', async () => {
    const first = await browserLogin(service, 'sam');
    const second = await browserLogin(service, 'sam', { ...sameOrigin(service), cookie: first.cookie });
    assert.notEqual(first.cookie, second.cookie);
    assert.equal((await profile(service, first)).status, 401);
    assert.equal((await profile(service, second)).status, 200);
  });

  test('idle timeout', async () => {
    const session = await browserLogin(service, 'tess');
    await new Promise((resolve) => setTimeout(resolve, 1300));
    const response = await profile(service, session);
    assert.equal(response.status, 401);
    assert.match(String(response.headers['set-cookie']), /^__Host-session=; Max-Age=0/);
  });

  test('absolute timeout, however active', async () => {
    const session = await browserLogin(service, 'tess');
    const deadline = Date.now() + 3400;
    let last = 200;
    while (Date.now() < deadline) {
      last = (await profile(service, session)).status;
      await new Promise((resolve) => setTimeout(resolve, 250));
    }
    assert.equal(last, 401);
  });

  test('logout destroys the session; the stolen id is refused afterwards', async () => {
    const session = await browserLogin(service, 'uma');
    const logout = await request(service.url, '/v1/auth/session', { method: 'DELETE', headers: { cookie: session.cookie, 'x-csrf-token': session.csrfToken, ...sameOrigin(service) } });
    assert.equal(logout.status, 204);
    assert.match(String(logout.headers['set-cookie']), /Max-Age=0/);
    assert.equal((await profile(service, session)).status, 401);
  });

  test('a password change and a disable end the sessions', async () => {
    const session = await browserLogin(service, 'vic');
    const other = await browserLogin(service, 'vic');
    assert.equal((await changePassword(service, session, { ...sameOrigin(service), 'x-csrf-token': session.csrfToken })).status, 204);
    assert.equal((await profile(service, other)).status, 401);
    const again = await browserLogin(service, 'vic', sameOrigin(service)).catch(() => undefined);
    assert.equal(again, undefined, 'the old password no longer logs in');
    const fresh = await sessionLogin(service, 'vic', sameOrigin(service), NEW_PASSWORD);
    const cookie = String(fresh.headers['set-cookie']).split(';')[0]!;
    const user = await service.identity.users.findByUsername('vic');
    await service.identity.setDisabled(user!.id, true, OPERATOR);
    assert.equal((await request(service.url, '/v1/users/me', { headers: { cookie } })).status, 401);
  });

  test('session failures are identical for unknown user and wrong password', async () => {
    const unknown = await sessionLogin(service, 'nobody-known', sameOrigin(service), 'wrong-password-123456');
    const wrong = await sessionLogin(service, 'sam', sameOrigin(service), 'wrong-password-123456');
    assert.equal(unknown.status, 401);
    assert.equal(unknown.body, wrong.body);
  });
});

describe('Security: CSRF on cookie-authenticated requests', () => {
  let service: RunningService;
  let victim: BrowserSession;
  let other: BrowserSession;
  before(async () => {
    service = await startReferenceService();
    for (const name of ['wendy', 'xavier']) await service.identity.createUser({ username: name, password: STRONG_PASSWORD, role: 'user' }, OPERATOR);
    victim = await browserLogin(service, 'wendy');
    other = await browserLogin(service, 'xavier');
  });
  after(() => closeAll(service));

  const attacks: [string, () => Record<string, string>, string?][] = [
    ['missing token', () => sameOrigin(service)],
    ['wrong token', () => ({ ...sameOrigin(service), 'x-csrf-token': 'A'.repeat(43) })],
    ['token from another session', () => ({ ...sameOrigin(service), 'x-csrf-token': other.csrfToken })],
    ['cross-site Origin', () => ({ origin: 'https://evil.example', 'x-csrf-token': victim.csrfToken })],
    ['null Origin', () => ({ origin: 'null', 'x-csrf-token': victim.csrfToken })],
    ['no Origin and no Sec-Fetch-Site', () => ({ 'x-csrf-token': victim.csrfToken })],
    ['Sec-Fetch-Site: cross-site', () => ({ 'sec-fetch-site': 'cross-site', 'x-csrf-token': victim.csrfToken })],
    ['a text/plain body from another site', () => ({ origin: 'https://evil.example', 'content-type': 'text/plain' }), '{"currentPassword":"x","newPassword":"y"}'],
  ];
  for (const [label, headers, body] of attacks) {
    test(`${label} → 403, nothing changed`, async () => {
      const response = await changePassword(service, victim, headers(), body);
      assert.equal(response.status, 403, response.body);
      assert.equal(response.headers['content-type'], 'application/problem+json');
      assert.equal((response.json() as { type: string }).type, 'tag:rampart.dev,2026:problem:csrf-rejected');
      const user = await service.identity.users.findByUsername('wendy');
      assert.ok(await service.identity.hasher.verify(user!.password_hash, STRONG_PASSWORD), 'the password is unchanged');
    });
  }

  test('the session login itself refuses a cross-site or origin-less request', async () => {
    assert.equal((await sessionLogin(service, 'wendy', { origin: 'https://evil.example' })).status, 403);
    assert.equal((await sessionLogin(service, 'wendy', {})).status, 403);
    assert.equal((await sessionLogin(service, 'wendy', { 'sec-fetch-site': 'same-origin' })).status, 200);
  });

  test('a cookie and a bearer token together are refused as ambiguous', async () => {
    const tokens = await login(service.url, 'xavier');
    const response = await request(service.url, '/v1/users/me', { headers: { cookie: victim.cookie, ...bearer(tokens.access_token) } });
    assert.equal(response.status, 400);
    assert.equal((response.json() as { type: string }).type, 'tag:rampart.dev,2026:problem:ambiguous-credentials');
  });

  test('bearer requests need no CSRF token', async () => {
    const tokens = await login(service.url, 'xavier');
    const response = await request(service.url, '/v1/users/me/password', {
      method: 'PUT',
      headers: { ...bearer(tokens.access_token), 'content-type': 'application/json' },
      body: JSON.stringify({ currentPassword: STRONG_PASSWORD, newPassword: NEW_PASSWORD }),
    });
    assert.equal(response.status, 204);
  });

  test('the same-origin request with the token succeeds (control)', async () => {
    const response = await changePassword(service, victim, { ...sameOrigin(service), 'x-csrf-token': victim.csrfToken });
    assert.equal(response.status, 204);
  });
});
