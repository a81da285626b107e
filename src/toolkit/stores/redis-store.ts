// Key-value store shared by every instance through Redis. Each operation is one atomic
// command (or one Lua script), so N instances counting the same key never lose a hit.
import { Redis } from 'ioredis';
import { StoreError } from './errors.ts';
import { assertKey, assertWrite } from './kv.ts';
import type { HitResult, KeyValueStore } from './kv.ts';
import { parseUrl, redactUrl, unsupportedScheme } from './url.ts';
import { assertPositiveInteger } from './validate.ts';

export interface RedisStoreOptions {
  /** redis:// or rediss:// URL. */
  url: string;
  /** Prepended to every key, so several apps (or test runs) can share one Redis. */
  prefix: string;
  /** A command that gets no answer in this time rejects (default 500 ms): a hung Redis must not hang requests. */
  commandTimeoutMs?: number;
  /** Connection-level errors (reconnects, refused connections), e.g. for logging. */
  onError?: (error: Error) => void;
}

// INCR, then give the key its window only if it has no expiry yet. "No expiry" covers the
// new key and also heals a key that somehow lost its TTL, which would otherwise count forever.
const HIT_SCRIPT = `
local n = redis.call('INCR', KEYS[1])
local ttl = redis.call('PTTL', KEYS[1])
if ttl < 0 then
  redis.call('PEXPIRE', KEYS[1], ARGV[1])
  ttl = tonumber(ARGV[1])
end
return {n, ttl}`;

const REDIS_SCHEMES = ['redis:', 'rediss:'] as const;

interface WithHit {
  rampartHit(key: string, windowMs: number): Promise<[number, number]>;
}

export function createRedisStore(options: RedisStoreOptions): KeyValueStore {
  const { url, prefix, commandTimeoutMs = 500, onError } = options;
  if (typeof prefix !== 'string' || prefix.length === 0) {
    // An empty prefix would let us read or delete keys that belong to other software.
    throw new StoreError('ERR_STORE_INVALID_ARGUMENT', 'prefix must be a non-empty string');
  }
  assertPositiveInteger(commandTimeoutMs, 'commandTimeoutMs');
  const parsed = parseUrl(url, 'redis URL');
  if (!(REDIS_SCHEMES as readonly string[]).includes(parsed.protocol)) {
    throw unsupportedScheme('redis URL', parsed, REDIS_SCHEMES);
  }
  const where = redactUrl(url);

  const redis = new Redis(url, {
    // Queue commands while (re)connecting, but give up after one retry (and commandTimeout
    // bounds the wait), so an outage surfaces as rejected promises instead of piling up.
    // Reconnect attempts every second at most: service resumes within a second of Redis.
    maxRetriesPerRequest: 1,
    retryStrategy: (attempt) => Math.min(attempt * 100, 1000),
    connectTimeout: 5000,
    commandTimeout: commandTimeoutMs,
    // Commands issued in the same event-loop turn (a request's denylist reads, concurrent
    // requests' rate-limit counts) go out in one write and come back in one read.
    enableAutoPipelining: true,
  });
  // Without a listener, ioredis's 'error' events would crash the process.
  redis.on('error', (error: Error) => {
    onError?.(error);
  });
  // defineCommand sends the script once and then calls it by SHA (EVALSHA, with fallback).
  redis.defineCommand('rampartHit', { numberOfKeys: 1, lua: HIT_SCRIPT });
  const scripted = redis as unknown as WithHit;
  let closed = false;

  /** Checks the key and returns it prefixed; rejects after close(). */
  const k = (key: string): string => {
    if (closed) throw new StoreError('ERR_STORE_CLOSED', 'redis store is closed', { dependency: 'redis' });
    assertKey(key);
    return prefix + key;
  };

  const unavailable = (cause?: unknown): StoreError => new StoreError('ERR_STORE_UNAVAILABLE', `redis at ${where} did not complete the command`, { cause, dependency: 'redis' });
  // While the connection is known to be down (between reconnect attempts) a command fails at
  // once instead of queueing: requests are answered 503 without waiting. While connecting,
  // it queues, bounded by commandTimeout.
  const DOWN = new Set(['close', 'reconnecting', 'end']);

  // Every Redis failure becomes a StoreError with a code; the cause keeps ioredis's detail.
  const run = async <T>(command: () => Promise<T>): Promise<T> => {
    if (DOWN.has(redis.status)) throw unavailable();
    try {
      return await command();
    } catch (error) {
      if (error instanceof Error && error.message.includes('not an integer')) {
        throw new StoreError('ERR_STORE_NOT_A_COUNTER', 'key holds a value that is not a counter', { cause: error });
      }
      throw unavailable(error);
    }
  };

  return {
    async hit(key, windowMs): Promise<HitResult> {
      const full = k(key);
      assertPositiveInteger(windowMs, 'windowMs');
      const [count, resetInMs] = await run(() => scripted.rampartHit(full, windowMs));
      return { count, resetInMs };
    },

    async get(key) {
      const full = k(key);
      return (await run(() => redis.get(full))) ?? undefined;
    },

    async set(key, value, ttlMs) {
      const full = k(key);
      assertWrite(value, ttlMs);
      await run(() => redis.set(full, value, 'PX', ttlMs));
    },

    async setIfAbsent(key, value, ttlMs) {
      const full = k(key);
      assertWrite(value, ttlMs);
      return (await run(() => redis.set(full, value, 'PX', ttlMs, 'NX'))) === 'OK';
    },

    async take(key) {
      const full = k(key);
      return (await run(() => redis.getdel(full))) ?? undefined;
    },

    async delete(key) {
      const full = k(key);
      return (await run(() => redis.del(full))) > 0;
    },

    async ping() {
      if (closed) throw new StoreError('ERR_STORE_CLOSED', 'redis store is closed', { dependency: 'redis' });
      await run(() => redis.ping());
    },

    async close() {
      if (closed) return;
      closed = true;
      // QUIT lets queued replies arrive; when not connected there is nothing to wait for.
      if (redis.status === 'ready') {
        try {
          await redis.quit();
          return;
        } catch {
          // fall through to a hard disconnect
        }
      }
      redis.disconnect();
    },
  };
}
