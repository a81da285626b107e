// Helpers for an app's own tests (`import { createTestApp, loginAs } from 'rampart/testing'`):
// the app on a temporary SQLite database that goes away when the app closes, and the headers
// of a caller logged in through the real token endpoint. Works with node:test or any runner.
import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createRampart, loadConfig, type Identity, type RampartApp, type RampartOptions, type RampartServer, type ServerOptionsInput } from '../index.ts';

/** What the helpers need of an app: any createRampart app, whatever its database's tables. */
export type TestableApp = RampartServer & { readonly identity: Identity };

export interface TestAppOptions {
  /** Settings over the test defaults (development mode, rate limits out of the way). */
  env?: Record<string, string>;
  /** Server options, e.g. `{ logLevel: 'info' }` to see the log (default silent). */
  server?: Partial<ServerOptionsInput>;
}

// Tests log in many times from one address: the general and token limits would get in the way.
// The login throttle keeps its defaults, so a test can still show it.
const TEST_ENV = { NODE_ENV: 'development', RAMPART_RATE_LIMIT: '100000', RAMPART_TOKEN_RATE_LIMIT: '100000' };

/**
 * Builds the app with `build` (the app's own factory, which passes these options on to
 * createRampart; createRampart itself when omitted) on a fresh SQLite database in a
 * temporary directory, removed by `app.close()`.
 */
export function createTestApp(build?: undefined, options?: TestAppOptions): Promise<RampartApp>;
export function createTestApp<App extends TestableApp>(build: (options: RampartOptions) => Promise<App>, options?: TestAppOptions): Promise<App>;
export async function createTestApp(build: ((options: RampartOptions) => Promise<TestableApp>) | undefined, options: TestAppOptions = {}): Promise<TestableApp> {
  const dir = mkdtempSync(join(tmpdir(), 'rampart-test-'));
  const remove = (): void => rmSync(dir, { recursive: true, force: true });
  try {
    // The app's directory (the names on the wire come from its package.json); the data elsewhere.
    const config = loadConfig({ ...TEST_ENV, ...options.env, RAMPART_DATA_DIR: join(dir, 'data') });
    const rampartOptions: RampartOptions = { config, server: { logLevel: 'silent', ...options.server } };
    const app = await (build ?? createRampart)(rampartOptions);
    // Registered after createRampart's own hook, which closes the database: runs after it.
    app.addHook('onClose', remove);
    return app;
  } catch (error) {
    remove();
    throw error;
  }
}

export interface TestUser {
  username: string;
  /** Default `user`. */
  role?: string;
  /** Default: a random one, remembered for this app. */
  password?: string;
}

const passwords = new WeakMap<object, Map<string, string>>();

/**
 * Logs in as `user` through POST /v1/auth/token (creating the account first when it does not
 * exist) and returns the headers to send: `{ authorization: 'Bearer …' }`.
 */
export async function loginAs(app: TestableApp, user: string | TestUser): Promise<{ authorization: string }> {
  const { username, role = 'user', password } = typeof user === 'string' ? { username: user } : user;
  const known = passwords.get(app) ?? new Map<string, string>();
  passwords.set(app, known);
  if ((await app.identity.users.findByUsername(username)) === undefined) {
    const chosen = password ?? `test-${randomBytes(18).toString('base64url')}`;
    await app.identity.createUser({ username, password: chosen, role, email: null }, { id: null, clientIp: null });
    known.set(username, chosen);
  }
  const secret = password ?? known.get(username);
  if (secret === undefined) throw new Error(`loginAs: "${username}" exists and was not created by loginAs; pass its password`);
  const response = await app.inject({
    method: 'POST',
    url: '/v1/auth/token',
    headers: { 'content-type': 'application/x-www-form-urlencoded' },
    payload: new URLSearchParams({ grant_type: 'password', username, password: secret }).toString(),
  });
  if (response.statusCode !== 200) throw new Error(`loginAs: logging in as "${username}" answered ${response.statusCode}: ${response.body}`);
  return { authorization: `Bearer ${response.json<{ access_token: string }>().access_token}` };
}
