// `rampart migrate`: apply pending migrations (production runs them here, not at boot).
import { Command } from 'commander';
import { migrations } from '../app/migrations/index.ts';
import { loadConfig, openDatabase, runMigrations } from '../toolkit/index.ts';

export function migrateCommand(): Command {
  return new Command('migrate').description('apply pending database migrations').action(async () => {
    const config = loadConfig();
    const database = openDatabase<unknown>({ databaseUrl: config.databaseUrl, dataDir: config.dataDir });
    try {
      const ran = await runMigrations(database, migrations);
      console.log(ran.length === 0 ? 'migrations: up to date' : `migrations applied: ${ran.join(', ')}`);
    } finally {
      await database.close();
    }
  });
}
