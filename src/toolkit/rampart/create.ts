// createRampart: a whole secured API in one call. Database (node:sqlite, or PostgreSQL from
// DATABASE_URL), key-value store (memory, or Redis from REDIS_URL), identity, authenticators,
// the login/refresh/logout and account routes, the security-event trail, metrics, health and
// docs — wired once, here, for the reference service and for users' own apps alike.
//
// A factory rather than a Fastify plugin: a plugin is registered on a server that already
// exists, so it cannot set the constructor options that carry secure defaults (body limit,
// proxy trust, request ids, logger redaction). Like `fastify()`, this returns the server;
// the app adds its routes to it and then listens.
import { identityGrants } from '../auth/grants.ts';
import type { Identity } from '../auth/identity.ts';
import { authRoutes } from '../auth/routes.ts';
import { identityMigrations } from '../auth/schema.ts';
import { loadConfig, type RampartConfig } from '../config/load.ts';
import type { FieldKeyring } from '../crypto/field-keyring.ts';
import { countSecurityEvents, createMetrics, metricsRoute, type Metrics } from '../metrics/index.ts';
import { createServer, type RampartServer } from '../server/create.ts';
import type { ServerOptionsInput } from '../server/options.ts';
import { openDatabase, openKeyValueStore, type Database, type Migration, type TableGrants } from '../stores/index.ts';
import { openIdentity, serviceAuthenticator } from './identity.ts';
import { checkServingRole, migrateOrCheck, type Schema } from './migrate.ts';
import { docsRoutes, type DocsInfo } from './routes/docs.ts';
import { healthRoutes } from './routes/health.ts';
import { userRoutes } from './routes/users.ts';

// A request whose write finds SQLite locked by another process (a CLI command, a backup)
// waits a second at most, then gets 503 with Retry-After: answering soon beats a long wait.
const REQUEST_BUSY_TIMEOUT_MS = 1000;

export interface RampartOptions {
  /** Settings; default `loadConfig()` (the environment, and the app's name from its package.json). */
  config?: RampartConfig;
  /** The app's own migrations, run after the toolkit's (name them from `0100_` on). */
  migrations?: Readonly<Record<string, Migration>>;
  /** PostgreSQL with an owner role: what the serving role may do to each of the app's tables. */
  grants?: TableGrants;
  /** An already open database (tests, an embedding application); closed with the server. */
  database?: Database<unknown>;
  /** Server options over `config.server`, e.g. a log destination in tests. */
  server?: Partial<ServerOptionsInput>;
  /** The OpenAPI document's title, version and description (docs are on when RAMPART_DOCS is). */
  docs?: DocsInfo;
  /** Registration, profile and password change under /v1/users (default true; registration follows RAMPART_REGISTRATION). */
  userRoutes?: boolean;
}

/** The server, with what the app's routes need from the wiring. */
export type RampartApp<DB = unknown> = RampartServer & {
  readonly config: RampartConfig;
  readonly database: Database<DB>;
  readonly identity: Identity;
  /** Field encryption for the app's sealed columns (users' emails already use it). */
  readonly fieldKeyring: FieldKeyring;
  readonly metrics: Metrics;
};

export async function createRampart<DB = unknown>(options: RampartOptions = {}): Promise<RampartApp<DB>> {
  const config = options.config ?? loadConfig();
  const schema: Schema = { migrations: { ...identityMigrations, ...options.migrations }, grants: { ...identityGrants, ...options.grants } };
  const database = options.database ?? openDatabase<unknown>({ databaseUrl: config.databaseUrl, dataDir: config.dataDir, sqlite: { busyTimeoutMs: REQUEST_BUSY_TIMEOUT_MS } });
  const keyValueStore = openKeyValueStore({ redisUrl: config.redisUrl, maxKeys: config.server.rateLimit.maxClients });
  let app: RampartServer | undefined;
  try {
    // Production refuses to serve as a role that could drop or alter what it serves from,
    // before anything else reads the database; development migrates first, then warns.
    if (config.mode === 'production') await checkServingRole(config, database);
    await migrateOrCheck(config, database, schema);
    const roleWarning = config.mode === 'development' ? await checkServingRole(config, database) : undefined;
    // The identity needs the server's logger and the server needs the identity's
    // authenticators: they are bound once both exist.
    const late: { identity?: Identity } = {};
    const metrics = createMetrics();
    app = await createServer({
      ...config.server,
      keyValueStore,
      metrics,
      // What readiness probes and the outage log names; faults carry the same names.
      dependencies: {
        database: () => database.ping(),
        ...(keyValueStore.ping === undefined ? {} : { redis: () => keyValueStore.ping!() }),
      },
      authenticators: [
        { challenge: 'Bearer', authenticate: (request) => late.identity!.authenticator.authenticate(request) },
        { challenge: 'ApiKey', authenticate: (request) => late.identity!.apiKeyAuthenticator.authenticate(request) },
        { challenge: '', authenticate: (request) => late.identity!.sessionAuthenticator.authenticate(request) },
        ...[serviceAuthenticator(config)].filter((a) => a !== undefined),
      ],
      // Toolkit layers (rate limits, enumeration) report into the same event trail.
      onSecurityEvent: (event) => {
        void late.identity?.events.record(event);
      },
      ...options.server,
    });
    app.addHook('onClose', async () => {
      await keyValueStore.close();
      await database.close();
    });
    if (roleWarning !== undefined) app.log.warn(`development only: ${roleWarning}`);
    if (config.mode === 'production' && config.migrateDatabaseUrl !== undefined) {
      app.log.warn('RAMPART_MIGRATE_DATABASE_URL is set where the service runs: a compromised process could read the owner\'s credentials from its environment; give them to the `rampart migrate` job only');
    }
    const identity = await openIdentity(config, database, keyValueStore, app.log);
    late.identity = identity;
    // Docs first: the generator sees only routes declared after it.
    await docsRoutes(app, config, options.docs ?? { title: 'API', version: '0.0.0' });
    healthRoutes(app);
    countSecurityEvents(identity.events, metrics);
    metricsRoute(app, metrics);
    // Production refuses passwords and refresh tokens over plain HTTP (as Basic is refused).
    const requireHttps = config.mode === 'production';
    authRoutes(app, identity, { tokenRateLimit: { name: 'token', limit: config.identity.tokenRateLimit, windowSeconds: 60 }, requireHttps });
    if (options.userRoutes !== false) userRoutes(app, identity, config.identity.registration, requireHttps);
    app.decorate('config', { getter: () => config });
    app.decorate('database', { getter: () => database });
    app.decorate('identity', { getter: () => identity });
    app.decorate('fieldKeyring', { getter: () => identity.fieldKeyring });
    app.decorate('metrics', { getter: () => metrics });
    return app as RampartApp<DB>;
  } catch (error) {
    // A refused boot closes everything it opened (server timers, pg pool, Redis), so the
    // process exits with its message instead of hanging on open handles.
    await Promise.allSettled([app?.close()]);
    await Promise.allSettled([keyValueStore.close(), database.close()]);
    throw error;
  }
}
