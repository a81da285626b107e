// Opaque refresh tokens (256 random bits), stored only as a SHA-256 hash, one family per
// login. Each use rotates: the presented token is marked used and a new one is issued in the
// same family. Presenting a used token again is reuse — a sign it was stolen — and revokes the
// whole family. The "mark used" is a conditional update, so of N concurrent uses of one token
// exactly one wins. Absolute lifetime counts from the login; idle lifetime from the last use.
// Everything that can refuse a request (the caller's `prepare`: user state, scope) runs before
// the token is marked used, so a refused request leaves the token as it was.
import { createHash, randomBytes, randomUUID } from 'node:crypto';
import type { Kysely } from 'kysely';
import type { IdentityTables } from './schema.ts';

export interface RefreshTokenOptions {
  db: Kysely<IdentityTables>;
  absoluteTtlMs: number;
  idleTtlMs: number;
  now?: () => number;
}

export interface RefreshGrant {
  userId: string;
  scope: string;
  clientId: string;
  familyId: string;
}

export type RotateResult<T> =
  | { ok: true; grant: RefreshGrant; token: string; prepared: T }
  | { ok: false; reason: 'unknown' | 'revoked' | 'expired' | 'reused' | 'disabled'; userId?: string; familyId?: string };

const TOKEN_SHAPE = /^[A-Za-z0-9_-]{43}$/;

export function hashToken(token: string): string {
  return createHash('sha256').update(token).digest('base64url');
}

export function createRefreshTokens(options: RefreshTokenOptions) {
  const { db } = options;
  const now = options.now ?? Date.now;

  async function insert(executor: Kysely<IdentityTables>, grant: RefreshGrant, familyCreatedAt: number): Promise<string> {
    const token = randomBytes(32).toString('base64url');
    await executor
      .insertInto('refresh_tokens')
      .values({ token_hash: hashToken(token), family_id: grant.familyId, user_id: grant.userId, scope: grant.scope, client_id: grant.clientId, created_at: now(), family_created_at: familyCreatedAt, used_at: null, revoked_at: null })
      .execute();
    return token;
  }

  async function revokeFamily(familyId: string): Promise<void> {
    await db.updateTable('refresh_tokens').set({ revoked_at: now() }).where('family_id', '=', familyId).where('revoked_at', 'is', null).execute();
  }

  return {
    /** Starts a new family (a login); its id is the `sid` of the login's access tokens. */
    async start(userId: string, scope: string, clientId: string): Promise<{ token: string; familyId: string }> {
      const familyId = randomUUID();
      return { token: await insert(db, { userId, scope, clientId, familyId }, now()), familyId };
    },

    /**
     * `prepare` sees the grant of a live, unused token and may throw to refuse the request: then
     * nothing is rotated and no reuse is recorded. Its result comes back as `prepared`.
     */
    async rotate<T>(token: string, prepare: (grant: RefreshGrant) => Promise<T>): Promise<RotateResult<T>> {
      if (!TOKEN_SHAPE.test(token)) return { ok: false, reason: 'unknown' };
      const hash = hashToken(token);
      const row = await db
        .selectFrom('refresh_tokens')
        .innerJoin('users', 'users.id', 'refresh_tokens.user_id')
        .select(['refresh_tokens.family_id', 'refresh_tokens.user_id', 'refresh_tokens.scope', 'refresh_tokens.client_id', 'refresh_tokens.created_at', 'refresh_tokens.family_created_at', 'refresh_tokens.used_at', 'refresh_tokens.revoked_at', 'users.disabled'])
        .where('refresh_tokens.token_hash', '=', hash)
        .executeTakeFirst();
      if (row === undefined) return { ok: false, reason: 'unknown' };
      const base = { userId: row.user_id, familyId: row.family_id };
      if (row.revoked_at !== null) return { ok: false, reason: 'revoked', ...base };
      if (row.used_at !== null) {
        await revokeFamily(row.family_id);
        return { ok: false, reason: 'reused', ...base };
      }
      const t = now();
      if (row.disabled !== 0) return { ok: false, reason: 'disabled', ...base };
      if (t >= row.family_created_at + options.absoluteTtlMs || t >= row.created_at + options.idleTtlMs) {
        await revokeFamily(row.family_id);
        return { ok: false, reason: 'expired', ...base };
      }
      const grant: RefreshGrant = { userId: row.user_id, scope: row.scope, clientId: row.client_id, familyId: row.family_id };
      const prepared = await prepare(grant);
      const next = await db.transaction().execute(async (trx) => {
        const claimed = await trx.updateTable('refresh_tokens').set({ used_at: t }).where('token_hash', '=', hash).where('used_at', 'is', null).where('revoked_at', 'is', null).executeTakeFirst();
        if (claimed.numUpdatedRows !== 1n) return undefined;
        return insert(trx, grant, row.family_created_at);
      });
      if (next === undefined) {
        // Lost a race with another use of the same token: that is reuse too.
        await revokeFamily(row.family_id);
        return { ok: false, reason: 'reused', ...base };
      }
      return { ok: true, grant, token: next, prepared };
    },

    /** Revokes the family of a token (RFC 7009); returns its owner when it existed. */
    async revoke(token: string): Promise<{ userId: string; familyId: string } | undefined> {
      if (!TOKEN_SHAPE.test(token)) return undefined;
      const row = await db.selectFrom('refresh_tokens').select(['family_id', 'user_id']).where('token_hash', '=', hashToken(token)).executeTakeFirst();
      if (row === undefined) return undefined;
      await revokeFamily(row.family_id);
      return { userId: row.user_id, familyId: row.family_id };
    },

    /** Revokes one of the user's families (logout by access token); a family of another user is left alone. */
    async revokeFamilyOf(userId: string, familyId: string): Promise<void> {
      await db.updateTable('refresh_tokens').set({ revoked_at: now() }).where('family_id', '=', familyId).where('user_id', '=', userId).where('revoked_at', 'is', null).execute();
    },

    async revokeAllFor(userId: string): Promise<void> {
      await db.updateTable('refresh_tokens').set({ revoked_at: now() }).where('user_id', '=', userId).where('revoked_at', 'is', null).execute();
    },
  };
}

export type RefreshTokens = ReturnType<typeof createRefreshTokens>;
