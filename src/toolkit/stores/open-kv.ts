// Picks the key-value backend from configuration: Redis when a URL is given (state shared by
// every instance), memory otherwise (single instance). Callers only ever see KeyValueStore.
import type { KeyValueStore } from './kv.ts';
import { createMemoryStore } from './memory-store.ts';
import { createRedisStore } from './redis-store.ts';

export interface OpenKeyValueStoreOptions {
  /** redis:// or rediss://; when absent the store lives in this process's memory. */
  redisUrl?: string | undefined;
  /** Entry bound for the memory store. */
  maxKeys: number;
  /** Key prefix in Redis (default "rampart:"). */
  prefix?: string;
  onError?: (error: Error) => void;
}

export function openKeyValueStore(options: OpenKeyValueStoreOptions): KeyValueStore {
  const { redisUrl, maxKeys, prefix = 'rampart:', onError } = options;
  if (redisUrl === undefined || redisUrl === '') return createMemoryStore({ maxKeys });
  return createRedisStore({ url: redisUrl, prefix, onError });
}
