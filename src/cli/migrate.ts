// `rampart migrate`: apply pending migrations (production runs them here, not at boot). On
// PostgreSQL it runs as the owner (RAMPART_MIGRATE_DATABASE_URL) and then grants the serving
// role (DATABASE_URL's user, or --app-role) exactly what src/app/migrations/grants.ts lists.
import { Command } from 'commander';
import { migrate } from '../app/migrate.ts';
import { describeUsernameConflicts, listUsernameConflicts, loadConfig, openDatabase, type IdentityTables } from '../toolkit/index.ts';

export function migrateCommand(): Command {
  return new Command('migrate')
    .description('apply pending database migrations, then grant the serving role what each table needs (PostgreSQL)')
    .option('--app-role <role>', 'the PostgreSQL role to grant to (default: the user in DATABASE_URL when RAMPART_MIGRATE_DATABASE_URL is set)')
    .action(async (options: { appRole?: string }) => {
      const config = loadConfig();
      const result = await migrate(config, { appRole: options.appRole });
      console.log(result.ran.length === 0 ? 'migrations: up to date' : `migrations applied: ${result.ran.join(', ')}`);
      const applied = result.grants;
      if (applied !== undefined) {
        console.log(
          `grants: role "${applied.role}" may use ${applied.granted} tables in schema "${applied.schema}" as src/app/migrations/grants.ts lists ` +
            `(${applied.withheld} withheld, ${applied.sequences} sequences)`,
        );
      } else if (config.databaseUrl !== undefined) {
        console.log('grants: none (one role migrates and serves); production refuses to serve as the owner: set RAMPART_MIGRATE_DATABASE_URL to the owner role and DATABASE_URL to the serving role (docs/configuration.md, "Database roles")');
      }
      // Accounts whose names collide under the canonical form need an operator (docs/identity.md, "User names").
      const database = openDatabase<IdentityTables>({ databaseUrl: config.migrateDatabaseUrl ?? config.databaseUrl, dataDir: config.dataDir });
      try {
        const conflicts = await listUsernameConflicts(database.db);
        if (conflicts.length > 0) console.log(describeUsernameConflicts(conflicts));
      } finally {
        await database.close();
      }
    });
}
