// `rampart serve`: load and check configuration, build the reference service, listen, and
// shut down gracefully on SIGTERM/SIGINT.
import { Command } from 'commander';
import { buildApp } from '../app/app.ts';
import { formatSeeded, seed } from '../app/seed.ts';
import { loadConfig, serve } from '../toolkit/index.ts';

export function serveCommand(): Command {
  return new Command('serve')
    .description('serve the reference API (configuration from the environment; see README)')
    .action(async () => {
      const config = loadConfig();
      const service = await buildApp(config);
      const { app } = service;
      try {
        // First start in development: demo data, passwords once on this terminal (not the log).
        if (config.mode === 'development') {
          const seeded = await seed(service);
          if (seeded !== undefined) process.stdout.write(formatSeeded(seeded));
        }
      } catch (error) {
        // A failed seed: close what the boot opened, so the process exits.
        await app.close().catch(() => undefined);
        throw error;
      }
      await serve(app);
    });
}
