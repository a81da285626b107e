// Which app the operator commands act on: the reference service, or the user's own, named by
// `rampart --app <module>`, RAMPART_APP, or `"rampart": { "app": "…" }` in the package.json of
// the directory the command runs in. The module exports its factory (`buildApp(options)`, which
// passes the options on to createRampart, or a default export doing the same) and, when it has
// them, the `migrations`, `grants` and `encryptedColumns` it gives createRampart, so that
// `migrate`, `user`, `keys`, `rotate-keys`, `routes` and `serve` see its tables and not ours.
import { existsSync, readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import { buildApp as buildReference } from '../app/app.ts';
import { encryptedColumns as referenceColumns } from '../app/encrypted-columns.ts';
import { serviceSchema } from '../app/migrate.ts';
import { identityEncryptedColumns, identityGrants, identityMigrations } from '../toolkit/index.ts';
import type { Database, EncryptedColumn, Migration, RampartApp, RampartConfig, RampartOptions, Schema, ServerOptionsInput, TableGrants } from '../toolkit/index.ts';

export interface CliApp {
  /** How messages name it: `the reference service` or the module's path. */
  name: string;
  /** Every migration and grant the app's database takes (the toolkit's included). */
  schema: Schema;
  encryptedColumns: readonly EncryptedColumn[];
  build: (config: RampartConfig, overrides: { database?: Database<unknown>; server?: Partial<ServerOptionsInput> }) => Promise<RampartApp>;
  /** True for the reference service (which seeds demo data in development). */
  reference: boolean;
}

const REFERENCE: CliApp = {
  name: 'the reference service',
  schema: serviceSchema,
  encryptedColumns: referenceColumns,
  build: async (config, overrides) => (await buildReference(config, overrides)).app,
  reference: true,
};

interface AppModule {
  buildApp?: unknown;
  default?: unknown;
  migrations?: Readonly<Record<string, Migration>>;
  grants?: TableGrants;
  encryptedColumns?: readonly EncryptedColumn[];
}

/** Set by `rampart --app <module>` before any command runs. */
export const APP_ENV = 'RAMPART_APP';

function namedModule(cwd: string): string | undefined {
  const given = process.env[APP_ENV];
  if (given !== undefined && given !== '') return given;
  const manifest = resolve(cwd, 'package.json');
  if (!existsSync(manifest)) return undefined;
  try {
    const pkg = JSON.parse(readFileSync(manifest, 'utf8')) as { rampart?: { app?: unknown } };
    return typeof pkg.rampart?.app === 'string' ? pkg.rampart.app : undefined;
  } catch {
    return undefined; // a package.json that is not JSON is npm's problem, not ours
  }
}

export async function cliApp(cwd = process.cwd()): Promise<CliApp> {
  const named = namedModule(cwd);
  if (named === undefined) return REFERENCE;
  const path = resolve(cwd, named);
  if (!existsSync(path)) throw new Error(`the app module ${named} does not exist (resolved to ${path}); pass --app <module>, RAMPART_APP, or "rampart": { "app": … } in package.json`);
  let loaded: AppModule;
  try {
    loaded = (await import(pathToFileURL(path).href)) as AppModule;
  } catch (error) {
    throw new Error(`the app module ${named} could not be loaded: ${error instanceof Error ? error.message.split('\n')[0] : String(error)}`, { cause: error });
  }
  const factory = typeof loaded.buildApp === 'function' ? loaded.buildApp : typeof loaded.default === 'function' ? loaded.default : undefined;
  if (factory === undefined) {
    throw new Error(`the app module ${named} exports no factory: export async function buildApp(options) { return createRampart({ ...options, migrations, … }) }`);
  }
  const build = factory as (options: RampartOptions) => Promise<RampartApp>;
  return {
    name: named,
    schema: { migrations: { ...identityMigrations, ...loaded.migrations }, grants: { ...identityGrants, ...loaded.grants } },
    encryptedColumns: loaded.encryptedColumns ?? identityEncryptedColumns,
    build: (config, overrides) => build({ config, ...overrides }),
    reference: false,
  };
}
