// Builds the reference service from the toolkit's public exports only: stores, then the
// server with every default layer, then routes. server.ts-style concerns (listening,
// signals) live in the CLI's serve command.
import {
  createServer,
  openDatabase,
  openKeyValueStore,
  runMigrations,
  type Database,
  type RampartConfig,
  type RampartServer,
  type ServerOptionsInput,
} from '../toolkit/index.ts';
import { migrations } from './migrations/index.ts';
import { healthRoutes } from './routes/health.ts';

export interface BuildOverrides {
  /** Extra server options, e.g. a log destination in tests. */
  server?: Partial<ServerOptionsInput>;
  /** An already open database (tests, or an embedding application); closed with the app. */
  database?: Database<unknown>;
}

export async function buildApp(config: RampartConfig, overrides: BuildOverrides = {}): Promise<RampartServer> {
  const database = overrides.database ?? openDatabase<unknown>({ databaseUrl: config.databaseUrl, dataDir: config.dataDir });
  const keyValueStore = openKeyValueStore({ redisUrl: config.redisUrl, maxKeys: config.server.rateLimit.maxClients });
  try {
    if (config.mode === 'development') await runMigrations(database, migrations);
    const app = await createServer({ ...config.server, keyValueStore, ...overrides.server });
    app.addHook('onClose', async () => {
      await keyValueStore.close();
      await database.close();
    });
    healthRoutes(app, database);
    return app;
  } catch (error) {
    await keyValueStore.close();
    await database.close();
    throw error;
  }
}
