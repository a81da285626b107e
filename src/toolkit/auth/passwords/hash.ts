// Password hashing: argon2id at OWASP's parameters, with a bounded number of hashes in flight
// and a bounded queue. Passwords never reach an error, a log line or an exception message.
import { randomBytes } from 'node:crypto';
import { hash as argon2Hash, parseOptions, verify as argon2Verify } from '@node-rs/argon2';
import type { Algorithm, Version } from '@node-rs/argon2';
import { HttpProblem } from '../../errors/problem.ts';
import { createLimiter } from './limiter.ts';
import { normalizePassword } from './normalize.ts';

// The library declares Algorithm and Version as ambient `const enum`s, whose members erasable
// TypeScript may not read; these are their values from its index.d.ts. The tests pin them by
// checking the PHC string a hash produces (`$argon2id$v=19$`).
/* eslint-disable @typescript-eslint/no-unsafe-enum-assignment -- the enums' own values, see above */
export const ARGON2D = 0 as Algorithm;
export const ARGON2I = 1 as Algorithm;
export const ARGON2ID = 2 as Algorithm;
const VERSION_0X10 = 0 as Version;
const VERSION_0X13 = 1 as Version;
/* eslint-enable @typescript-eslint/no-unsafe-enum-assignment */

export interface Argon2Params {
  readonly algorithm: Algorithm;
  /** Argon2 version 0x13 (`v=19`), the current one. */
  readonly version: Version;
  /** KiB of memory (`m=`). */
  readonly memoryCost: number;
  /** Passes over memory (`t=`). */
  readonly timeCost: number;
  /** Lanes (`p=`). */
  readonly parallelism: number;
}

/**
 * OWASP Password Storage Cheat Sheet, first argon2id option: m=19 MiB, t=2, p=1. Set in full
 * here because the library's defaults are its own choice and could change under us.
 */
export const ARGON2_PARAMS: Argon2Params = Object.freeze({
  algorithm: ARGON2ID,
  version: VERSION_0X13,
  memoryCost: 19456,
  timeCost: 2,
  parallelism: 1,
});

/** The library's output and salt lengths (bytes); a stored hash with shorter ones is weaker. */
const MIN_OUTPUT_BYTES = 32;
const MIN_SALT_BYTES = 16;
/** Longer than any PHC string we write (about 100 characters): refused before parsing. */
const MAX_STORED_HASH_LENGTH = 512;

export interface PasswordHasher {
  /** NFKC-normalises, then hashes with ARGON2_PARAMS. */
  hash(password: string): Promise<string>;
  /** NFKC-normalises; false on mismatch or on a malformed stored hash (never throws for those). */
  verify(storedHash: string, password: string): Promise<boolean>;
  /** True when the stored hash used weaker parameters (or another algorithm) than ARGON2_PARAMS: re-hash on the next successful login. */
  needsRehash(storedHash: string): boolean;
  /** Verifies against a fixed dummy hash made once at startup with ARGON2_PARAMS, so a login for an unknown user costs the same time as a real one. Always resolves false. */
  verifyDummy(password: string): Promise<false>;
  /** Hashes currently running and waiting (for metrics/tests). */
  readonly inFlight: number;
  readonly queued: number;
}

export interface PasswordHasherOptions {
  /** Argon2 computations running at once (default 2: one per core on a 2-core machine). */
  maxInFlight?: number;
  /** Calls waiting for a slot (default 64); beyond that a call rejects at once with 503. */
  maxQueued?: number;
  /**
   * Overrides of ARGON2_PARAMS. Stronger values raise the bar `needsRehash` measures against;
   * weaker ones exist for tests and produce hashes that `needsRehash` reports as weak.
   */
  params?: Partial<Argon2Params>;
}

const DEFAULT_MAX_IN_FLIGHT = 2;
const DEFAULT_MAX_QUEUED = 64;

function busy(): HttpProblem {
  return new HttpProblem(503, { detail: 'The server is busy; retry after the time in Retry-After.', headers: { 'retry-after': '1' } });
}

function unusable(detail: string): HttpProblem {
  return new HttpProblem(400, { slug: 'invalid-password', title: 'Password not accepted', detail });
}

export function createPasswordHasher(options: PasswordHasherOptions = {}): PasswordHasher {
  const maxInFlight = checkCount('maxInFlight', options.maxInFlight ?? DEFAULT_MAX_IN_FLIGHT, 1);
  const maxQueued = checkCount('maxQueued', options.maxQueued ?? DEFAULT_MAX_QUEUED, 0);
  const params = resolveParams(options.params ?? {});
  // The bar for needsRehash: never below OWASP's, raised by stronger configured values.
  const floor = {
    memoryCost: Math.max(ARGON2_PARAMS.memoryCost, params.memoryCost),
    timeCost: Math.max(ARGON2_PARAMS.timeCost, params.timeCost),
    parallelism: Math.max(ARGON2_PARAMS.parallelism, params.parallelism),
  };
  const limiter = createLimiter(maxInFlight, maxQueued, busy);
  const dummyHash = dummyHashFor(params);

  /** Runs argon2 verify in a slot; only "busy" escapes, every library error means "no match". */
  async function verifyInSlot(storedHash: string | Promise<string>, normalized: string): Promise<boolean> {
    try {
      return await limiter.run(async () => argon2Verify(await storedHash, normalized));
    } catch (error) {
      if (error instanceof HttpProblem) throw error;
      return false;
    }
  }

  return {
    async hash(password: string): Promise<string> {
      const normalized = normalizePassword(password);
      if (normalized === undefined) {
        throw unusable(typeof password === 'string' && password.isWellFormed()
          ? 'The password is longer than the server accepts.'
          : 'The password is not valid Unicode text.');
      }
      return limiter.run(() => argon2Hash(normalized, params));
    },

    async verify(storedHash: string, password: string): Promise<boolean> {
      const normalized = normalizePassword(password);
      if (normalized === undefined || parseStored(storedHash) === undefined) return false;
      return verifyInSlot(storedHash, normalized);
    },

    needsRehash(storedHash: string): boolean {
      const stored = parseStored(storedHash);
      return stored === undefined
        || stored.algorithm !== ARGON2ID
        || stored.version !== VERSION_0X13
        || stored.memoryCost < floor.memoryCost
        || stored.timeCost < floor.timeCost
        || stored.parallelism < floor.parallelism
        || stored.outputLen < MIN_OUTPUT_BYTES
        || stored.saltLen < MIN_SALT_BYTES;
    },

    async verifyDummy(password: string): Promise<false> {
      // Same early exits as verify, so both paths of a login take the same route for the same input.
      const normalized = normalizePassword(password);
      if (normalized === undefined) return false;
      await verifyInSlot(dummyHash, normalized);
      return false;
    },

    get inFlight() {
      return limiter.active;
    },
    get queued() {
      return limiter.waiting;
    },
  };
}

type ParsedHash = ReturnType<typeof parseOptions>;

/** The parameters of an argon2 PHC string, or undefined for anything else. */
function parseStored(storedHash: unknown): ParsedHash | undefined {
  if (typeof storedHash !== 'string' || storedHash.length > MAX_STORED_HASH_LENGTH || !storedHash.startsWith('$argon2')) return undefined;
  try {
    return parseOptions(storedHash);
  } catch {
    return undefined;
  }
}

/**
 * One dummy hash per parameter set per process, started when the first hasher is created so it
 * is ready before the first login; a hash of random bytes that no password can match.
 */
const dummyHashes = new Map<string, Promise<string>>();

function dummyHashFor(params: Argon2Params): Promise<string> {
  const key = JSON.stringify(params);
  let dummy = dummyHashes.get(key);
  if (dummy === undefined) {
    dummy = argon2Hash(randomBytes(32), params);
    // Not expected (params are validated); verifyDummy would still resolve false. Not "unhandled".
    dummy.catch(() => undefined);
    dummyHashes.set(key, dummy);
  }
  return dummy;
}

const PARAM_NAMES = new Set(Object.keys(ARGON2_PARAMS));

function resolveParams(overrides: Partial<Argon2Params>): Argon2Params {
  const unknown = Object.keys(overrides).filter((name) => !PARAM_NAMES.has(name));
  if (unknown.length > 0) {
    throw new TypeError(`createPasswordHasher: unsupported params ${unknown.map((n) => `\`${n}\``).join(', ')}; supported: ${[...PARAM_NAMES].join(', ')}.`);
  }
  const defined = Object.fromEntries(Object.entries(overrides).filter(([, value]: [string, unknown]) => value !== undefined)) as Partial<Argon2Params>;
  const params: Argon2Params = { ...ARGON2_PARAMS, ...defined };
  checkCount('params.memoryCost', params.memoryCost, 8);
  checkCount('params.timeCost', params.timeCost, 1);
  checkCount('params.parallelism', params.parallelism, 1);
  if (![ARGON2D, ARGON2I, ARGON2ID].includes(params.algorithm)) {
    throw new TypeError('createPasswordHasher: params.algorithm must be ARGON2ID, ARGON2I or ARGON2D (ARGON2ID is the one to use).');
  }
  if (![VERSION_0X10, VERSION_0X13].includes(params.version)) {
    throw new TypeError('createPasswordHasher: params.version must be 0 (0x10) or 1 (0x13, the one to use).');
  }
  return Object.freeze(params);
}

function checkCount(name: string, value: unknown, min: number): number {
  if (typeof value !== 'number' || !Number.isSafeInteger(value) || value < min) {
    throw new RangeError(`createPasswordHasher: ${name} must be an integer >= ${min}; received ${String(value)}.`);
  }
  return value;
}
