// Fresh, private resources on the real PostgreSQL and Redis for one test run, and their
// removal. CI guarantees both services: when one is missing we fail loudly, never skip.
import { randomBytes } from 'node:crypto';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Redis } from 'ioredis';
import pg from 'pg';

export const POSTGRES_ADMIN_URL = process.env.RAMPART_TEST_POSTGRES_URL ?? 'postgres://postgres@127.0.0.1:5432/test';
export const REDIS_URL = process.env.RAMPART_TEST_REDIS_URL ?? 'redis://127.0.0.1:6379';

/** pid + random: parallel runs and leftovers from a crashed run never collide. */
export function uniqueName(): string {
  return `${process.pid}_${randomBytes(4).toString('hex')}`;
}

async function withAdmin<T>(work: (client: pg.Client) => Promise<T>): Promise<T> {
  const client = new pg.Client({ connectionString: POSTGRES_ADMIN_URL, connectionTimeoutMillis: 3000 });
  try {
    await client.connect();
  } catch (error) {
    throw new Error(
      `PostgreSQL is required for these tests and is not reachable at ${POSTGRES_ADMIN_URL} ` +
        `(check: pg_isready -h 127.0.0.1; override with RAMPART_TEST_POSTGRES_URL)`,
      { cause: error },
    );
  }
  try {
    return await work(client);
  } finally {
    await client.end();
  }
}

/** Creates rampart_test_<pid>_<random>; returns its URL and a drop function. */
export async function createTestDatabase(): Promise<{ url: string; drop: () => Promise<void> }> {
  const name = `rampart_test_${uniqueName()}`;
  await withAdmin((c) => c.query(`create database ${name}`));
  const url = new URL(POSTGRES_ADMIN_URL);
  url.pathname = `/${name}`;
  return {
    url: url.href,
    drop: () => withAdmin((c) => c.query(`drop database if exists ${name} with (force)`)).then(() => undefined),
  };
}

/** A raw client on a fresh key prefix, and a cleanup that deletes every key under it. */
export async function createRedisPrefix(): Promise<{ prefix: string; raw: Redis; cleanup: () => Promise<void> }> {
  const raw = new Redis(REDIS_URL, { maxRetriesPerRequest: 0, retryStrategy: () => null, lazyConnect: true });
  raw.on('error', () => undefined); // surfaced by connect() below
  try {
    await raw.connect();
  } catch (error) {
    raw.disconnect();
    throw new Error(
      `Redis is required for these tests and is not reachable at ${REDIS_URL} ` +
        `(check: redis-cli -h 127.0.0.1 ping; override with RAMPART_TEST_REDIS_URL)`,
      { cause: error },
    );
  }
  const prefix = `rampart_test:${uniqueName()}:`;
  return {
    prefix,
    raw,
    cleanup: async () => {
      const keys = await raw.keys(`${prefix}*`);
      if (keys.length > 0) await raw.del(...keys);
      await raw.quit();
    },
  };
}

export async function createTempDir(): Promise<{ dir: string; remove: () => Promise<void> }> {
  const dir = await mkdtemp(join(tmpdir(), 'rampart-test-'));
  return { dir, remove: () => rm(dir, { recursive: true, force: true }) };
}

export const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));
