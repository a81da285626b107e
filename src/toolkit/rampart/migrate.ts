// Migrating an app's database, and who may serve from it. On PostgreSQL two roles: the owner
// (RAMPART_MIGRATE_DATABASE_URL) runs the migrations and then grants the application role
// (DATABASE_URL's user, or appRole) what the schema's grants list; the application role
// serves, and production refuses to serve as a role that could change the schema.
import type { RampartConfig } from '../config/load.ts';
import {
  applyGrants,
  inspectServingRole,
  openDatabase,
  pendingMigrations,
  runMigrations,
  servingRoleMessage,
  type Database,
  type GrantsApplied,
  type Migration,
  type TableGrants,
} from '../stores/index.ts';

/** Every migration an app runs (the toolkit's included) and what its serving role may do per table. */
export interface Schema {
  migrations: Readonly<Record<string, Migration>>;
  grants: TableGrants;
}

export interface MigrateOptions {
  /** The role to grant to; default: the user named in DATABASE_URL when the owner's URL is set. */
  appRole?: string | undefined;
  /** An already open database to migrate as (when no owner URL is configured). */
  database?: Database<unknown>;
}

export interface MigrateResult {
  ran: string[];
  /** Undefined: SQLite, or no separate application role (one role migrates and serves). */
  grants: GrantsApplied | undefined;
}

export async function migrateSchema(config: RampartConfig, schema: Schema, options: MigrateOptions = {}): Promise<MigrateResult> {
  const ownUrl = config.migrateDatabaseUrl;
  const database = ownUrl === undefined && options.database !== undefined ? options.database : openDatabase<unknown>({ databaseUrl: ownUrl ?? config.databaseUrl, dataDir: config.dataDir });
  try {
    const ran = await runMigrations(database, schema.migrations);
    const role = options.appRole ?? (ownUrl === undefined ? undefined : userOf(config.databaseUrl));
    const applied = role === undefined ? undefined : await applyGrants(database, schema.grants, role);
    return { ran, grants: applied };
  } finally {
    if (database !== options.database) await database.close();
  }
}

/** Boots and operator commands: development migrates (as the owner when one is configured), production only checks. */
export async function migrateOrCheck(config: RampartConfig, database: Database<unknown>, schema: Schema): Promise<void> {
  if (config.mode === 'development') {
    await migrateSchema(config, schema, { database });
    return;
  }
  const pending = await pendingMigrations(database, schema.migrations);
  if (pending.length > 0) throw new Error(`the database has ${pending.length} pending migration(s) (${pending.join(', ')}); run \`rampart migrate\` first`);
}

export class DatabaseRoleError extends Error {
  readonly code = 'RAMPART_DATABASE_ROLE';
}

/**
 * The serving role's excess rights: production refuses them (DatabaseRoleError), development
 * gets the same text back to log as a warning. Undefined when there is nothing to say.
 */
export async function checkServingRole(config: RampartConfig, database: Database<unknown>): Promise<string | undefined> {
  const report = await inspectServingRole(database);
  if (report === undefined || report.problems.length === 0) return undefined;
  const message = servingRoleMessage(report);
  if (config.mode === 'production') throw new DatabaseRoleError(message);
  return message;
}

function userOf(databaseUrl: string | undefined): string {
  const user = databaseUrl === undefined ? '' : decodeURIComponent(new URL(databaseUrl).username);
  if (user === '') throw new Error('DATABASE_URL names no user: put the application role in it (postgres://rampart_app:…@host/db) or pass --app-role <role>');
  return user;
}
