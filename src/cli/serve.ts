// `rampart serve`: load and check configuration, build the reference service, listen, and
// shut down gracefully on SIGTERM/SIGINT. With --workers N (N > 1) this process is the
// primary of N workers that each do all of that (src/cli/workers.ts).
import { Command, Option } from 'commander';
import { buildApp } from '../app/app.ts';
import { formatSeeded, seed } from '../app/seed.ts';
import { loadConfig, serve } from '../toolkit/index.ts';
import { isWorker, parseWorkers, runPrimary, workerIgnoresSigint, workersProblem } from './workers.ts';

export function serveCommand(): Command {
  return new Command('serve')
    .description('serve the reference API (configuration from the environment; see README)')
    .addOption(new Option('--workers <n>', 'processes sharing the port (node:cluster): a number, or "auto" for one per core; more than 1 needs REDIS_URL').argParser(parseWorkers).default(1))
    .action(async (options: { workers: number }) => {
      const config = loadConfig();
      const problem = workersProblem(options.workers, config.redisUrl);
      if (problem !== undefined) throw new Error(problem);
      const clustered = options.workers > 1;
      if (clustered && !isWorker()) {
        // Migrate (development) or check the schema, and seed, once, before any worker boots.
        const service = await buildApp(config);
        try {
          if (config.mode === 'development') {
            const seeded = await seed(service);
            if (seeded !== undefined) process.stdout.write(formatSeeded(seeded));
          }
        } finally {
          await service.app.close();
        }
        runPrimary(options.workers, (message) => process.stderr.write(`rampart: ${message}\n`));
        return;
      }
      const service = await buildApp(config);
      const { app } = service;
      try {
        // First start in development: demo data, passwords once on this terminal (not the log).
        if (config.mode === 'development' && !clustered) {
          const seeded = await seed(service);
          if (seeded !== undefined) process.stdout.write(formatSeeded(seeded));
        }
      } catch (error) {
        // A failed seed: close what the boot opened, so the process exits.
        await app.close().catch(() => undefined);
        throw error;
      }
      await serve(app, clustered ? { label: ` (worker ${process.pid} of ${options.workers})` } : {});
      if (clustered) workerIgnoresSigint();
    });
}
