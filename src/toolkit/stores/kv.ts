// The key-value contract shared by the memory and Redis stores, plus the argument checks
// both run so that a misuse fails the same way on every backend.
import { StoreError } from './errors.ts';
import { assertPositiveInteger } from './validate.ts';

export interface HitResult {
  /** Hits in the current window, including this one. */
  count: number;
  /** Milliseconds until the window closes and the count starts again. */
  resetInMs: number;
}

export interface KeyValueStore {
  /** Fixed-window counter: atomically +1; the window starts at the first hit and lasts windowMs. */
  hit(key: string, windowMs: number): Promise<HitResult>;
  /**
   * The same as `hit`, synchronously, for stores in this process. The rate limiter runs on
   * every request and uses it when present: a promise per request cost ~4 µs (bench/).
   */
  hitSync?(key: string, windowMs: number): HitResult;
  get(key: string): Promise<string | undefined>;
  set(key: string, value: string, ttlMs: number): Promise<void>;
  /** Sets only when absent (atomic); true when this call set it. */
  setIfAbsent(key: string, value: string, ttlMs: number): Promise<boolean>;
  /** Atomically read and remove (one-time values). */
  take(key: string): Promise<string | undefined>;
  delete(key: string): Promise<boolean>;
  /** Resolves when the backing service answers (readiness); stores in this process have none. */
  ping?(): Promise<void>;
  close(): Promise<void>;
}

/** Keys come from request data (addresses, usernames); a cap keeps one key from costing megabytes. */
export const MAX_KEY_LENGTH = 1024;

export function assertKey(key: string): void {
  // typeof guards callers that bypass the types (plain JS, `as` casts).
  if (typeof key !== 'string' || key.length === 0 || key.length > MAX_KEY_LENGTH) {
    throw new StoreError(
      'ERR_STORE_INVALID_ARGUMENT',
      `key must be a string of 1 to ${MAX_KEY_LENGTH} characters`,
    );
  }
}

/** Checks a write. Every entry expires: a value without a TTL is a leak (in Redis, a permanent lockout). */
export function assertWrite(value: string, ttlMs: number): void {
  if (typeof value !== 'string') throw new StoreError('ERR_STORE_INVALID_ARGUMENT', 'value must be a string');
  assertPositiveInteger(ttlMs, 'ttlMs');
}
