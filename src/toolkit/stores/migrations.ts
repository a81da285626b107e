// Schema changes as code, one Migrator for both dialects. Migrations are ordered by name
// (prefix them: 0001_users) and recorded in rampart_migration, so each runs exactly once.
import { Migrator } from 'kysely/migration';
import type { Migration } from 'kysely/migration';
import type { Database } from './database.ts';
import { StoreError } from './errors.ts';

export type { Migration };

/** Applies pending migrations in name order; returns the names that ran (empty when up to date). */
export async function runMigrations<DB>(
  database: Database<DB>,
  migrations: Readonly<Record<string, Migration>>,
): Promise<string[]> {
  const migrator = new Migrator({
    db: database.db,
    provider: { getMigrations: () => Promise.resolve({ ...migrations }) },
    migrationTableName: 'rampart_migration',
    migrationLockTableName: 'rampart_migration_lock',
    // Toolkit migrations (00xx) may arrive after an app's (01xx) already ran on a database.
    allowUnorderedMigrations: true,
  });
  const { error, results = [] } = await migrator.migrateToLatest();
  if (error !== undefined) {
    // Both dialects run the batch in one transaction, so on failure nothing was applied.
    const failed = results.find((r) => r.status === 'Error')?.migrationName;
    const what = failed === undefined ? 'migrations could not run' : `migration "${failed}" failed`;
    throw new StoreError('ERR_STORE_MIGRATION_FAILED', `${what}; no migration was applied`, { cause: error });
  }
  return results.filter((r) => r.status === 'Success').map((r) => r.migrationName);
}

/** Names of migrations not yet applied; production refuses to start while any remain. */
export async function pendingMigrations<DB>(database: Database<DB>, migrations: Readonly<Record<string, Migration>>): Promise<string[]> {
  const migrator = new Migrator({
    db: database.db,
    provider: { getMigrations: () => Promise.resolve({ ...migrations }) },
    migrationTableName: 'rampart_migration',
    migrationLockTableName: 'rampart_migration_lock',
    // Toolkit migrations (00xx) may arrive after an app's (01xx) already ran on a database.
    allowUnorderedMigrations: true,
  });
  const known = await migrator.getMigrations();
  return known.filter((m) => m.executedAt === undefined).map((m) => m.name);
}
