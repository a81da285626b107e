// Server-side sessions in the key-value store, found by the SHA-256 of their 256-bit id (a
// leaked store dump holds no usable ids). Idle and absolute timeouts. Each session keeps the
// user's token version at login: a password change or a disable moves the version on, which
// ends every earlier session at once (the authenticator compares them).
import { createHash, randomBytes, timingSafeEqual } from 'node:crypto';
import type { KeyValueStore } from '../../stores/index.ts';

export interface SessionRecord {
  userId: string;
  scope: string;
  csrf: string;
  /** The user's token version at login (see UserState). */
  tokenVersion: number;
  createdAt: number;
  lastSeenAt: number;
}

export interface SessionOptions {
  store: KeyValueStore;
  idleTtlMs: number;
  absoluteTtlMs: number;
  now?: () => number;
}

export interface Session extends SessionRecord {
  /** The stored key's hash of the id: safe to log and to use as a credential id. */
  handle: string;
  expiresAt: number;
}

/** Refresh the idle deadline at most this often (and well inside the idle timeout), so reading a session is not a write every time. */
const TOUCH_EVERY_MS = 60_000;

const sessionKey = (handle: string): string => `session:${handle}`;
const handleOf = (id: string): string => createHash('sha256').update(id).digest('base64url');

export function createSessions(options: SessionOptions) {
  const { store } = options;
  const now = options.now ?? Date.now;
  const touchEvery = Math.min(TOUCH_EVERY_MS, Math.floor(options.idleTtlMs / 4));
  const ttl = (record: SessionRecord, t: number): number => Math.min(options.idleTtlMs, record.createdAt + options.absoluteTtlMs - t);
  const view = (handle: string, record: SessionRecord): Session => ({ ...record, handle, expiresAt: Math.min(record.lastSeenAt + options.idleTtlMs, record.createdAt + options.absoluteTtlMs) });

  return {
    /** A new session with a fresh id (never reuse one: that is session fixation). */
    async create(userId: string, scope: string, tokenVersion: number): Promise<{ id: string; session: Session }> {
      const id = randomBytes(32).toString('base64url');
      const t = now();
      const record: SessionRecord = { userId, scope, csrf: randomBytes(32).toString('base64url'), tokenVersion, createdAt: t, lastSeenAt: t };
      await store.set(sessionKey(handleOf(id)), JSON.stringify(record), options.idleTtlMs);
      return { id, session: view(handleOf(id), record) };
    },

    /** The live session for an id, or undefined when unknown, timed out or ended. */
    async get(id: string): Promise<Session | undefined> {
      const handle = handleOf(id);
      const raw = await store.get(sessionKey(handle));
      if (raw === undefined) return undefined;
      const record = JSON.parse(raw) as SessionRecord;
      const t = now();
      if (t >= record.createdAt + options.absoluteTtlMs || t >= record.lastSeenAt + options.idleTtlMs) {
        await store.delete(sessionKey(handle));
        return undefined;
      }
      if (t - record.lastSeenAt >= touchEvery) {
        record.lastSeenAt = t;
        await store.set(sessionKey(handle), JSON.stringify(record), ttl(record, t));
      }
      return view(handle, record);
    },

    async destroy(id: string): Promise<void> {
      await store.delete(sessionKey(handleOf(id)));
    },

    /** Constant-time check of the synchronizer token sent back in X-CSRF-Token. */
    csrfMatches(session: Session, presented: string | undefined): boolean {
      if (presented === undefined) return false;
      const expected = Buffer.from(session.csrf);
      const given = Buffer.from(presented);
      return given.length === expected.length && timingSafeEqual(given, expected);
    },
  };
}

export type Sessions = ReturnType<typeof createSessions>;
