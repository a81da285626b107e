// The login throttle, run once per key-value backend: the same attacks must meet the same
// 429 on a single instance (memory) and on N instances sharing Redis.
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { after, before, describe, it } from 'node:test';
import { accountKey, addressKey, createLoginThrottle } from '../../../src/toolkit/auth/throttle.ts';
import type { LoginThrottle, LoginThrottleOptions } from '../../../src/toolkit/auth/throttle.ts';
import { HttpProblem } from '../../../src/toolkit/errors/problem.ts';
import { createMemoryStore, createRedisStore } from '../../../src/toolkit/stores/index.ts';
import type { KeyValueStore } from '../../../src/toolkit/stores/index.ts';
import { createRedisPrefix, REDIS_URL, sleep } from '../stores/services.ts';
import { closeAll } from '../../helpers/close-all.ts';

interface Fixture {
  store: KeyValueStore;
  cleanup: () => Promise<void>;
}

/** Names and addresses no other test uses, so every test starts from zero on a shared store. */
const freshUser = (): string => `user-${randomBytes(6).toString('hex')}`;
const freshIp = (): string => `10.${[...randomBytes(3)].join('.')}`;

/** The 429 that check() throws, or undefined when it lets the attempt through. */
async function refusal(throttle: LoginThrottle, username: string, clientIp: string): Promise<HttpProblem | undefined> {
  try {
    await throttle.check(username, clientIp);
    return undefined;
  } catch (error) {
    assert.ok(error instanceof HttpProblem, `check threw ${String(error)}`);
    return error;
  }
}

/** A login attempt with a wrong password, as the route does it: check first, then count the failure. */
async function attempt(throttle: LoginThrottle, username: string, clientIp: string): Promise<'refused' | 'locked' | 'failed'> {
  if ((await refusal(throttle, username, clientIp)) !== undefined) return 'refused';
  return (await throttle.fail(username, clientIp)).locked ? 'locked' : 'failed';
}

function retryAfter(problem: HttpProblem | undefined): number {
  assert.ok(problem !== undefined, 'expected a 429');
  const header = problem.headers['retry-after'] ?? '';
  assert.match(header, /^[1-9]\d*$/);
  return Number(header);
}

function throttleContract(name: string, open: () => Promise<Fixture>): void {
  void describe(`login throttle: ${name}`, () => {
    let fixture: Fixture | undefined;
    before(async () => {
      fixture = await open();
    });
    after(() => closeAll(() => fixture?.cleanup()));

    const throttle = (options: Partial<LoginThrottleOptions> = {}): LoginThrottle =>
      createLoginThrottle({ store: fixture!.store, ...options });

    void it('lets limit attempts through and refuses the next one at check', async () => {
      const t = throttle({ account: { limit: 3, windowSeconds: 60 } });
      const user = freshUser();
      const ip = freshIp();
      const outcomes = [];
      for (let i = 0; i < 5; i++) outcomes.push(await attempt(t, user, ip));
      assert.deepEqual(outcomes, ['failed', 'failed', 'locked', 'refused', 'refused']);
      assert.equal(await fixture!.store.get(accountKey(user)), '3');
    });

    void it('refuses a locked account from every address, and other accounts from the same address still pass', async () => {
      const t = throttle({ account: { limit: 3, windowSeconds: 60 } });
      const user = freshUser();
      const ip = freshIp();
      for (let i = 0; i < 3; i++) await t.fail(user, ip);
      for (const other of [freshIp(), freshIp(), '2001:db8::1']) assert.ok(await refusal(t, user, other), `${other} passed`);
      assert.equal(await refusal(t, freshUser(), ip), undefined);
    });

    void it('refuses every username from an address that reached the address limit, and only from it', async () => {
      const t = throttle({ address: { limit: 4, windowSeconds: 60 } });
      const ip = freshIp();
      const results = [];
      for (let i = 0; i < 4; i++) results.push((await t.fail(freshUser(), ip)).locked);
      assert.deepEqual(results, [false, false, false, true]);
      assert.ok(await refusal(t, freshUser(), ip));
      assert.equal(await refusal(t, freshUser(), freshIp()), undefined);
    });

    void it('reports the later of two locks in Retry-After', async () => {
      const t = throttle({ account: { limit: 1, windowSeconds: 60 }, address: { limit: 1, windowSeconds: 300 } });
      const user = freshUser();
      const ip = freshIp();
      await t.fail(user, ip);
      const seconds = retryAfter(await refusal(t, user, ip));
      assert.ok(seconds > 290 && seconds <= 300, `Retry-After ${seconds}`);
      const accountOnly = retryAfter(await refusal(t, user, freshIp()));
      assert.ok(accountOnly > 50 && accountOnly <= 60, `Retry-After ${accountOnly}`);
    });

    void it('lifts the lock when its window ends and counts from zero again', async () => {
      const t = throttle({ account: { limit: 2, windowSeconds: 1 }, address: { limit: 2, windowSeconds: 1 } });
      const user = freshUser();
      const ip = freshIp();
      assert.deepEqual([await attempt(t, user, ip), await attempt(t, user, ip)], ['failed', 'locked']);
      assert.equal(retryAfter(await refusal(t, user, ip)), 1);
      await sleep(1100);
      assert.equal(await refusal(t, user, ip), undefined);
      assert.deepEqual(await t.fail(user, ip), { locked: false });
      assert.equal(await fixture!.store.get(accountKey(user)), '1');
      assert.equal(await fixture!.store.get(addressKey(ip)), '1');
    });

    void it('clears the account counter on success but keeps the address counter', async () => {
      const t = throttle({ account: { limit: 3, windowSeconds: 60 }, address: { limit: 4, windowSeconds: 60 } });
      const user = freshUser();
      const ip = freshIp();
      await t.fail(user, ip);
      await t.fail(user, ip);
      await t.succeed(user);
      assert.equal(await fixture!.store.get(accountKey(user)), undefined);
      assert.equal(await fixture!.store.get(addressKey(ip)), '2');
      assert.deepEqual([await t.fail(user, ip), await t.fail(user, ip)], [{ locked: false }, { locked: true }]);
      assert.equal(await refusal(t, user, freshIp()), undefined, 'the account counted from zero after success');
      assert.ok(await refusal(t, freshUser(), ip), 'the address kept its count');
    });

    void it('validates its rules at construction with a message naming the field', () => {
      const store = fixture!.store;
      assert.throws(() => createLoginThrottle({ store, account: { limit: 0, windowSeconds: 60 } }), /account\.limit must be a positive integer/);
      assert.throws(() => createLoginThrottle({ store, address: { limit: 5, windowSeconds: 0.5 } }), /address\.windowSeconds must be a positive integer/);
      assert.throws(
        () => createLoginThrottle({ store, account: { limit: 5, window: 60 } as unknown as { limit: number; windowSeconds: number } }),
        /unsupported property `window`/,
      );
    });

    void describe('Security: account enumeration', () => {
      void it('treats a username that has logged in and one that never existed identically', async () => {
        const t = throttle({ account: { limit: 3, windowSeconds: 60 } });
        const known = freshUser();
        const unknown = freshUser();
        await t.succeed(known); // what the route calls after this user's last good login
        const run = async (user: string) => {
          const ip = freshIp();
          const outcomes = [];
          for (let i = 0; i < 4; i++) outcomes.push(await attempt(t, user, ip));
          return { outcomes, body: JSON.stringify(await refusal(t, user, ip)) };
        };
        assert.deepEqual(await run(known), await run(unknown));
      });

      void it('answers two different locked keys with byte-identical 429 bodies and an integer Retry-After', async () => {
        const t = throttle({ account: { limit: 2, windowSeconds: 60 }, address: { limit: 2, windowSeconds: 120 } });
        const lockedUser = freshUser();
        await t.fail(lockedUser, freshIp());
        await t.fail(lockedUser, freshIp());
        const lockedIp = freshIp();
        await t.fail(freshUser(), lockedIp);
        await t.fail(freshUser(), lockedIp);
        const byAccount = await refusal(t, lockedUser, freshIp());
        const byAddress = await refusal(t, freshUser(), lockedIp);
        assert.ok(byAccount !== undefined && byAddress !== undefined);
        assert.equal(byAccount.status, 429);
        assert.equal(byAddress.status, 429);
        assert.equal(JSON.stringify(byAccount), JSON.stringify(byAddress));
        assert.deepEqual(byAccount.toJSON(), {
          type: 'tag:rampart.dev,2026:problem:too-many-attempts',
          title: 'Too many attempts',
          status: 429,
          detail: 'Too many failed attempts. Retry after the time in Retry-After.',
        });
        assert.ok(retryAfter(byAccount) >= 1 && retryAfter(byAddress) >= 1);
        assert.deepEqual(Object.keys(byAccount.headers), ['retry-after']);
      });

      void it('counts case and NFKC variants of a username as one account', async () => {
        const t = throttle({ account: { limit: 3, windowSeconds: 60 } });
        const outcomes = [];
        for (const variant of ['Alice', 'ALICE', 'ａｌｉｃｅ']) outcomes.push(await attempt(t, variant, freshIp()));
        assert.deepEqual(outcomes, ['failed', 'failed', 'locked']);
        for (const variant of ['alice', 'ＡＬＩＣＥ', 'aLiCe']) assert.ok(await refusal(t, variant, freshIp()), `${variant} passed`);
        assert.equal(await fixture!.store.get(accountKey('alice')), '3');
      });

      void it('stores accounts under fixed-length hashed keys, whatever the username', async () => {
        const t = throttle();
        const odd = `${'ü'.repeat(5000)}\r\n* $ {}:\u0000`;
        await t.fail(odd, freshIp());
        assert.match(accountKey(odd), /^login:acct:[0-9a-f]{64}$/);
        assert.equal(await fixture!.store.get(accountKey(odd)), '1');
      });
    });

    void describe('Security: credential stuffing', () => {
      void it('stops 25 usernames tried from one address at the address limit (20)', async () => {
        const t = throttle();
        const ip = freshIp();
        const outcomes = [];
        for (let i = 0; i < 25; i++) outcomes.push(await attempt(t, freshUser(), ip));
        assert.equal(outcomes.filter((o) => o !== 'refused').length, 20);
        assert.deepEqual(outcomes.slice(19), ['locked', 'refused', 'refused', 'refused', 'refused', 'refused']);
      });

      void it('stops one account tried from 50 addresses at the account limit (5)', async () => {
        const t = throttle();
        const user = freshUser();
        const outcomes = [];
        for (let i = 0; i < 50; i++) outcomes.push(await attempt(t, user, freshIp()));
        assert.deepEqual(outcomes.slice(0, 6), ['failed', 'failed', 'failed', 'failed', 'locked', 'refused']);
        assert.equal(outcomes.filter((o) => o === 'refused').length, 45);
      });

      void it('counts a whole IPv6 /64 as one address, so rotating addresses inside it does not help', async () => {
        const t = throttle({ address: { limit: 3, windowSeconds: 60 } });
        const net = `2001:db8:${randomBytes(2).toString('hex')}:1`;
        const outcomes = [];
        for (let i = 1; i <= 4; i++) outcomes.push(await attempt(t, freshUser(), `${net}::${i.toString(16)}`));
        assert.deepEqual(outcomes, ['failed', 'failed', 'locked', 'refused']);
      });

      void it('creates one lock, reported once, when concurrent failures pass the limit together', async () => {
        const t = throttle({ account: { limit: 3, windowSeconds: 60 } });
        const user = freshUser();
        const results = await Promise.all(Array.from({ length: 10 }, () => t.fail(user, freshIp())));
        assert.equal(results.filter((r) => r.locked).length, 1);
        assert.ok(await refusal(t, user, freshIp()));
      });
    });
  });
}

throttleContract('memory', () => {
  const store = createMemoryStore({ maxKeys: 10_000 });
  return Promise.resolve({ store, cleanup: () => store.close() });
});

throttleContract('redis', async () => {
  const { prefix, cleanup } = await createRedisPrefix();
  const store = createRedisStore({ url: REDIS_URL, prefix });
  return { store, cleanup: async () => { await store.close(); await cleanup(); } };
});
