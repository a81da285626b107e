// Listening as configured (host, port, TLS redirect, allowed hosts) and closing gracefully on
// SIGTERM/SIGINT: what `rampart serve` does after building the app, for any createRampart app.
import { drainTiming } from '../server/drain.ts';
import { closeOnSignals, listen, type Listening } from '../server/listen.ts';
import type { RampartApp } from './create.ts';

/** `label`: added to the listening log line (a cluster worker names itself). */
export async function serve<DB>(app: RampartApp<DB>, options: { label?: string } = {}): Promise<Listening> {
  const { config } = app;
  let listening: Listening;
  try {
    listening = await listen(app, {
      host: config.host,
      port: config.port,
      httpRedirectPort: config.httpRedirectPort,
      allowedHosts: config.server.allowedHosts,
      development: config.mode === 'development',
    });
  } catch (error) {
    // A port in use: close what the boot opened, so the process exits.
    await app.close().catch(() => undefined);
    throw error;
  }
  const scheme = config.server.tls ? 'https' : 'http';
  const shownHost = config.host.includes(':') ? `[${config.host}]` : config.host;
  app.log.info({ mode: config.mode, port: listening.port, redirectPort: listening.redirectPort }, `rampart listening on ${scheme}://${shownHost}:${listening.port} (${config.mode})${options.label ?? ''}`);
  closeOnSignals(listening, { drain: drainTiming(config.drainMs), graceMs: config.shutdownTimeoutMs }, (message) => {
    app.log.info(message);
  });
  return listening;
}
