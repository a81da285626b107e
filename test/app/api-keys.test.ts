// API keys through real HTTP: creation within the owner's scopes, the secret shown once and
// stored only as a keyed hash, header-only transport (query strings refused), revocation,
// expiry and disabled owners, identical failures, and key management closed to keys.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { crc32 } from 'node:zlib';
import { sql } from 'kysely';
import { API_KEY_PATTERN } from '../../src/toolkit/index.ts';
import { request, type Response } from '../helpers/http.ts';
import { bearer, login, passwordLogin, startReferenceService, STRONG_PASSWORD, type RunningService } from '../helpers/app.ts';
import { closeAll } from '../helpers/close-all.ts';

const OPERATOR = { id: null, clientIp: null };
const ALPHABET = '0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz';

interface Created { id: string; name: string; scopes: string[]; createdAt: string; expiresAt: string | null; key: string }
interface Listed { id: string; name: string; scopes: string[]; createdAt: string; expiresAt: string | null; lastUsedAt: string | null }
interface Problem { type: string; title: string; status: number; detail: string; scopes?: string[] }

const json = (headers: Record<string, string>, body: unknown) => ({ headers: { ...headers, 'content-type': 'application/json' }, body: JSON.stringify(body) });
const xApiKey = (key: string) => ({ 'x-api-key': key });

/** The same key with one secret character changed and a recomputed (valid) checksum. */
function wrongSecret(key: string): string {
  const body = key.slice(0, 60);
  const changed = body.slice(0, 30) + (body[30] === 'a' ? 'b' : 'a') + body.slice(31);
  let value = crc32(changed);
  let checksum = '';
  for (let i = 0; i < 6; i++) {
    checksum = ALPHABET[value % 62]! + checksum;
    value = Math.floor(value / 62);
  }
  return changed + checksum;
}

function filesUnder(dir: string): string[] {
  return readdirSync(dir, { recursive: true, withFileTypes: true }).filter((e) => e.isFile()).map((e) => join(e.parentPath, e.name));
}

describe('API keys', () => {
  let service: RunningService;
  let alice: string;
  const createKey = (token: string, body: unknown): Promise<Response> => request(service.url, '/v1/api-keys', { method: 'POST', ...json(bearer(token), body) });
  const listKeys = (headers: Record<string, string>): Promise<Response> => request(service.url, '/v1/api-keys', { headers });
  const deleteKey = (headers: Record<string, string>, id: string): Promise<Response> => request(service.url, `/v1/api-keys/${id}`, { method: 'DELETE', headers });
  const me = (headers: Record<string, string>, query = ''): Promise<Response> => request(service.url, `/v1/users/me${query}`, { headers });
  async function newKey(token: string, body: Record<string, unknown> = {}): Promise<Created> {
    const response = await createKey(token, { name: 'ci', scopes: ['profile'], ...body });
    assert.equal(response.status, 201, response.body);
    return response.json() as Created;
  }

  before(async () => {
    service = await startReferenceService();
    for (const [name, role] of [['alice', 'user'], ['bob', 'user'], ['reader', 'readonly'], ['gone', 'user'], ['elsewhere', 'user'], ['changer', 'user'], ['cycled', 'user']] as const) {
      await service.identity.createUser({ username: name, password: STRONG_PASSWORD, role }, OPERATOR);
    }
    alice = (await login(service.url, 'alice')).access_token;
  });
  after(() => closeAll(service));

  test('creation shows the key once, in the rmp_ format, and the key authenticates by X-API-Key and Authorization: ApiKey', async () => {
    const response = await createKey(alice, { name: 'deploy bot', scopes: ['profile', 'orders:read'] });
    assert.equal(response.status, 201);
    assert.equal(response.headers['cache-control'], 'no-store');
    const created = response.json() as Created;
    assert.deepEqual(Object.keys(created).sort(), ['createdAt', 'expiresAt', 'id', 'key', 'name', 'scopes']);
    assert.match(created.key, API_KEY_PATTERN);
    assert.ok(created.key.startsWith(`rmp_${created.id}_`));
    assert.deepEqual(created.scopes, ['profile', 'orders:read']);
    assert.equal(created.expiresAt, null);

    const viaHeader = await me(xApiKey(created.key));
    assert.equal(viaHeader.status, 200);
    assert.equal((viaHeader.json() as { username: string }).username, 'alice');
    assert.equal(viaHeader.headers['cache-control'], 'no-store');
    assert.equal((await me({ authorization: `ApiKey ${created.key}` })).status, 200);
    assert.equal((await me({ authorization: `apikey ${created.key}` })).status, 200, 'the scheme name is case-insensitive');

    const listing = await listKeys(bearer(alice));
    assert.equal(listing.status, 200);
    assert.ok(!listing.body.includes(created.key.slice(17, 60)), 'listing never shows the secret');
    const listed = (listing.json() as { items: Listed[] }).items.find((k) => k.id === created.id)!;
    assert.deepEqual(Object.keys(listed).sort(), ['createdAt', 'expiresAt', 'id', 'lastUsedAt', 'name', 'scopes']);
    assert.equal(listed.name, 'deploy bot');
    assert.ok(listed.lastUsedAt !== null, 'the last use is recorded');

    const events = await service.identity.events.list({ type: 'api_key_created', principalId: (await service.identity.users.findByUsername('alice'))!.id });
    assert.ok(events.some((e) => e.detail.kid === created.id));
  });

  test('last use is written at most once a minute, so reads do not become writes', async () => {
    const created = await newKey(alice);
    assert.equal((await me(xApiKey(created.key))).status, 200);
    const first = await sql<{ last_used_at: number }>`select last_used_at from api_keys where id = ${created.id}`.execute(service.database.db);
    await new Promise((resolve) => setTimeout(resolve, 1100));
    assert.equal((await me(xApiKey(created.key))).status, 200);
    const second = await sql<{ last_used_at: number }>`select last_used_at from api_keys where id = ${created.id}`.execute(service.database.db);
    assert.ok(first.rows[0]!.last_used_at > 0);
    assert.equal(second.rows[0]!.last_used_at, first.rows[0]!.last_used_at);
  });

  test('the key carries only its own scopes', async () => {
    const created = await newKey(alice, { scopes: ['orders:read'] });
    const response = await me(xApiKey(created.key));
    assert.equal(response.status, 403);
    assert.equal((response.json() as Problem).type, 'tag:rampart.dev,2026:problem:insufficient-scope');
  });

  describe('Security: a key never has more than its owner', () => {
    test('a scope wider than the owner’s role is refused at creation', async () => {
      const reader = (await login(service.url, 'reader')).access_token;
      // readonly holds no api-keys:write at all: the route itself refuses.
      assert.equal((await createKey(reader, { name: 'x', scopes: ['orders:read'] })).status, 403);
      const wider = await createKey(alice, { name: 'x', scopes: ['profile', 'admin:users'] });
      assert.equal(wider.status, 400);
      const problem = wider.json() as Problem;
      assert.equal(problem.type, 'tag:rampart.dev,2026:problem:api-key-scope-not-allowed');
      assert.deepEqual(problem.scopes, ['admin:users']);
    });

    test('a token narrowed at login mints only keys within its own scopes', async () => {
      const narrowed = await passwordLogin(service.url, 'alice', STRONG_PASSWORD, { scope: 'api-keys:write profile' });
      const token = (narrowed.json() as { access_token: string }).access_token;
      assert.equal((await createKey(token, { name: 'x', scopes: ['orders:write'] })).status, 400);
      assert.equal((await createKey(token, { name: 'x', scopes: ['profile'] })).status, 201);
    });

    test('an API key cannot create, list or delete keys (a leaked key cannot mint more)', async () => {
      const created = await newKey(alice, { scopes: ['api-keys:write', 'profile'] });
      const headers = xApiKey(created.key);
      const answers = [
        await request(service.url, '/v1/api-keys', { method: 'POST', ...json(headers, { name: 'more', scopes: ['profile'] }) }),
        await listKeys(headers),
        await deleteKey(headers, created.id),
      ];
      for (const answer of answers) {
        assert.equal(answer.status, 403);
        assert.equal((answer.json() as Problem).type, 'tag:rampart.dev,2026:problem:api-key-management-needs-login');
      }
      assert.equal((await me(headers)).status, 200, 'the key was not deleted');
    });

    test('bad input is a 400: duplicate scopes, no scopes, unknown fields, past or far expiry, long names', async () => {
      const day = 86_400_000;
      for (const body of [
        { name: 'x', scopes: ['profile', 'profile'] },
        { name: 'x', scopes: [] },
        { name: 'x', scopes: ['profile'], role: 'admin' },
        { name: 'x', scopes: ['profile'], expiresAt: new Date(Date.now() - 1000).toISOString() },
        { name: 'x', scopes: ['profile'], expiresAt: new Date(Date.now() + 400 * day).toISOString() },
        { name: 'x', scopes: ['profile'], expiresAt: 'tomorrow' },
        { name: 'x'.repeat(101), scopes: ['profile'] },
        { name: 'line\nbreak', scopes: ['profile'] },
        { name: '', scopes: ['profile'] },
      ]) {
        assert.equal((await createKey(alice, body)).status, 400, JSON.stringify(body));
      }
      assert.equal((await createKey(alice, { name: 'x', scopes: ['profile'], expiresAt: new Date(Date.now() + 300 * day).toISOString() })).status, 201);
    });
  });

  describe('Security: keys in the query string', () => {
    test('are refused with a 400 that says why, even with a valid credential in the header, and are never accepted', async () => {
      const created = await newKey(alice);
      for (const query of [`?api_key=${created.key}`, `?apikey=${created.key}`, `?X-Api-Key=${created.key}`, `?api-key=${created.key}`, `?q=${created.key}`]) {
        for (const headers of [{}, xApiKey(created.key), bearer(alice)]) {
          const response = await me(headers, query);
          assert.equal(response.status, 400, `${query} with ${Object.keys(headers).join() || 'no header'}`);
          const problem = response.json() as Problem;
          assert.equal(problem.type, 'tag:rampart.dev,2026:problem:api-key-in-query');
          assert.match(problem.detail, /logs/);
          assert.match(problem.detail, /Referer/);
          assert.match(problem.detail, /X-API-Key header/);
          assert.equal(response.headers['cache-control'], 'no-store');
          assert.equal(response.headers['content-security-policy'], "default-src 'none'; frame-ancestors 'none'");
        }
      }
      assert.equal((await me(xApiKey(created.key), '?page=1')).status, 200, 'an ordinary query is fine');
    });

    test('are refused on public routes and unknown URLs too', async () => {
      const created = await newKey(alice);
      assert.equal((await request(service.url, `/healthz?api_key=${created.key}`)).status, 400);
      assert.equal((await request(service.url, `/healthz?token=${created.key}`)).status, 400);
      assert.equal((await request(service.url, '/no/such/route?apikey=anything')).status, 400);
      assert.equal((await request(service.url, '/healthz?page=1')).status, 200);
    });
  });

  describe('Security: keys that must stop working', () => {
    test('a deleted (revoked) key is refused at once, and its use is recorded', async () => {
      const created = await newKey(alice);
      assert.equal((await me(xApiKey(created.key))).status, 200);
      assert.equal((await deleteKey(bearer(alice), created.id)).status, 204);
      const response = await me(xApiKey(created.key));
      assert.equal(response.status, 401);
      assert.match(String(response.headers['www-authenticate']), /^ApiKey\b/);
      assert.ok(!(await listKeys(bearer(alice))).body.includes(created.id), 'a deleted key is no longer listed');
      const deleted = await service.identity.events.list({ type: 'api_key_deleted' });
      assert.ok(deleted.some((e) => e.detail.kid === created.id));
      const rejected = await service.identity.events.list({ type: 'api_key_rejected' });
      assert.ok(rejected.some((e) => e.detail.kid === created.id && e.detail.reason === 'revoked'));
    });

    test('an expired key is refused (also while its verification is cached), and its use is recorded', async () => {
      // Expires well inside the cache's second after its first use, so the cached entry must check it.
      const created = await newKey(alice, { expiresAt: new Date(Date.now() + 800).toISOString() });
      assert.ok(created.expiresAt !== null);
      assert.equal((await me(xApiKey(created.key))).status, 200);
      await new Promise((resolve) => setTimeout(resolve, Date.parse(created.expiresAt!) - Date.now() + 50));
      assert.equal((await me(xApiKey(created.key))).status, 401);
      const rejected = await service.identity.events.list({ type: 'api_key_rejected' });
      assert.ok(rejected.some((e) => e.detail.kid === created.id && e.detail.reason === 'expired'));
    });

    test('disabling the owner stops the key at once', async () => {
      const token = (await login(service.url, 'gone')).access_token;
      const created = await newKey(token);
      assert.equal((await me(xApiKey(created.key))).status, 200, 'verified and cached');
      const user = await service.identity.users.findByUsername('gone');
      await service.identity.setDisabled(user!.id, true, OPERATOR);
      assert.equal((await me(xApiKey(created.key))).status, 401);
    });

    test('a password change revokes the owner’s keys (recorded), and keys made afterwards work', async () => {
      const token = (await login(service.url, 'changer')).access_token;
      const before = await newKey(token);
      assert.equal((await me(xApiKey(before.key))).status, 200, 'verified and cached');
      const change = await request(service.url, '/v1/users/me/password', { method: 'PUT', ...json(bearer(token), { currentPassword: STRONG_PASSWORD, newPassword: 'a-new-passphrase-for-keys-77' }) });
      assert.equal(change.status, 204);
      assert.equal((await me(xApiKey(before.key))).status, 401);
      const fresh = (await login(service.url, 'changer', 'a-new-passphrase-for-keys-77')).access_token;
      assert.deepEqual((await listKeys(bearer(fresh))).json(), { items: [] }, 'no key survives in the owner’s list');
      const after = await newKey(fresh);
      assert.equal((await me(xApiKey(after.key))).status, 200);
      const changer = await service.identity.users.findByUsername('changer');
      const revoked = await service.identity.events.list({ type: 'api_key_deleted' });
      assert.ok(revoked.some((e) => e.principalId === changer!.id && e.detail.reason === 'password_changed' && e.detail.count === 1));
    });

    test('disable then enable: the keys from before stay revoked', async () => {
      const token = (await login(service.url, 'cycled')).access_token;
      const created = await newKey(token);
      assert.equal((await me(xApiKey(created.key))).status, 200);
      const user = await service.identity.users.findByUsername('cycled');
      await service.identity.setDisabled(user!.id, true, OPERATOR);
      await service.identity.setDisabled(user!.id, false, OPERATOR);
      assert.equal((await me(xApiKey(created.key))).status, 401, 'enabling revives no key');
      const fresh = (await login(service.url, 'cycled')).access_token;
      assert.equal((await me(xApiKey((await newKey(fresh)).key))).status, 200, 'the enabled owner can make new keys');
    });

    test('an owner disabled by another instance (straight in the database) is seen within a second', async () => {
      const token = (await login(service.url, 'elsewhere')).access_token;
      const created = await newKey(token);
      assert.equal((await me(xApiKey(created.key))).status, 200);
      await sql`update users set disabled = 1 where username = 'elsewhere'`.execute(service.database.db);
      await new Promise((resolve) => setTimeout(resolve, 1100));
      assert.equal((await me(xApiKey(created.key))).status, 401);
    });

    test('unknown, revoked, expired, wrong-secret, bad-checksum and malformed keys get byte-identical 401s', async () => {
      const live = await newKey(alice);
      const revoked = await newKey(alice);
      await deleteKey(bearer(alice), revoked.id);
      const expired = await newKey(alice);
      await sql`update api_keys set expires_at = ${Date.now() - 1000} where id = ${expired.id}`.execute(service.database.db);
      const typo = live.key.slice(0, 65) + (live.key.endsWith('0') ? '1' : '0');
      const unknown = `rmp_${'A'.repeat(12)}${wrongSecret(live.key).slice(16)}`;
      const answers = await Promise.all(
        [revoked.key, expired.key, wrongSecret(live.key), typo, unknown, 'rmp_short', 'not a key at all'].map((key) => me(xApiKey(key))),
      );
      answers.push(await me({ authorization: 'ApiKey' }), await me({ authorization: `ApiKey ${typo}` }));
      for (const answer of answers) {
        assert.equal(answer.status, 401);
        assert.equal(answer.body, answers[0]!.body);
        assert.equal(answer.headers['www-authenticate'], 'ApiKey, Bearer');
      }
      assert.equal((answers[0]!.json() as Problem).type, 'tag:rampart.dev,2026:problem:invalid-api-key');
      assert.equal((await me(xApiKey(live.key))).status, 200, 'the live key still works');
    });

    test('an unauthenticated request is told both schemes', async () => {
      const response = await me({});
      assert.equal(response.status, 401);
      assert.match(String(response.headers['www-authenticate']), /\bBearer\b.*\bApiKey\b/);
    });
  });

  describe('Security: deleting keys is owner-only and reveals nothing', () => {
    test('another user’s id, a missing id and a malformed id answer the same 404', async () => {
      const created = await newKey(alice);
      const bob = (await login(service.url, 'bob')).access_token;
      const answers = [
        await deleteKey(bearer(bob), created.id),
        await deleteKey(bearer(alice), 'A'.repeat(12)),
        await deleteKey(bearer(alice), 'not-an-id!'),
        await deleteKey(bearer(alice), "'%20OR%201=1"),
      ];
      for (const answer of answers) {
        assert.equal(answer.status, 404);
        assert.equal(answer.body, answers[0]!.body);
      }
      assert.equal((await me(xApiKey(created.key))).status, 200, 'bob did not delete alice’s key');
      assert.ok(!(await listKeys(bearer(bob))).body.includes(created.id), 'nor can he list it');
      assert.equal((await deleteKey(bearer(alice), created.id)).status, 204);
      assert.equal((await deleteKey(bearer(alice), created.id)).status, 404, 'already deleted');
    });
  });

  describe('Security: the secret is stored only as a keyed hash', () => {
    test('the key appears nowhere in the database files or the logs, and the stored value is no unkeyed hash of it', async () => {
      const created = await newKey(alice, { name: 'needle' });
      // Use it every way, including the refused ones, so every path has had a chance to leak it.
      await me(xApiKey(created.key));
      await me({ authorization: `ApiKey ${created.key}` });
      await me({}, `?q=${created.key}`);
      await me({}, `?api_key=${created.key}`);
      await request(service.url, `/no/such/route?x=${created.key}`);
      await me(xApiKey(wrongSecret(created.key)));
      await listKeys(bearer(alice));
      await deleteKey(bearer(alice), created.id);
      await me(xApiKey(created.key));

      const secret = created.key.slice(17, 60);
      const row = (await sql<{ secret_hmac: string }>`select secret_hmac from api_keys where id = ${created.id}`.execute(service.database.db)).rows[0]!;
      const unkeyed: string[] = [];
      for (const algorithm of ['sha256', 'sha512', 'sha1', 'md5', 'sha3-256']) {
        for (const input of [created.key, secret, created.key.slice(0, 60)]) {
          const digest = createHash(algorithm).update(input).digest();
          unkeyed.push(digest.toString('hex'), digest.toString('base64'), digest.toString('base64url'));
        }
      }
      assert.ok(!unkeyed.includes(row.secret_hmac), 'the stored value is not a plain hash');
      assert.ok(row.secret_hmac.length >= 43);

      const files = filesUnder(service.config.dataDir);
      assert.ok(files.some((f) => f.endsWith('.db')), `the database file is searched (${files.join(', ')})`);
      const needles = [created.key, secret, ...unkeyed];
      for (const file of files) {
        const bytes = readFileSync(file);
        for (const needle of needles) {
          assert.equal(bytes.indexOf(needle), -1, `${file} holds the key or an unkeyed hash of it`);
          assert.equal(bytes.indexOf(Buffer.from(needle, 'utf16le')), -1, `${file} holds it as UTF-16`);
        }
      }
      assert.ok(files.some((f) => readFileSync(f).includes(created.id)), 'the files searched hold the key’s row');
      const logs = service.logs.text;
      assert.ok(logs.includes('/v1/users/me?q=[redacted]'), 'the refused requests were logged, without the key');
      for (const needle of [created.key, secret]) assert.ok(!logs.includes(needle), 'the logs hold the key');
    });
  });
});
