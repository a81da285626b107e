import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { after, before, describe, it } from 'node:test';
import { promisify } from 'node:util';
import {
  createMemoryStore, createRedisStore, openKeyValueStore,
} from '../../../src/toolkit/stores/index.ts';
import type { KeyValueStore, MemoryStore } from '../../../src/toolkit/stores/index.ts';
import { keyValueContract } from './kv-contract.ts';
import { createRedisPrefix, REDIS_URL, sleep } from './services.ts';
import { closeAll } from '../../helpers/close-all.ts';

keyValueContract('memory', () => {
  const store = createMemoryStore({ maxKeys: 10_000 });
  return Promise.resolve({ store, cleanup: () => store.close() });
});

keyValueContract('redis', async () => {
  const { prefix, cleanup } = await createRedisPrefix();
  const store = createRedisStore({ url: REDIS_URL, prefix });
  return { store, cleanup: async () => { await store.close(); await cleanup(); } };
});

void describe('memory store', () => {
  void it('stays within maxKeys when 10x as many distinct keys arrive, evicting the oldest', async () => {
    const store = createMemoryStore({ maxKeys: 100 });
    for (let i = 0; i < 1000; i++) {
      if (i % 2 === 0) await store.hit(`spray:${i}`, 60_000);
      else await store.set(`spray:${i}`, 'v', 60_000);
      assert.ok(store.size <= 100, `size ${store.size} after ${i + 1} keys`);
    }
    assert.equal(store.evictions, 900);
    assert.equal(await store.get('spray:0'), undefined);
    assert.equal(await store.get('spray:999'), 'v');
    await store.close();
  });

  void it('sweeps expired entries that are never read again', async () => {
    const store = createMemoryStore({ maxKeys: 1000, sweepIntervalMs: 20 });
    for (let i = 0; i < 50; i++) await store.set(`gone:${i}`, 'v', 10);
    await store.set('kept', 'v', 60_000);
    await sleep(120);
    assert.equal(store.size, 1);
    await store.close();
  });

  void it('rejects calls after close with ERR_STORE_CLOSED and drops its entries', async () => {
    const store = createMemoryStore({ maxKeys: 10 });
    await store.set('k', 'v', 1000);
    await store.close();
    assert.equal(store.size, 0);
    await assert.rejects(store.get('k'), { code: 'ERR_STORE_CLOSED' });
  });

  void it('does not keep the process alive (its sweep timer is unref-ed)', async () => {
    const module = new URL('../../../src/toolkit/stores/memory-store.ts', import.meta.url).href;
    const code = `import(${JSON.stringify(module)}).then((m) => { m.createMemoryStore({ maxKeys: 1, sweepIntervalMs: 100000 }); });`;
    await promisify(execFile)(process.execPath, ['--input-type=module', '-e', code], { timeout: 5000 });
  });

  void it('refuses a maxKeys that is not a positive integer', () => {
    for (const maxKeys of [0, -5, 1.5, Number.NaN]) {
      assert.throws(() => createMemoryStore({ maxKeys }), { code: 'ERR_STORE_INVALID_ARGUMENT' });
    }
  });
});

void describe('redis store', () => {
  let redis: Awaited<ReturnType<typeof createRedisPrefix>>;
  let cleanup: (() => Promise<void>) | undefined;
  before(async () => {
    redis = await createRedisPrefix();
    cleanup = redis.cleanup;
  });
  after(() => closeAll(cleanup));

  void it('isolates stores by prefix and stores every key under it with a TTL', async () => {
    const a = createRedisStore({ url: REDIS_URL, prefix: `${redis.prefix}a:` });
    const b = createRedisStore({ url: REDIS_URL, prefix: `${redis.prefix}b:` });
    await a.set('shared', 'from-a', 5000);
    await b.hit('shared', 5000);
    assert.equal(await a.get('shared'), 'from-a');
    assert.equal(await b.get('shared'), '1');
    assert.deepEqual((await redis.raw.keys(`${redis.prefix}*`)).sort(), [`${redis.prefix}a:shared`, `${redis.prefix}b:shared`]);
    for (const key of ['a:shared', 'b:shared']) {
      const ttl = await redis.raw.pttl(`${redis.prefix}${key}`);
      assert.ok(ttl > 0 && ttl <= 5000, `${key} ttl ${ttl}`);
    }
    await Promise.all([a.close(), b.close()]);
  });

  void it('gives a counter that lost its TTL a new window instead of counting forever', async () => {
    const store = createRedisStore({ url: REDIS_URL, prefix: redis.prefix });
    await redis.raw.set(`${redis.prefix}stuck`, '7');
    assert.deepEqual(await store.hit('stuck', 5000), { count: 8, resetInMs: 5000 });
    assert.ok((await redis.raw.pttl(`${redis.prefix}stuck`)) > 0);
    await store.close();
  });

  void it('rejects with ERR_STORE_UNAVAILABLE when Redis is unreachable, without crashing', async () => {
    const errors: Error[] = [];
    const store = createRedisStore({ url: 'redis://:hunter2@127.0.0.1:1', prefix: 'x:', onError: (e) => errors.push(e) });
    const error = await store.get('k').then(() => undefined, (e: unknown) => e);
    assert.equal((error as { code?: string }).code, 'ERR_STORE_UNAVAILABLE');
    assert.ok(!(error as Error).message.includes('hunter2'));
    assert.ok(errors.length > 0, 'connection errors reach onError');
    await store.close();
  });

  void it('rejects calls after close with ERR_STORE_CLOSED', async () => {
    const store = createRedisStore({ url: REDIS_URL, prefix: redis.prefix });
    await store.set('k', 'v', 1000);
    await store.close();
    await assert.rejects(store.get('k'), { code: 'ERR_STORE_CLOSED' });
  });

  void it('refuses an empty prefix', () => {
    assert.throws(() => createRedisStore({ url: REDIS_URL, prefix: '' }), { code: 'ERR_STORE_INVALID_ARGUMENT' });
  });
});

void describe('openKeyValueStore', () => {
  void it('uses memory without a Redis URL and Redis with one', async () => {
    const memory = openKeyValueStore({ maxKeys: 10 });
    assert.equal(typeof (memory as MemoryStore).size, 'number');
    await memory.close();
    const { prefix, cleanup } = await createRedisPrefix();
    const shared: KeyValueStore = openKeyValueStore({ redisUrl: REDIS_URL, maxKeys: 10, prefix });
    assert.equal((shared as Partial<MemoryStore>).size, undefined);
    await shared.set('k', 'v', 1000);
    assert.equal(await shared.get('k'), 'v');
    await shared.close();
    await cleanup();
  });

  void it('Security: refuses another scheme, naming it, without echoing credentials', () => {
    assert.throws(
      () => openKeyValueStore({ redisUrl: 'http://admin:hunter2@cache.internal:6379', maxKeys: 10 }),
      (error: Error & { code?: string }) =>
        error.code === 'ERR_STORE_UNSUPPORTED_URL' && error.message.includes('"http:"') &&
        !JSON.stringify({ m: error.message, s: error.stack }).includes('hunter2'),
    );
  });
});
