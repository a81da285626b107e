// Idempotency keys for unsafe requests that move money (draft-ietf-httpapi-idempotency-key):
// scoped to the calling user and kept for 24 h. A retry with the same key and body gets the
// first answer again and moves nothing twice; the same key with another body is 422; a
// request arriving while the first with its key still runs is 409. Another user's key is
// just a different key.
//
// Exactly once, even when the database goes away mid-request: the key is claimed (committed,
// with a token of this attempt) before the work starts, so concurrent duplicates see it; the
// work's own transaction records the answer, checking the token, so the money moves and the
// key says "done" in one commit or not at all. A COMMIT whose answer was lost is then
// replayed on retry, never applied again. A claim whose attempt failed is released — or, when
// the database was down and could not hear the release, taken over by a retry once it is
// older than any request could be (the token check keeps even a slow original from applying).
import { createHash, randomUUID } from 'node:crypto';
import type { Kysely } from 'kysely';
import { HttpProblem } from '../../toolkit/index.ts';
import type { MoneyTables } from './tables.ts';

export const IDEMPOTENCY_TTL_MS = 24 * 3600 * 1000;
/** A running claim older than this is presumed abandoned and may be taken over by a retry. */
export const CLAIM_LEASE_MS = 10_000;

export interface StoredResponse {
  status: number;
  body: unknown;
  /** 'problem' bodies are replayed as application/problem+json. */
  kind: 'json' | 'problem';
  /** Headers that belong to the answer (e.g. Retry-After on a quota refusal). */
  headers?: Record<string, string>;
}

/** Records the answer inside the work's transaction; throws (rolling it back) if the key was taken over. */
export type RecordAnswer = (trx: Kysely<MoneyTables>, response: StoredResponse) => Promise<void>;

const REUSED = new HttpProblem(422, { slug: 'idempotency-key-reused', title: 'Idempotency key reused', detail: 'This Idempotency-Key was already used with a different request body.' });
const IN_PROGRESS = new HttpProblem(409, { slug: 'idempotency-in-progress', title: 'Request in progress', detail: 'A request with this Idempotency-Key is still being processed. Retry after the time in Retry-After.', headers: { 'retry-after': '1' } });

/** A stable hash of the body: key order does not matter. */
export function requestHash(body: unknown): string {
  const canonical = (value: unknown): unknown =>
    Array.isArray(value) ? value.map(canonical) : value !== null && typeof value === 'object' ? Object.fromEntries(Object.keys(value).sort().map((k) => [k, canonical((value as Record<string, unknown>)[k])])) : value;
  return createHash('sha256').update(JSON.stringify(canonical(body))).digest('base64url');
}

export function createIdempotency(db: Kysely<MoneyTables>, now: () => number = Date.now) {
  const row = (userId: string, key: string) => db.selectFrom('idempotency_keys').selectAll().where('user_id', '=', userId).where('key', '=', key);

  /** This attempt's claim token, or the stored answer to replay. */
  async function acquire(userId: string, key: string, hash: string): Promise<{ token: string } | { replay: StoredResponse }> {
    for (let attempt = 0; attempt < 3; attempt += 1) {
      const token = randomUUID();
      const inserted = await db
        .insertInto('idempotency_keys')
        .values({ user_id: userId, key, request_hash: hash, state: 'running', claim: token, response_status: null, response_body: null, expires_at: now() + IDEMPOTENCY_TTL_MS })
        .onConflict((c) => c.columns(['user_id', 'key']).doNothing())
        .executeTakeFirst();
      if (inserted.numInsertedOrUpdatedRows === 1n) return { token };
      const existing = await row(userId, key).executeTakeFirst();
      if (existing === undefined) continue; // released meanwhile
      if (existing.expires_at <= now()) {
        await db.deleteFrom('idempotency_keys').where('user_id', '=', userId).where('key', '=', key).where('expires_at', '<=', now()).execute();
        continue;
      }
      if (existing.request_hash !== hash) throw REUSED;
      if (existing.state === 'done') return { replay: JSON.parse(existing.response_body ?? 'null') as StoredResponse };
      const claimedAt = existing.expires_at - IDEMPOTENCY_TTL_MS;
      if (now() - claimedAt < CLAIM_LEASE_MS) throw IN_PROGRESS;
      // Abandoned: compare-and-set, so that of several retries one takes it over.
      const taken = await db
        .updateTable('idempotency_keys')
        .set({ claim: token, expires_at: now() + IDEMPOTENCY_TTL_MS })
        .where('user_id', '=', userId)
        .where('key', '=', key)
        .where('state', '=', 'running')
        .where('claim', existing.claim === null ? 'is' : '=', existing.claim)
        .executeTakeFirst();
      if (taken.numUpdatedRows === 1n) return { token };
    }
    throw IN_PROGRESS;
  }

  return {
    /**
     * Runs `work` once per (user, key). `work` records its answer with `record` inside the
     * transaction that does the work; a client error it throws as an HttpProblem is recorded
     * and replayed too; anything else releases the key for a retry.
     */
    async run(userId: string, key: string, body: unknown, work: (record: RecordAnswer) => Promise<StoredResponse>): Promise<StoredResponse & { replayed: boolean }> {
      const claimed = await acquire(userId, key, requestHash(body));
      if ('replay' in claimed) return { ...claimed.replay, replayed: true };
      const { token } = claimed;
      const answer = { recorded: false };
      const record: RecordAnswer = async (trx, response) => {
        const updated = await trx
          .updateTable('idempotency_keys')
          .set({ state: 'done', response_status: response.status, response_body: JSON.stringify(response) })
          .where('user_id', '=', userId)
          .where('key', '=', key)
          .where('state', '=', 'running')
          .where('claim', '=', token)
          .executeTakeFirst();
        // Taken over by a retry that presumed this attempt dead: this one must not commit.
        if (updated.numUpdatedRows !== 1n) throw IN_PROGRESS;
        answer.recorded = true;
      };
      let response: StoredResponse;
      try {
        response = await work(record);
      } catch (error) {
        if (error === IN_PROGRESS) throw error;
        if (!(error instanceof HttpProblem) || error.status >= 500) {
          // Best effort: while the database is down this fails too, and the claim's lease
          // lets a retry take it over instead.
          await db.deleteFrom('idempotency_keys').where('user_id', '=', userId).where('key', '=', key).where('state', '=', 'running').where('claim', '=', token).execute().catch(() => undefined);
          throw error;
        }
        response = { status: error.status, body: error.toJSON(), kind: 'problem', headers: error.headers };
      }
      if (!answer.recorded) await record(db, response);
      return { ...response, replayed: false };
    },

    /** Drops expired keys (called now and then; retention is 24 h). */
    async prune(): Promise<void> {
      await db.deleteFrom('idempotency_keys').where('expires_at', '<=', now()).execute();
    },
  };
}

export type Idempotency = ReturnType<typeof createIdempotency>;
