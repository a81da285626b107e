// API keys: created by their owner with a subset of the owner's scopes, shown once, stored
// only as an HMAC-SHA256 under a key derived from the root secret (a database leak gives
// neither the keys nor a way to test guesses offline), verified in constant time. Deleting a
// key revokes it (the row stays, so a later use is recognised and recorded as such). A
// password change or a disable revokes every key of the user: a key minted by whoever had the
// old password (or the account before it was disabled) must not outlive that; enabling the
// account again revives none.
//
// Verification: in-process cache of verified keys (≤ 1 s, keyed by the whole key, bounded;
// like the verified-token cache, a hit skips the parse and the HMAC, which only a key that
// passed both could have put there) → else parse (length, alphabet, checksum: no database
// work for garbage) → HMAC → one indexed select joined with the owner → timingSafeEqual →
// revoked/expired (recorded) → owner disabled → a principal whose scopes are the key's
// narrowed to the owner's role now.
// Deletes and disables through this process drop cached entries at once; changes made
// elsewhere are seen within the cache's second. last_used_at is written at most once a
// minute per key, after the answer, so reads do not become writes.
import { createHmac, createSecretKey, timingSafeEqual } from 'node:crypto';
import type { FastifyBaseLogger } from 'fastify';
import type { Kysely } from 'kysely';
import { deriveKey } from '../../crypto/derive.ts';
import { HttpProblem } from '../../errors/problem.ts';
import type { SecurityEvents } from '../../events/index.ts';
import type { Principal } from '../../policy/principal.ts';
import { DEFAULT_ROLES, scopesOf, type Roles } from '../roles.ts';
import type { IdentityTables } from '../schema.ts';
import { API_KEY_ID_PATTERN, generateApiKey, parseApiKey } from './format.ts';

export interface ApiKeyServiceOptions {
  db: Kysely<IdentityTables>;
  rootSecret: Uint8Array;
  events: SecurityEvents;
  logger: FastifyBaseLogger;
  /** Keys one user may hold (not deleted, expired ones included). Default 100. */
  maxKeysPerUser?: number;
  /** Role → scopes (the configured role definitions). */
  roles?: Roles;
  now?: () => number;
}

export interface ApiKeySummary {
  id: string;
  name: string;
  scopes: string[];
  /** Epoch milliseconds. */
  createdAt: number;
  expiresAt: number | null;
  lastUsedAt: number | null;
}

export interface CreatedApiKey extends ApiKeySummary {
  /** The whole key: returned once, at creation, and never stored. */
  key: string;
}

export interface NewApiKey {
  name: string;
  scopes: readonly string[];
  /** Epoch milliseconds; in the future, at most a year away. Omitted or null: no expiry. */
  expiresAt?: number | null;
}

export interface ApiKeys {
  create(owner: Principal, input: NewApiKey, clientIp: string | null): Promise<CreatedApiKey>;
  /** The owner's keys that were not deleted, newest first; never a secret. */
  list(owner: Principal): Promise<ApiKeySummary[]>;
  /** False when the key is not the owner's, does not exist or was already deleted. */
  remove(owner: Principal, keyId: string, clientIp: string | null): Promise<boolean>;
  /** The principal for a valid key; undefined for any bad key (callers answer 401). */
  verify(key: string, clientIp: string | null): Promise<Principal | undefined>;
  /** Drops cached verifications of this user's keys (call when the user is disabled or changes role). */
  forgetUser(userId: string): void;
  /** Revokes every live key of the user (password change, disable); returns how many. */
  revokeAllFor(userId: string, reason: 'password_changed' | 'user_disabled', clientIp: string | null): Promise<number>;
}

const HMAC_PURPOSE = 'api-key-hmac';
const CACHE_MS = 1000;
const CACHE_MAX = 10_000;
const LAST_USED_EVERY_MS = 60_000;
const MAX_LIFETIME_MS = 366 * 86_400_000;
const MAX_SCOPES = 50;
const NAME_PATTERN = /^[^\p{Cc}\p{Cf}\p{Zl}\p{Zp}]{1,100}$/u;

const MANAGEMENT_NEEDS_LOGIN = new HttpProblem(403, {
  slug: 'api-key-management-needs-login',
  title: 'Not allowed with an API key',
  detail: 'API keys cannot list, create or delete API keys, so a leaked key cannot make more. Use a bearer token or a session.',
});
const BAD_NAME = new HttpProblem(400, { slug: 'invalid-api-key-name', title: 'Invalid API key name', detail: 'A key name has 1 to 100 characters and no control characters.' });
const BAD_SCOPES = new HttpProblem(400, { slug: 'invalid-api-key-scopes', title: 'Invalid API key scopes', detail: `A key has 1 to ${MAX_SCOPES} distinct scopes.` });
const BAD_EXPIRY = new HttpProblem(400, { slug: 'invalid-api-key-expiry', title: 'Invalid expiry', detail: 'expiresAt must be in the future and at most one year from now.' });
const TOO_MANY = new HttpProblem(409, { slug: 'api-key-limit', title: 'Too many API keys', detail: 'This account holds the most API keys allowed. Delete one to create another.' });

interface Verified {
  keyId: string;
  userId: string;
  principal: Principal;
  expiresAt: number | null;
  lastUsedAt: number | null;
  at: number;
}

export function createApiKeys(options: ApiKeyServiceOptions): ApiKeys {
  const { db, events, logger } = options;
  const now = options.now ?? Date.now;
  const maxKeys = options.maxKeysPerUser ?? 100;
  if (!Number.isSafeInteger(maxKeys) || maxKeys < 1) throw new TypeError(`api keys: maxKeysPerUser must be a positive integer, received ${String(maxKeys)}`);
  // A KeyObject made once: given a Buffer, createHmac rebuilds one on every call (measured:
  // 8 of the 10 µs an HMAC cost in the bench's API-key row).
  const hmacKey = createSecretKey(deriveKey(options.rootSecret, HMAC_PURPOSE));
  const hmac = (key: string): Buffer => createHmac('sha256', hmacKey).update(key, 'utf8').digest();
  const cache = new Map<string, Verified>();

  function interactive(owner: Principal): void {
    if (owner.method === 'api-key') throw MANAGEMENT_NEEDS_LOGIN;
  }

  function forget(match: (entry: Verified) => boolean): void {
    for (const [tag, entry] of cache) if (match(entry)) cache.delete(tag);
  }

  function touch(entry: Verified, t: number): void {
    if (entry.lastUsedAt !== null && t - entry.lastUsedAt < LAST_USED_EVERY_MS) return;
    entry.lastUsedAt = t;
    // Not awaited: the answer does not wait for bookkeeping. The condition keeps several
    // instances from each writing within the same minute.
    void db
      .updateTable('api_keys')
      .set({ last_used_at: t })
      .where('id', '=', entry.keyId)
      .where((eb) => eb.or([eb('last_used_at', 'is', null), eb('last_used_at', '<', t - LAST_USED_EVERY_MS)]))
      .execute()
      .catch((error: unknown) => logger.warn({ err: error, kid: entry.keyId }, 'api key last-used time not recorded'));
  }

  const summary = (row: { id: string; name: string; scope: string; created_at: number; expires_at: number | null; last_used_at: number | null }): ApiKeySummary => ({
    id: row.id,
    name: row.name,
    scopes: row.scope.split(' ').filter((s) => s !== ''),
    createdAt: row.created_at,
    expiresAt: row.expires_at,
    lastUsedAt: row.last_used_at,
  });

  return {
    async create(owner, input, clientIp) {
      interactive(owner);
      const name = input.name.trim();
      if (!NAME_PATTERN.test(name)) throw BAD_NAME;
      const scopes = [...new Set(input.scopes)];
      if (scopes.length === 0 || scopes.length > MAX_SCOPES || scopes.length !== input.scopes.length) throw BAD_SCOPES;
      // The owner's scopes as this request holds them: a narrowed token mints narrowed keys.
      const notHeld = scopes.filter((scope) => !owner.scopes.includes(scope));
      if (notHeld.length > 0) {
        throw new HttpProblem(400, {
          slug: 'api-key-scope-not-allowed',
          title: 'Scope not allowed',
          detail: 'A key can only have scopes its owner holds; `scopes` lists the ones that are not yours.',
          extensions: { scopes: notHeld },
        });
      }
      const t = now();
      const expiresAt = input.expiresAt ?? null;
      if (expiresAt !== null && (!Number.isSafeInteger(expiresAt) || expiresAt <= t || expiresAt > t + MAX_LIFETIME_MS)) throw BAD_EXPIRY;
      const held = await db.selectFrom('api_keys').select((eb) => eb.fn.countAll<number>().as('n')).where('user_id', '=', owner.id).where('revoked_at', 'is', null).executeTakeFirstOrThrow();
      if (held.n >= maxKeys) throw TOO_MANY;
      for (let attempt = 0; ; attempt++) {
        const { id, key } = generateApiKey();
        const row = { id, user_id: owner.id, name, scope: scopes.join(' '), secret_hmac: hmac(key).toString('base64url'), created_at: t, expires_at: expiresAt, last_used_at: null, revoked_at: null };
        const inserted = await db.insertInto('api_keys').values(row).onConflict((c) => c.column('id').doNothing()).executeTakeFirst();
        if (inserted.numInsertedOrUpdatedRows === 1n) {
          await events.record({ type: 'api_key_created', principalId: owner.id, clientIp, detail: { kid: id, name, scopes: row.scope, expiresAt } });
          return { ...summary(row), key };
        }
        // 71 random bits of id: a collision is a sign of a broken random source, not bad luck.
        if (attempt === 2) throw new Error('api keys: could not find a free key id');
      }
    },

    async list(owner) {
      interactive(owner);
      const rows = await db
        .selectFrom('api_keys')
        .select(['id', 'name', 'scope', 'created_at', 'expires_at', 'last_used_at'])
        .where('user_id', '=', owner.id)
        .where('revoked_at', 'is', null)
        .orderBy('created_at', 'desc')
        .orderBy('id')
        .limit(maxKeys)
        .execute();
      return rows.map(summary);
    },

    async remove(owner, keyId, clientIp) {
      interactive(owner);
      if (!API_KEY_ID_PATTERN.test(keyId)) return false;
      const result = await db.updateTable('api_keys').set({ revoked_at: now() }).where('id', '=', keyId).where('user_id', '=', owner.id).where('revoked_at', 'is', null).executeTakeFirst();
      if (result.numUpdatedRows !== 1n) return false;
      forget((entry) => entry.keyId === keyId);
      await events.record({ type: 'api_key_deleted', principalId: owner.id, clientIp, detail: { kid: keyId } });
      return true;
    },

    async verify(key, clientIp) {
      const t = now();
      const cached = cache.get(key);
      if (cached !== undefined) {
        if (t - cached.at <= CACHE_MS && (cached.expiresAt === null || t < cached.expiresAt)) {
          touch(cached, t);
          return cached.principal;
        }
        cache.delete(key);
      }
      const parsed = parseApiKey(key);
      if (parsed === undefined) return undefined;
      const digest = hmac(key);

      const row = await db
        .selectFrom('api_keys')
        .innerJoin('users', 'users.id', 'api_keys.user_id')
        .select(['api_keys.user_id', 'api_keys.scope', 'api_keys.secret_hmac', 'api_keys.expires_at', 'api_keys.last_used_at', 'api_keys.revoked_at', 'users.disabled', 'users.username', 'users.role'])
        .where('api_keys.id', '=', parsed.id)
        .executeTakeFirst();
      if (row === undefined) return undefined;
      const stored = Buffer.from(row.secret_hmac, 'base64url');
      if (stored.length !== digest.length || !timingSafeEqual(stored, digest)) return undefined;
      // Only the right secret gets this far, so these events cannot be forged for others' keys.
      const reason = row.revoked_at !== null ? 'revoked' : row.expires_at !== null && t >= row.expires_at ? 'expired' : undefined;
      if (reason !== undefined) {
        await events.record({ type: 'api_key_rejected', principalId: row.user_id, clientIp, detail: { kid: parsed.id, reason } });
        return undefined;
      }
      if (row.disabled !== 0) return undefined;

      // The key's scopes, narrowed to what the owner's role holds now (never widened).
      const roleScopes = scopesOf(row.role, options.roles ?? DEFAULT_ROLES);
      const scopes = Object.freeze(row.scope.split(' ').filter((s) => s !== '' && roleScopes.includes(s)));
      const principal: Principal = Object.freeze({
        id: row.user_id,
        username: row.username,
        roles: Object.freeze([row.role]),
        scopes,
        method: 'api-key' as const,
        // Seconds, like a JWT's exp; 0 means the key does not expire.
        credential: Object.freeze({ id: parsed.id, expiresAt: row.expires_at === null ? 0 : Math.ceil(row.expires_at / 1000) }),
      });
      const entry: Verified = { keyId: parsed.id, userId: row.user_id, principal, expiresAt: row.expires_at, lastUsedAt: row.last_used_at, at: t };
      if (cache.size >= CACHE_MAX) cache.delete(cache.keys().next().value!);
      cache.set(key, entry);
      touch(entry, t);
      return principal;
    },

    forgetUser(userId) {
      forget((entry) => entry.userId === userId);
    },

    async revokeAllFor(userId, reason, clientIp) {
      const result = await db.updateTable('api_keys').set({ revoked_at: now() }).where('user_id', '=', userId).where('revoked_at', 'is', null).executeTakeFirst();
      forget((entry) => entry.userId === userId);
      const count = Number(result.numUpdatedRows);
      if (count > 0) await events.record({ type: 'api_key_deleted', principalId: userId, clientIp, detail: { reason, count } });
      return count;
    },
  };
}
