// In-process key-value store for a single instance. `hit` runs on every request, so it does
// one Map lookup, mutates the entry in place and starts no timer. Memory is bounded by entry
// count: a client spraying fresh keys evicts the oldest entries instead of growing the heap.
/* eslint-disable @typescript-eslint/require-await --
   the methods are async without awaiting so that argument errors reject, as on Redis */
import { StoreError } from './errors.ts';
import { assertKey, assertWrite } from './kv.ts';
import type { HitResult, KeyValueStore } from './kv.ts';
import { assertPositiveInteger } from './validate.ts';

export interface MemoryStoreOptions {
  /** Hard bound on entries; at the bound the oldest inserted entry is evicted. */
  maxKeys: number;
  /** How often the background sweep runs (default 10 s). */
  sweepIntervalMs?: number;
}

export interface MemoryStore extends KeyValueStore {
  /** Entries held now, expired-but-unswept ones included. Never above maxKeys. */
  readonly size: number;
  /** Entries dropped to respect maxKeys; a rising count under load signals key spraying. */
  readonly evictions: number;
}

// A counter keeps its count as a number so `hit` never allocates a string; a plain value
// keeps `value`. `get` on a counter answers the count as text, exactly as Redis would.
interface Entry {
  value: string | undefined;
  count: number;
  expiresAt: number;
}

/** Entries examined per sweep tick: bounds the pause however large the map is. */
const SWEEP_BATCH = 10_000;
const INTEGER = /^-?\d+$/;

export function createMemoryStore(options: MemoryStoreOptions): MemoryStore {
  const { maxKeys, sweepIntervalMs = 10_000 } = options;
  assertPositiveInteger(maxKeys, 'maxKeys');
  assertPositiveInteger(sweepIntervalMs, 'sweepIntervalMs');

  const entries = new Map<string, Entry>();
  let evictions = 0;
  let closed = false;
  // performance.now() is monotonic: a wall-clock jump cannot stretch or cut a window.
  const now = (): number => performance.now();

  // Each tick resumes where the last stopped (Map iterators tolerate deletes).
  let cursor: MapIterator<[string, Entry]> | undefined;
  const timer = setInterval(() => {
    const t = now();
    cursor ??= entries.entries();
    for (let i = 0; i < SWEEP_BATCH; i++) {
      const next = cursor.next();
      if (next.done === true) {
        cursor = undefined;
        return;
      }
      if (next.value[1].expiresAt <= t) entries.delete(next.value[0]);
    }
  }, sweepIntervalMs);
  timer.unref();

  const check = (key: string): void => {
    if (closed) throw new StoreError('ERR_STORE_CLOSED', 'memory store is closed');
    assertKey(key);
  };

  /** Checks the call and returns the key's live entry, dropping it if expired. */
  const live = (key: string, t: number): Entry | undefined => {
    check(key);
    const entry = entries.get(key);
    if (entry === undefined || entry.expiresAt > t) return entry;
    entries.delete(key);
    return undefined;
  };

  // New keys always go to the end of the Map (set() deletes first), so the first key is the
  // oldest write and the one to evict.
  const insert = (key: string, value: string | undefined, count: number, expiresAt: number): void => {
    while (entries.size >= maxKeys) {
      const oldest = entries.keys().next().value;
      if (oldest === undefined) break;
      entries.delete(oldest);
      evictions++;
    }
    entries.set(key, { value, count, expiresAt });
  };

  function hitNow(key: string, windowMs: number): HitResult {
    const t = now();
    const entry = live(key, t);
    assertPositiveInteger(windowMs, 'windowMs');
    if (entry === undefined) {
      insert(key, undefined, 1, t + windowMs);
      return { count: 1, resetInMs: windowMs };
    }
    if (entry.value !== undefined) {
      // Like Redis INCR: a value that reads as an integer becomes a counter, keeping its TTL.
      const n = Number(entry.value);
      if (!INTEGER.test(entry.value) || !Number.isSafeInteger(n)) {
        throw new StoreError('ERR_STORE_NOT_A_COUNTER', 'key holds a value that is not a counter');
      }
      entry.value = undefined;
      entry.count = n;
    }
    entry.count++;
    return { count: entry.count, resetInMs: Math.max(0, Math.ceil(entry.expiresAt - t)) };
  }

  return {
    get size() {
      return entries.size;
    },
    get evictions() {
      return evictions;
    },

    async hit(key, windowMs): Promise<HitResult> {
      return hitNow(key, windowMs);
    },

    hitSync: (key, windowMs) => hitNow(key, windowMs),

    async get(key) {
      const entry = live(key, now());
      return entry === undefined ? undefined : (entry.value ?? String(entry.count));
    },

    async set(key, value, ttlMs) {
      check(key);
      assertWrite(value, ttlMs);
      entries.delete(key);
      insert(key, value, 0, now() + ttlMs);
    },

    async setIfAbsent(key, value, ttlMs) {
      const t = now();
      const taken = live(key, t) !== undefined;
      assertWrite(value, ttlMs);
      if (!taken) insert(key, value, 0, t + ttlMs);
      return !taken;
    },

    async take(key) {
      const entry = live(key, now());
      if (entry === undefined) return undefined;
      entries.delete(key);
      return entry.value ?? String(entry.count);
    },

    async delete(key) {
      const existed = live(key, now()) !== undefined;
      entries.delete(key);
      return existed;
    },

    async close() {
      closed = true;
      clearInterval(timer);
      entries.clear();
      cursor = undefined;
    },
  };
}
