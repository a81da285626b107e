// Builds the reference service on the toolkit's one call (createRampart: stores, identity,
// auth and account routes, events, metrics, health, docs), then adds the service's own
// routes. Listening and signals live in the CLI's serve command.
import { readFileSync } from 'node:fs';
import { createRampart, type Database, type FieldKeyring, type Identity, type RampartApp, type RampartConfig, type ServerOptionsInput } from '../toolkit/index.ts';
import { serviceSchema } from './migrate.ts';
import { apiKeyRoutes } from './routes/api-keys.ts';
import { adminRoutes } from './routes/admin.ts';
import { moneyRoutes } from './routes/money.ts';
import { productRoutes } from './routes/products.ts';
import { orderRoutes } from './routes/orders.ts';
import { fileRoutes } from './routes/files.ts';
import { webhookFeature, type WebhookOverrides } from './webhooks/index.ts';

const pkg = JSON.parse(readFileSync(new URL('../../package.json', import.meta.url), 'utf8')) as { version: string };

export interface BuildOverrides {
  /** Extra server options, e.g. a log destination in tests. */
  server?: Partial<ServerOptionsInput>;
  /** An already open database (tests, or an embedding application); closed with the app. */
  database?: Database<unknown>;
  /** Webhook dispatcher and limits, e.g. a short back-off in tests. */
  webhooks?: WebhookOverrides;
}

export interface ReferenceService {
  app: RampartApp;
  identity: Identity;
  database: Database<unknown>;
  /** Field encryption for the service's sealed columns (users' emails, webhook secrets…). */
  fieldKeyring: FieldKeyring;
}

export async function buildApp(config: RampartConfig, overrides: BuildOverrides = {}): Promise<ReferenceService> {
  const app = await createRampart({
    config,
    ...serviceSchema,
    ...(overrides.database === undefined ? {} : { database: overrides.database }),
    ...(overrides.server === undefined ? {} : { server: overrides.server }),
    docs: {
      title: 'Rampart reference service',
      version: pkg.version,
      description: 'Users, products, orders, accounts and transfers, API keys and administration, built on the Rampart toolkit. Errors are RFC 9457 application/problem+json.',
    },
  });
  const { identity, database } = app;
  try {
    apiKeyRoutes(app, identity);
    adminRoutes(app, identity);
    productRoutes(app, database, identity);
    orderRoutes(app, database);
    moneyRoutes(app, database, identity, config);
    await fileRoutes(app, database, config, identity);
    webhookFeature(app, database, identity.fieldKeyring, config, overrides.webhooks);
  } catch (error) {
    await app.close();
    throw error;
  }
  return { app, identity, database, fieldKeyring: identity.fieldKeyring };
}
