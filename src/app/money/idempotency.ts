// Idempotency keys for unsafe requests that move money (draft-ietf-httpapi-idempotency-key):
// scoped to the calling user and kept for 24 h. A retry with the same key and body gets the
// first answer again and moves nothing twice; the same key with another body is 422; a
// request arriving while the first with its key still runs is 409. Another user's key is
// just a different key. The key is claimed (committed) before the work starts, so concurrent
// duplicates see it.
import { createHash } from 'node:crypto';
import type { Kysely } from 'kysely';
import { HttpProblem } from '../../toolkit/index.ts';
import type { MoneyTables } from './tables.ts';

export const IDEMPOTENCY_TTL_MS = 24 * 3600 * 1000;

export interface StoredResponse {
  status: number;
  body: unknown;
  /** 'problem' bodies are replayed as application/problem+json. */
  kind: 'json' | 'problem';
  /** Headers that belong to the answer (e.g. Retry-After on a quota refusal). */
  headers?: Record<string, string>;
}

const REUSED = new HttpProblem(422, { slug: 'idempotency-key-reused', title: 'Idempotency key reused', detail: 'This Idempotency-Key was already used with a different request body.' });
const IN_PROGRESS = new HttpProblem(409, { slug: 'idempotency-in-progress', title: 'Request in progress', detail: 'A request with this Idempotency-Key is still being processed. Retry after the time in Retry-After.', headers: { 'retry-after': '1' } });

/** A stable hash of the body: key order does not matter. */
export function requestHash(body: unknown): string {
  const canonical = (value: unknown): unknown =>
    Array.isArray(value) ? value.map(canonical) : value !== null && typeof value === 'object' ? Object.fromEntries(Object.keys(value).sort().map((k) => [k, canonical((value as Record<string, unknown>)[k])])) : value;
  return createHash('sha256').update(JSON.stringify(canonical(body))).digest('base64url');
}

export function createIdempotency(db: Kysely<MoneyTables>, now: () => number = Date.now) {
  async function claim(userId: string, key: string, hash: string): Promise<boolean> {
    const inserted = await db
      .insertInto('idempotency_keys')
      .values({ user_id: userId, key, request_hash: hash, state: 'running', response_status: null, response_body: null, expires_at: now() + IDEMPOTENCY_TTL_MS })
      .onConflict((c) => c.columns(['user_id', 'key']).doNothing())
      .executeTakeFirst();
    return inserted.numInsertedOrUpdatedRows === 1n;
  }

  return {
    /**
     * Runs `work` once per (user, key). Its result — a success or a client error it threw as
     * an HttpProblem — is stored and replayed; anything else releases the key for a retry.
     */
    async run(userId: string, key: string, body: unknown, work: () => Promise<StoredResponse>): Promise<StoredResponse & { replayed: boolean }> {
      const hash = requestHash(body);
      if (!(await claim(userId, key, hash))) {
        const existing = await db.selectFrom('idempotency_keys').selectAll().where('user_id', '=', userId).where('key', '=', key).executeTakeFirst();
        if (existing !== undefined && existing.expires_at <= now()) {
          await db.deleteFrom('idempotency_keys').where('user_id', '=', userId).where('key', '=', key).where('expires_at', '<=', now()).execute();
          return this.run(userId, key, body, work);
        }
        if (existing === undefined) throw IN_PROGRESS;
        if (existing.request_hash !== hash) throw REUSED;
        if (existing.state !== 'done') throw IN_PROGRESS;
        return { ...(JSON.parse(existing.response_body ?? 'null') as StoredResponse), replayed: true };
      }
      let response: StoredResponse;
      try {
        response = await work();
      } catch (error) {
        if (!(error instanceof HttpProblem) || error.status >= 500) {
          await db.deleteFrom('idempotency_keys').where('user_id', '=', userId).where('key', '=', key).execute();
          throw error;
        }
        response = { status: error.status, body: error.toJSON(), kind: 'problem', headers: error.headers };
      }
      await db.updateTable('idempotency_keys').set({ state: 'done', response_status: response.status, response_body: JSON.stringify(response) }).where('user_id', '=', userId).where('key', '=', key).execute();
      return { ...response, replayed: false };
    },

    /** Drops expired keys (called now and then; retention is 24 h). */
    async prune(): Promise<void> {
      await db.deleteFrom('idempotency_keys').where('expires_at', '<=', now()).execute();
    },
  };
}

export type Idempotency = ReturnType<typeof createIdempotency>;
