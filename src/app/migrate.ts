// Migrating the reference service's database: the toolkit's migrate with the service's own
// migrations and grants (src/app/migrations/grants.ts).
import { checkServingRole, DatabaseRoleError, migrateOrCheck as migrateOrCheckSchema, migrateSchema, type Database, type MigrateOptions, type MigrateResult, type RampartConfig, type Schema } from '../toolkit/index.ts';
import { grants } from './migrations/grants.ts';
import { migrations } from './migrations/index.ts';

export const serviceSchema: Schema = { migrations, grants };

export { checkServingRole, DatabaseRoleError };
export type { MigrateOptions, MigrateResult };

export function migrate(config: RampartConfig, options: MigrateOptions = {}): Promise<MigrateResult> {
  return migrateSchema(config, serviceSchema, options);
}

export function migrateOrCheck(config: RampartConfig, database: Database<unknown>): Promise<void> {
  return migrateOrCheckSchema(config, database, serviceSchema);
}
