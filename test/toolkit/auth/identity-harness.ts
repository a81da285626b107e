// A toolkit server with createIdentity's routes on a real backend, for identity tests that
// need both dialects: SQLite in memory with the memory store, or a fresh PostgreSQL database
// with a fresh Redis prefix. The identity's clock is the harness's `clock.now`, which tests
// may freeze to put two operations in the same millisecond.
import { randomBytes } from 'node:crypto';
import { pino } from 'pino';
import { authRoutes, createIdentity, createMemoryStore, createRedisStore, identityMigrations, openDatabase, runMigrations, Type, type Database, type Identity, type IdentityOptions, type KeyValueStore } from '../../../src/toolkit/index.ts';
import { startServer, type TestServer } from '../../helpers/server.ts';
import { createRedisPrefix, createTestDatabase, REDIS_URL } from '../stores/services.ts';

export type Backend = 'sqlite' | 'postgres';
export const BACKENDS: readonly Backend[] = ['sqlite', 'postgres'];

export interface IdentityHarness {
  identity: Identity;
  database: Database<unknown>;
  store: KeyValueStore;
  server: TestServer;
  url: string;
  /** The identity's clock: a fixed number while a test has frozen it, else the real time. */
  clock: { frozen: number | undefined };
  close(): Promise<void>;
}

/** GET /whoami: the principal of a bearer token or session (any scope). */
export const WHOAMI = '/whoami';

export async function startIdentity(backend: Backend, options: Partial<IdentityOptions> = {}): Promise<IdentityHarness> {
  const cleanups: (() => Promise<void>)[] = [];
  let database: Database<unknown>;
  let store: KeyValueStore;
  if (backend === 'sqlite') {
    database = openDatabase<unknown>({ databaseUrl: 'sqlite::memory:', dataDir: '/nonexistent' });
    store = createMemoryStore({ maxKeys: 10_000 });
  } else {
    const pg = await createTestDatabase();
    cleanups.push(() => pg.drop());
    database = openDatabase<unknown>({ databaseUrl: pg.url, dataDir: '/nonexistent', postgres: { maxConnections: 3 } });
    const redis = await createRedisPrefix();
    cleanups.push(() => redis.cleanup());
    store = createRedisStore({ url: REDIS_URL, prefix: redis.prefix });
  }
  cleanups.unshift(() => database.close(), () => store.close());
  await runMigrations(database, identityMigrations);
  const clock: { frozen: number | undefined } = { frozen: undefined };
  const identity = await createIdentity({
    database,
    store,
    rootSecret: randomBytes(32),
    logger: pino({ level: 'silent' }),
    issuer: 'https://issuer.test',
    audience: 'rampart-test',
    alg: 'EdDSA',
    accessTokenTtlSeconds: 900,
    refreshAbsoluteTtlSeconds: 30 * 86_400,
    refreshIdleTtlSeconds: 7 * 86_400,
    clients: ['rampart-console'],
    throttle: { account: { limit: 5, windowSeconds: 900 }, address: { limit: 1000, windowSeconds: 900 } },
    events: { maxAgeMs: 86_400_000, maxCount: 10_000 },
    sessions: { idleTtlSeconds: 1800, absoluteTtlSeconds: 43_200 },
    now: () => clock.frozen ?? Date.now(),
    ...options,
  });
  const server = await startServer({ authenticators: [identity.authenticator, identity.sessionAuthenticator, identity.apiKeyAuthenticator] }, (app) => {
    authRoutes(app, identity, { tokenRateLimit: { name: 'token', limit: 100_000, windowSeconds: 60 } });
    app.get(WHOAMI, { policy: { scopes: [] }, schema: { response: { 200: Type.Object({ id: Type.String(), method: Type.String() }, { additionalProperties: false }) } } }, (request) => ({
      id: request.principal.id,
      method: request.principal.method,
    }));
  });
  return {
    identity,
    database,
    store,
    server,
    url: server.url,
    clock,
    async close() {
      await server.close();
      for (const cleanup of cleanups) await cleanup();
    },
  };
}
