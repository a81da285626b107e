// `rampart routes`: the API inventory (OWASP API9) — every route with its method, path,
// policy, scopes, owner rule, rate limit and lifecycle — built from the same declarations
// the server enforces, so it cannot drift from what runs.
import { Command } from 'commander';
import { loadConfig, openDatabase, runMigrations, type RouteInfo } from '../toolkit/index.ts';
import { cliApp } from './app-target.ts';

export function routesCommand(): Command {
  return new Command('routes')
    .description('print every route with its policy (the API inventory)')
    .option('--json', 'print JSON instead of a table')
    .action(async (options: { json?: boolean }) => {
      const config = loadConfig();
      const target = await cliApp();
      // The inventory needs no data: build against a throwaway in-memory database.
      const database = openDatabase<unknown>({ databaseUrl: 'sqlite::memory:', dataDir: config.dataDir });
      await runMigrations(database, target.schema.migrations);
      const app = await target.build(config, { database, server: { logLevel: 'silent' } });
      try {
        await app.ready();
        const routes = app.routeInventory();
        console.log(options.json ? JSON.stringify(routes, null, 2) : table(routes));
      } finally {
        await app.close();
      }
    });
}

function table(routes: RouteInfo[]): string {
  const rows = routes.map((r) => [
    r.method,
    r.path,
    r.access,
    r.scopes.join(' ') || '-',
    r.owner ? `${r.owner.param}${r.owner.crossOwnerScopes.length > 0 ? ` (any owner: ${r.owner.crossOwnerScopes.join(' ')})` : ''}` : '-',
    `${r.rateLimit.name} ${r.rateLimit.limit}/${r.rateLimit.windowSeconds}s`,
    r.deprecated ? `sunset ${r.deprecated.sunset}` : '-',
  ]);
  const header = ['METHOD', 'PATH', 'ACCESS', 'SCOPES', 'OWNER', 'RATE LIMIT', 'LIFECYCLE'];
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((row) => row[i]!.length)));
  return [header, ...rows].map((row) => row.map((cell, i) => cell.padEnd(widths[i]!)).join('  ').trimEnd()).join('\n');
}
