// `rampart serve`: load and check configuration, build the app (the reference service, or the
// user's own named by --app: src/cli/app-target.ts), listen, and
// shut down gracefully on SIGTERM/SIGINT. With --workers N (N > 1) this process is the
// primary of N workers that each do all of that (src/cli/workers.ts).
import { Command, Option } from 'commander';
import { buildApp } from '../app/app.ts';
import { formatSeeded, seed } from '../app/seed.ts';
import { loadConfig, serve, type RampartApp, type RampartConfig } from '../toolkit/index.ts';
import { cliApp, type CliApp } from './app-target.ts';
import { isWorker, parseWorkers, runPrimary, workerIgnoresSigint, workersProblem } from './workers.ts';

export function serveCommand(): Command {
  return new Command('serve')
    .description('serve the API: the reference service, or the app named by --app (configuration from the environment)')
    .addOption(new Option('--workers <n>', 'processes sharing the port (node:cluster): a number, or "auto" for one per core; more than 1 needs REDIS_URL').argParser(parseWorkers).default(1))
    .action(async (options: { workers: number }) => {
      const config = loadConfig();
      const problem = workersProblem(options.workers, config.redisUrl);
      if (problem !== undefined) throw new Error(problem);
      const target = await cliApp();
      const clustered = options.workers > 1;
      if (clustered && !isWorker()) {
        // Migrate (development) or check the schema, and seed, once, before any worker boots.
        await (await boot(config, target, true)).close();
        runPrimary(options.workers, (message) => process.stderr.write(`rampart: ${message}\n`));
        return;
      }
      const app = await boot(config, target, !clustered);
      await serve(app, clustered ? { label: ` (worker ${process.pid} of ${options.workers})` } : {});
      if (clustered) workerIgnoresSigint();
    });
}

/** The app, built; the reference service's first start in development also seeds demo data. */
async function boot(config: RampartConfig, target: CliApp, seedDemo: boolean): Promise<RampartApp> {
  if (!target.reference) return target.build(config, {});
  const service = await buildApp(config);
  try {
    // Demo data, passwords once on this terminal (not the log).
    if (seedDemo && config.mode === 'development') {
      const seeded = await seed(service);
      if (seeded !== undefined) process.stdout.write(formatSeeded(seeded));
    }
  } catch (error) {
    // A failed seed: close what the boot opened, so the process exits.
    await service.app.close().catch(() => undefined);
    throw error;
  }
  return service.app;
}
