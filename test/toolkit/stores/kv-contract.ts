// The behaviour every KeyValueStore must have. Run once per implementation, so memory and
// Redis cannot drift apart.
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { after, before, describe, it } from 'node:test';
import { MAX_KEY_LENGTH } from '../../../src/toolkit/stores/index.ts';
import type { KeyValueStore } from '../../../src/toolkit/stores/index.ts';
import { sleep } from './services.ts';

export interface KvFixture {
  store: KeyValueStore;
  cleanup: () => Promise<void>;
}

/** A key no other test uses. */
const fresh = (label: string): string => `${label}:${randomBytes(6).toString('hex')}`;

const rejectsWith = (promise: Promise<unknown>, code: string): Promise<void> =>
  assert.rejects(promise, (error: { code?: unknown }) => error.code === code);

export function keyValueContract(name: string, open: () => Promise<KvFixture>): void {
  void describe(`KeyValueStore contract: ${name}`, () => {
    let fixture: KvFixture | undefined;
    let store: KeyValueStore;
    before(async () => {
      fixture = await open();
      store = fixture.store;
    });
    after(() => fixture?.cleanup()); // undefined when the service was unreachable

    void describe('hit (fixed-window counter)', () => {
      void it('counts hits within one window and reports the time left', async () => {
        const key = fresh('hit');
        const results = [await store.hit(key, 1000), await store.hit(key, 1000), await store.hit(key, 1000)];
        assert.deepEqual(results.map((r) => r.count), [1, 2, 3]);
        for (const r of results) assert.ok(r.resetInMs > 0 && r.resetInMs <= 1000, `resetInMs ${r.resetInMs}`);
      });

      void it('keeps the window anchored at the first hit, then starts again at 1', async () => {
        const key = fresh('window');
        await store.hit(key, 200);
        await sleep(120);
        const second = await store.hit(key, 200);
        assert.equal(second.count, 2);
        assert.ok(second.resetInMs <= 90, `window slid: resetInMs ${second.resetInMs}`);
        await sleep(second.resetInMs + 40);
        assert.deepEqual((await store.hit(key, 200)).count, 1);
      });

      void it('counts every one of 100 concurrent hits exactly once', async () => {
        const key = fresh('burst');
        const results = await Promise.all(Array.from({ length: 100 }, () => store.hit(key, 5000)));
        const counts = results.map((r) => r.count).sort((a, b) => a - b);
        assert.deepEqual(counts, Array.from({ length: 100 }, (_, i) => i + 1));
        assert.equal(await store.get(key), '100');
      });

      void it('rejects a hit on a key holding text with ERR_STORE_NOT_A_COUNTER', async () => {
        const key = fresh('text');
        await store.set(key, 'not a number', 1000);
        await rejectsWith(store.hit(key, 1000), 'ERR_STORE_NOT_A_COUNTER');
        assert.equal(await store.get(key), 'not a number');
      });
    });

    void describe('values with TTL', () => {
      void it('returns a value until its TTL passes, then nothing', async () => {
        const key = fresh('ttl');
        await store.set(key, 'v', 80);
        assert.equal(await store.get(key), 'v');
        await sleep(130);
        assert.equal(await store.get(key), undefined);
        assert.equal(await store.delete(key), false);
      });

      void it('set replaces both the value and the TTL', async () => {
        const key = fresh('replace');
        await store.set(key, 'old', 80);
        await store.set(key, 'new', 5000);
        await sleep(130);
        assert.equal(await store.get(key), 'new');
      });

      void it('round-trips values exactly, including empty, unicode and SQL-looking text', async () => {
        for (const value of ['', 'ä😀\u0000\n', "'); DROP TABLE x; --", 'x'.repeat(10_000)]) {
          const key = fresh('exact');
          await store.set(key, value, 5000);
          assert.equal(await store.get(key), value);
        }
      });

      void it('delete reports whether the key existed', async () => {
        const key = fresh('delete');
        await store.set(key, 'v', 5000);
        assert.equal(await store.delete(key), true);
        assert.equal(await store.delete(key), false);
        assert.equal(await store.get(key), undefined);
      });
    });

    void describe('Security: races on one-time values', () => {
      void it('setIfAbsent lets exactly one of 50 concurrent callers win, and keeps its value', async () => {
        const key = fresh('once');
        const won = await Promise.all(Array.from({ length: 50 }, (_, i) => store.setIfAbsent(key, `caller-${i}`, 5000)));
        assert.equal(won.filter(Boolean).length, 1);
        assert.equal(await store.get(key), `caller-${won.indexOf(true)}`);
      });

      void it('setIfAbsent succeeds again once the previous value expired', async () => {
        const key = fresh('expired');
        assert.equal(await store.setIfAbsent(key, 'a', 60), true);
        assert.equal(await store.setIfAbsent(key, 'b', 60), false);
        await sleep(110);
        assert.equal(await store.setIfAbsent(key, 'c', 5000), true);
        assert.equal(await store.get(key), 'c');
      });

      void it('take hands a value to exactly one of 50 concurrent callers and removes it', async () => {
        const key = fresh('take');
        await store.set(key, 'one-time', 5000);
        const taken = await Promise.all(Array.from({ length: 50 }, () => store.take(key)));
        assert.deepEqual(taken.filter((v) => v !== undefined), ['one-time']);
        assert.equal(await store.get(key), undefined);
      });
    });

    void describe('argument checks', () => {
      void it('rejects non-positive, fractional or non-finite TTLs with ERR_STORE_INVALID_ARGUMENT', async () => {
        for (const ttl of [0, -1, 1.5, Number.NaN, Number.POSITIVE_INFINITY]) {
          await rejectsWith(store.set(fresh('bad'), 'v', ttl), 'ERR_STORE_INVALID_ARGUMENT');
          await rejectsWith(store.hit(fresh('bad'), ttl), 'ERR_STORE_INVALID_ARGUMENT');
          await rejectsWith(store.setIfAbsent(fresh('bad'), 'v', ttl), 'ERR_STORE_INVALID_ARGUMENT');
        }
      });

      void it('rejects empty and oversized keys with ERR_STORE_INVALID_ARGUMENT', async () => {
        await rejectsWith(store.get(''), 'ERR_STORE_INVALID_ARGUMENT');
        await rejectsWith(store.hit('k'.repeat(MAX_KEY_LENGTH + 1), 1000), 'ERR_STORE_INVALID_ARGUMENT');
      });
    });
  });
}
