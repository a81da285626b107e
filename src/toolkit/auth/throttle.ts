// Brute-force defence for password logins: failures are counted per account and per client
// address; a key that reaches its limit is locked until one window has passed. The lock always
// expires (never a permanent lockout an attacker could impose), and the throttle never knows
// whether an account exists, so its answers cannot be used to enumerate users.
import { createHash } from 'node:crypto';
import { isIP } from 'node:net';
import { HttpProblem } from '../errors/problem.ts';
import { clientKey } from '../limits/rate-limit.ts';
import type { KeyValueStore } from '../stores/index.ts';
import { canonicalUsername } from './username.ts';

export interface ThrottleRule {
  limit: number;
  windowSeconds: number;
}

export interface LoginThrottle {
  /**
   * Throws the 429 HttpProblem when the account or the address is currently over its limit.
   * Call BEFORE checking the password, so while limited the right password, a wrong one and an
   * unknown user all get the same 429.
   */
  check(username: string, clientIp: string): Promise<void>;
  /** Counts one failure for both keys; `locked` is true when this failure reached a limit (record an `account_locked` event). */
  fail(username: string, clientIp: string): Promise<{ locked: boolean }>;
  /** After a successful login: clears the account's failure counter (not the address's). */
  succeed(username: string): Promise<void>;
}

export interface LoginThrottleOptions {
  store: KeyValueStore;
  /** Failures per username (default 5 per 900 s). */
  account?: ThrottleRule;
  /** Failures per client address, whatever the username (default 20 per 900 s). */
  address?: ThrottleRule;
  now?: () => number;
}

export const DEFAULT_ACCOUNT_RULE: ThrottleRule = { limit: 5, windowSeconds: 900 };
export const DEFAULT_ADDRESS_RULE: ThrottleRule = { limit: 20, windowSeconds: 900 };

interface CompiledRule {
  limit: number;
  windowMs: number;
}

function compileRule(rule: ThrottleRule, name: string): CompiledRule {
  for (const key of Object.keys(rule)) {
    if (key !== 'limit' && key !== 'windowSeconds') {
      throw new TypeError(`login throttle: ${name} received an unsupported property \`${key}\`; expected limit and windowSeconds`);
    }
  }
  for (const field of ['limit', 'windowSeconds'] as const) {
    const value = rule[field];
    if (!Number.isSafeInteger(value) || value < 1) {
      throw new TypeError(`login throttle: ${name}.${field} must be a positive integer, received ${String(value)}`);
    }
  }
  return { limit: rule.limit, windowMs: rule.windowSeconds * 1000 };
}

/** The same body for every locked key and every caller: it says nothing about the account. */
const tooManyAttempts = (retryAfterSeconds: number): HttpProblem =>
  new HttpProblem(429, {
    slug: 'too-many-attempts',
    title: 'Too many attempts',
    detail: 'Too many failed attempts. Retry after the time in Retry-After.',
    headers: { 'retry-after': String(retryAfterSeconds) },
  });

const sha256 = (text: string): string => createHash('sha256').update(text).digest('hex');

/**
 * The canonical user name (the very form the account lookup uses, see username.ts), hashed:
 * bounded and Redis-safe. Every spelling that reaches an account counts against that account.
 */
export function accountKey(username: string): string {
  return 'login:acct:' + sha256(canonicalUsername(username));
}

/** IPv6 counts per /64 (one subscriber's block), as the rate limiter does; anything not an IP is hashed. */
export function addressKey(clientIp: string): string {
  return 'login:addr:' + (isIP(clientIp) === 0 ? 'h:' + sha256(clientIp) : clientKey(clientIp));
}

const lockKey = (key: string): string => key + ':lock';

function assertText(value: unknown, name: string): void {
  if (typeof value !== 'string') throw new TypeError(`login throttle: ${name} must be a string`);
}

export function createLoginThrottle(options: LoginThrottleOptions): LoginThrottle {
  const { store, now = Date.now } = options;
  const account = compileRule(options.account ?? DEFAULT_ACCOUNT_RULE, 'account');
  const address = compileRule(options.address ?? DEFAULT_ADDRESS_RULE, 'address');

  /** Ms until the lock on `key` ends, or 0 when it is not locked. */
  const lockedFor = async (key: string, rule: CompiledRule): Promise<number> => {
    const value = await store.get(lockKey(key));
    if (value === undefined) return 0;
    const endsAt = Number(value);
    // Only we write this key; if it ever holds something else, fail closed for one window.
    if (!Number.isFinite(endsAt)) return rule.windowMs;
    return Math.max(0, endsAt - now());
  };

  /** Counts a failure on `key`; when it reaches the limit, locks the key for one window. */
  const count = async (key: string, rule: CompiledRule): Promise<boolean> => {
    const { count: failures } = await store.hit(key, rule.windowMs);
    if (failures < rule.limit) return false;
    // setIfAbsent: concurrent failures past the limit create one lock, reported once, and a
    // failure while locked does not extend it.
    return store.setIfAbsent(lockKey(key), String(now() + rule.windowMs), rule.windowMs);
  };

  return {
    async check(username, clientIp) {
      assertText(username, 'username');
      assertText(clientIp, 'clientIp');
      const [accountMs, addressMs] = await Promise.all([
        lockedFor(accountKey(username), account),
        lockedFor(addressKey(clientIp), address),
      ]);
      const ms = Math.max(accountMs, addressMs);
      if (ms > 0) throw tooManyAttempts(Math.max(1, Math.ceil(ms / 1000)));
    },

    async fail(username, clientIp) {
      assertText(username, 'username');
      assertText(clientIp, 'clientIp');
      const [accountLocked, addressLocked] = await Promise.all([
        count(accountKey(username), account),
        count(addressKey(clientIp), address),
      ]);
      return { locked: accountLocked || addressLocked };
    },

    async succeed(username) {
      assertText(username, 'username');
      await store.delete(accountKey(username));
    },
  };
}
