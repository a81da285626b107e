// Builds the reference service from the toolkit's public exports only: stores, then the
// server with every default layer, then routes. server.ts-style concerns (listening,
// signals) live in the CLI's serve command.
import {
  createMetrics,
  createServer,
  openDatabase,
  openKeyValueStore,
  type Database,
  type FieldKeyring,
  type RampartConfig,
  type RampartServer,
  type ServerOptionsInput,
} from '../toolkit/index.ts';
import { authRoutes, type Identity } from '../toolkit/index.ts';
import { openIdentity, serviceAuthenticator } from './identity.ts';
import { checkServingRole, migrateOrCheck } from './migrate.ts';
import { apiKeyRoutes } from './routes/api-keys.ts';
import { healthRoutes } from './routes/health.ts';
import { userRoutes } from './routes/users.ts';
import { adminRoutes } from './routes/admin.ts';
import { moneyRoutes } from './routes/money.ts';
import { productRoutes } from './routes/products.ts';
import { orderRoutes } from './routes/orders.ts';
import { docsRoutes } from './routes/docs.ts';
import { metricsRoutes } from './routes/metrics.ts';
import { fileRoutes } from './routes/files.ts';
import { webhookFeature, type WebhookOverrides } from './webhooks/index.ts';

const REQUEST_BUSY_TIMEOUT_MS = 1000;

export interface BuildOverrides {
  /** Extra server options, e.g. a log destination in tests. */
  server?: Partial<ServerOptionsInput>;
  /** An already open database (tests, or an embedding application); closed with the app. */
  database?: Database<unknown>;
  /** Webhook dispatcher and limits, e.g. a short back-off in tests. */
  webhooks?: WebhookOverrides;
}

export interface ReferenceService {
  app: RampartServer;
  identity: Identity;
  database: Database<unknown>;
  /** Field encryption for the service's sealed columns (users' emails, webhook secrets…). */
  fieldKeyring: FieldKeyring;
}

export async function buildApp(config: RampartConfig, overrides: BuildOverrides = {}): Promise<ReferenceService> {
  // A request whose write finds SQLite locked by another process (a CLI command, a backup)
  // waits a second at most, then gets 503 with Retry-After: answering soon beats a long wait.
  const database = overrides.database ?? openDatabase<unknown>({ databaseUrl: config.databaseUrl, dataDir: config.dataDir, sqlite: { busyTimeoutMs: REQUEST_BUSY_TIMEOUT_MS } });
  const keyValueStore = openKeyValueStore({ redisUrl: config.redisUrl, maxKeys: config.server.rateLimit.maxClients });
  let app: RampartServer | undefined;
  try {
    // Production refuses to serve as a role that could drop or alter what it serves from,
    // before anything else reads the database; development migrates first, then warns.
    if (config.mode === 'production') await checkServingRole(config, database);
    await migrateOrCheck(config, database);
    const roleWarning = config.mode === 'development' ? await checkServingRole(config, database) : undefined;
    // The identity needs the server's logger and the server needs the identity's
    // authenticator: the authenticator is bound once both exist.
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
      ...overrides.server,
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
    await docsRoutes(app, config);
    healthRoutes(app);
    metricsRoutes(app, metrics, identity);
    // Production refuses passwords and refresh tokens over plain HTTP (as Basic is refused).
    const requireHttps = config.mode === 'production';
    authRoutes(app, identity, { tokenRateLimit: { name: 'token', limit: config.identity.tokenRateLimit, windowSeconds: 60 }, requireHttps });
    userRoutes(app, identity, config.identity.registration, requireHttps);
    apiKeyRoutes(app, identity);
    adminRoutes(app, identity);
    productRoutes(app, database, identity);
    orderRoutes(app, database);
    moneyRoutes(app, database, identity, config);
    await fileRoutes(app, database, config, identity);
    webhookFeature(app, database, identity.fieldKeyring, config, overrides.webhooks);
    return { app, identity, database, fieldKeyring: identity.fieldKeyring };
  } catch (error) {
    // A refused boot closes everything it opened (server timers, pg pool, Redis), so the
    // process exits with its message instead of hanging on open handles.
    await Promise.allSettled([app?.close()]);
    await Promise.allSettled([keyValueStore.close(), database.close()]);
    throw error;
  }
}
