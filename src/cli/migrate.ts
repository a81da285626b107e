// `rampart migrate`: apply pending migrations (production runs them here, not at boot).
import { Command } from 'commander';
import { migrations } from '../app/migrations/index.ts';
import { describeUsernameConflicts, listUsernameConflicts, loadConfig, openDatabase, runMigrations, type IdentityTables } from '../toolkit/index.ts';

export function migrateCommand(): Command {
  return new Command('migrate').description('apply pending database migrations').action(async () => {
    const config = loadConfig();
    const database = openDatabase<IdentityTables>({ databaseUrl: config.databaseUrl, dataDir: config.dataDir });
    try {
      const ran = await runMigrations(database, migrations);
      console.log(ran.length === 0 ? 'migrations: up to date' : `migrations applied: ${ran.join(', ')}`);
      // Accounts whose names collide under the canonical form need an operator (README "User names").
      const conflicts = await listUsernameConflicts(database.db);
      if (conflicts.length > 0) console.log(describeUsernameConflicts(conflicts));
    } finally {
      await database.close();
    }
  });
}
