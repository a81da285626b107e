// `rampart serve`: load and check configuration, build the reference service, listen, and
// shut down gracefully on SIGTERM/SIGINT.
import { Command } from 'commander';
import { buildApp } from '../app/app.ts';
import { formatSeeded, seed } from '../app/seed.ts';
import { closeOnSignals, drainTiming, listen, loadConfig, type Listening } from '../toolkit/index.ts';

export function serveCommand(): Command {
  return new Command('serve')
    .description('serve the reference API (configuration from the environment; see README)')
    .action(async () => {
      const config = loadConfig();
      const service = await buildApp(config);
      const { app } = service;
      let listening: Listening;
      try {
        // First start in development: demo data, passwords once on this terminal (not the log).
        if (config.mode === 'development') {
          const seeded = await seed(service);
          if (seeded !== undefined) process.stdout.write(formatSeeded(seeded));
        }
        listening = await listen(app, {
          host: config.host,
          port: config.port,
          httpRedirectPort: config.httpRedirectPort,
          allowedHosts: config.server.allowedHosts,
          development: config.mode === 'development',
        });
      } catch (error) {
        // A port in use or a failed seed: close what the boot opened, so the process exits.
        await app.close().catch(() => undefined);
        throw error;
      }
      const scheme = config.server.tls ? 'https' : 'http';
      const shownHost = config.host.includes(':') ? `[${config.host}]` : config.host;
      app.log.info({ mode: config.mode, port: listening.port, redirectPort: listening.redirectPort }, `rampart listening on ${scheme}://${shownHost}:${listening.port} (${config.mode})`);
      closeOnSignals(listening, { drain: drainTiming(config.drainMs), graceMs: config.shutdownTimeoutMs }, (message) => {
        app.log.info(message);
      });
    });
}
