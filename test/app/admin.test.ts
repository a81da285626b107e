// Security: function-level authorization (admin routes), scope narrowing, role changes that
// take effect at once, and the event trail admins read.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { request } from '../helpers/http.ts';
import { bearer, login, startReferenceService, STRONG_PASSWORD, type RunningService, type Tokens } from '../helpers/app.ts';
import { closeAll } from '../helpers/close-all.ts';

const OPERATOR = { id: null, clientIp: null };
const json = (token: string) => ({ ...bearer(token), 'content-type': 'application/json' });

describe('Security: admin routes and function-level authorization', () => {
  let service: RunningService;
  let admin: Tokens;
  let user: Tokens;
  let readonly: Tokens;
  let userId: string;
  before(async () => {
    service = await startReferenceService();
    await service.identity.createUser({ username: 'root-admin', password: STRONG_PASSWORD, role: 'admin' }, OPERATOR);
    userId = (await service.identity.createUser({ username: 'plain-user', password: STRONG_PASSWORD, role: 'user' }, OPERATOR)).id;
    await service.identity.createUser({ username: 'reader', password: STRONG_PASSWORD, role: 'readonly' }, OPERATOR);
    admin = await login(service.url, 'root-admin');
    user = await login(service.url, 'plain-user');
    readonly = await login(service.url, 'reader');
  });
  after(() => closeAll(service));

  const adminCalls = (id: string): [string, string, string?][] => [
    ['GET', '/v1/admin/users'],
    ['PUT', `/v1/admin/users/${id}/role`, JSON.stringify({ role: 'admin' })],
    ['POST', `/v1/admin/users/${id}/disable`],
    ['POST', `/v1/admin/users/${id}/enable`],
    ['GET', '/v1/admin/events'],
    ['GET', '/v1/admin/routes'],
  ];

  test('an ordinary user gets 403 on every admin route, naming the missing scope, and nothing changes', async () => {
    for (const [method, path, body] of adminCalls(userId)) {
      const response = await request(service.url, path, { method, headers: json(user.access_token), ...(body === undefined ? {} : { body }) });
      assert.equal(response.status, 403, `${method} ${path}`);
      assert.match(String(response.headers['www-authenticate']), /^Bearer error="insufficient_scope", scope="admin:(users|events|routes)"$/);
    }
    const stored = await service.identity.users.findById(userId);
    assert.equal(stored?.role, 'user');
    assert.equal(stored.disabled, 0);
  });

  test('readonly cannot call a write route', async () => {
    const response = await request(service.url, '/v1/api-keys', { method: 'POST', headers: json(readonly.access_token), body: JSON.stringify({ name: 'k', scopes: ['profile'] }) });
    assert.equal(response.status, 403);
    assert.deepEqual((response.json() as { requiredScopes: string[] }).requiredScopes, ['api-keys:write']);
  });

  test('admins list users with pagination and no password hashes', async () => {
    const first = await request(service.url, '/v1/admin/users?limit=2', { headers: bearer(admin.access_token) });
    assert.equal(first.status, 200);
    const page = first.json() as { items: { username: string }[]; next: string };
    assert.deepEqual(page.items.map((u) => u.username), ['plain-user', 'reader']);
    assert.ok(!first.body.includes('argon2'));
    const second = (await request(service.url, `/v1/admin/users?limit=2&after=${page.next}`, { headers: bearer(admin.access_token) })).json() as { items: { username: string }[]; next: string | null };
    assert.deepEqual(second.items.map((u) => u.username), ['root-admin']);
    assert.equal(second.next, null);
  });

  test('a role change takes effect at once, is recorded with the acting admin, and only admins can make it', async () => {
    assert.equal((await request(service.url, '/v1/api-keys', { headers: bearer(user.access_token) })).status, 200, 'user may list keys');
    const change = await request(service.url, `/v1/admin/users/${userId}/role`, { method: 'PUT', headers: json(admin.access_token), body: JSON.stringify({ role: 'readonly' }) });
    assert.equal(change.status, 200);
    assert.equal((change.json() as { role: string }).role, 'readonly');
    assert.equal((await request(service.url, '/v1/api-keys', { headers: bearer(user.access_token) })).status, 403, 'the old token lost the scope');
    const events = await service.identity.events.list({ type: 'role_changed' });
    assert.deepEqual(events[0]?.detail, { userId, from: 'user', to: 'readonly' });
    assert.equal(events[0].principalId, (await service.identity.users.findByUsername('root-admin'))?.id);
    await request(service.url, `/v1/admin/users/${userId}/role`, { method: 'PUT', headers: json(admin.access_token), body: JSON.stringify({ role: 'user' }) });
  });

  test('a role cannot be set through any other route (mass assignment)', async () => {
    const response = await request(service.url, '/v1/users/me/password', { method: 'PUT', headers: json(user.access_token), body: JSON.stringify({ currentPassword: STRONG_PASSWORD, newPassword: 'whatever-else-123456', role: 'admin' }) });
    assert.equal(response.status, 400);
    assert.equal((await service.identity.users.findById(userId))?.role, 'user');
  });

  test('an unknown role, a malformed id, a missing id and a self-change are refused', async () => {
    assert.equal((await request(service.url, `/v1/admin/users/${userId}/role`, { method: 'PUT', headers: json(admin.access_token), body: JSON.stringify({ role: 'superuser' }) })).status, 400);
    assert.equal((await request(service.url, '/v1/admin/users/not-an-id/disable', { method: 'POST', headers: bearer(admin.access_token) })).status, 404);
    assert.equal((await request(service.url, '/v1/admin/users/00000000-0000-4000-8000-000000000000/disable', { method: 'POST', headers: bearer(admin.access_token) })).status, 404);
    const self = (await service.identity.users.findByUsername('root-admin'))!.id;
    assert.equal((await request(service.url, `/v1/admin/users/${self}/disable`, { method: 'POST', headers: bearer(admin.access_token) })).status, 400);
  });

  test('disabling through the admin route stops the user’s token at once; enabling lets them log in again', async () => {
    const fresh = await login(service.url, 'plain-user');
    assert.equal((await request(service.url, `/v1/admin/users/${userId}/disable`, { method: 'POST', headers: bearer(admin.access_token) })).status, 204);
    assert.equal((await request(service.url, '/v1/users/me', { headers: bearer(fresh.access_token) })).status, 401);
    assert.equal((await request(service.url, `/v1/admin/users/${userId}/enable`, { method: 'POST', headers: bearer(admin.access_token) })).status, 204);
    await login(service.url, 'plain-user');
  });

  test('admins read security events filtered by type, principal and time, page by page', async () => {
    const since = new Date(Date.now() - 60_000).toISOString();
    const first = await request(service.url, `/v1/admin/events?type=login_succeeded&limit=2&since=${since}`, { headers: bearer(admin.access_token) });
    assert.equal(first.status, 200);
    const page = first.json() as { items: { type: string; at: string }[]; next: string };
    assert.equal(page.items.length, 2);
    assert.ok(page.items.every((e) => e.type === 'login_succeeded'));
    const second = (await request(service.url, `/v1/admin/events?type=login_succeeded&limit=2&cursor=${page.next}`, { headers: bearer(admin.access_token) })).json() as { items: { at: string }[] };
    assert.ok(second.items.every((e) => e.at <= page.items[1]!.at));
    const byPrincipal = (await request(service.url, `/v1/admin/events?principal=${userId}`, { headers: bearer(admin.access_token) })).json() as { items: { principalId: string }[] };
    assert.ok(byPrincipal.items.length > 0 && byPrincipal.items.every((e) => e.principalId === userId));
    assert.equal((await request(service.url, '/v1/admin/events?type=not_a_type', { headers: bearer(admin.access_token) })).status, 400);
    assert.equal((await request(service.url, '/v1/admin/events?cursor=%%%', { headers: bearer(admin.access_token) })).status, 400);
  });

  test('admins read the route inventory', async () => {
    const response = await request(service.url, '/v1/admin/routes', { headers: bearer(admin.access_token) });
    const { routes } = response.json() as { routes: { method: string; path: string; scopes: string[] }[] };
    assert.deepEqual(routes.find((r) => r.path === '/v1/admin/users' && r.method === 'GET')?.scopes, ['admin:users']);
    assert.ok(routes.some((r) => r.path === '/healthz'));
  });

  test('an API key narrower than its owner cannot exceed its scopes', async () => {
    const created = await request(service.url, '/v1/api-keys', { method: 'POST', headers: json(admin.access_token), body: JSON.stringify({ name: 'narrow', scopes: ['orders:read'] }) });
    assert.equal(created.status, 201, created.body);
    const key = (created.json() as { key: string }).key;
    assert.equal((await request(service.url, '/v1/users/me', { headers: { 'x-api-key': key } })).status, 403);
    assert.equal((await request(service.url, '/v1/admin/users', { headers: { 'x-api-key': key } })).status, 403);
  });
});
