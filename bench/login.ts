// The login row: logins per second on POST /v1/auth/token (password grant, argon2id at OWASP
// parameters) for users with their correct passwords, compared with the raw hashing ceiling
// measured in the same round (bench/argon2-ceiling.ts: argon2 verifications alone, same
// stored hash, same bound on hashes in flight, same cores, same duration), while a light
// paced probe measures the health route's latency alongside the logins.
import { spawn } from 'node:child_process';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { runWrk, type WrkResult } from './wrk.ts';

/** The password hasher's default bound on argon2 computations in flight (src/toolkit/auth/passwords/hash.ts). */
export const HASHER_IN_FLIGHT = 2;
/** wrk connections posting logins: enough to keep both hashing slots busy, well under the hasher's queue of 64 (beyond it: 503). */
export const LOGIN_CONNECTIONS = 16;
/** The health probe: one connection, this pause between requests (about 90 requests/s). */
export const HEALTH_PAUSE_MS = 10;
export const HEALTH_PATH = '/healthz';
export const TOKEN_PATH = '/v1/auth/token';

/** What bench/argon2-ceiling.ts prints and the harness reads. */
export interface CeilingResult {
  verifications: number;
  seconds: number;
  perSecond: number;
  /** CPU time (all threads) per verification, in microseconds. */
  cpuUsPerVerification: number;
  inFlight: number;
  /** The parameters part of the PHC string, e.g. `m=19456,t=2,p=1`. */
  params: string;
}

export interface LoginUsers {
  /** `username<TAB>password` per line. */
  usersFile: string;
  /** The stored argon2id hash of the users (PHC string), for the ceiling. */
  hashFile: string;
  username: string;
  password: string;
}

/** Reads what the login server wrote next to its credentials file. */
export async function readLoginUsers(usersFile: string): Promise<LoginUsers> {
  const first = (await readFile(usersFile, 'utf8')).split('\n')[0] ?? '';
  const [username, password] = first.split('\t');
  if (username === undefined || password === undefined || username === '' || password === '') throw new Error(`login row: no username<TAB>password in ${usersFile}`);
  return { usersFile, hashFile: `${usersFile}.hash`, username, password };
}

/** Runs the ceiling script as its own process for `seconds`. */
export async function runCeiling(options: { root: string; nodePath: string; users: LoginUsers; seconds: number }): Promise<CeilingResult> {
  const child = spawn(options.nodePath, [join(options.root, 'bench/argon2-ceiling.ts'), options.users.hashFile, options.users.password, String(options.seconds), String(HASHER_IN_FLIGHT)], {
    cwd: options.root,
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let stderr = '';
  child.stderr.setEncoding('utf8').on('data', (chunk: string) => (stderr += chunk));
  let result: CeilingResult | undefined;
  const reading = (async () => {
    for await (const line of createInterface({ input: child.stdout })) {
      if (line.startsWith('@@ceiling ')) result = JSON.parse(line.slice('@@ceiling '.length)) as CeilingResult;
    }
  })();
  const code = await new Promise<number | null>((resolve, reject) => {
    child.once('error', reject);
    child.once('close', resolve);
  });
  await reading;
  if (code !== 0 || result === undefined) throw new Error(`argon2 ceiling exited with ${String(code)}: ${stderr.trim()}`);
  return result;
}

export interface LoginRun {
  logins: WrkResult;
  health: WrkResult;
}

/** Logins and the paced health probe at the same time, for `seconds`. */
export async function runLogins(options: { root: string; port: number; users: LoginUsers; seconds: number; connections: number }): Promise<LoginRun> {
  const base = `http://127.0.0.1:${options.port}`;
  const [logins, health] = await Promise.all([
    runWrk({
      url: `${base}${TOKEN_PATH}`,
      seconds: options.seconds,
      connections: options.connections,
      threads: 1,
      script: join(options.root, 'bench/lua/login.lua'),
      scriptArgs: [options.users.usersFile],
    }),
    runWrk({
      url: `${base}${HEALTH_PATH}`,
      seconds: options.seconds,
      connections: 1,
      threads: 1,
      script: join(options.root, 'bench/lua/paced.lua'),
      scriptArgs: [String(HEALTH_PAUSE_MS)],
    }),
  ]);
  return { logins, health };
}

/** Fail fast: a correct password gets a token (and the token limiter's header), a wrong one is refused, health answers. */
export async function checkLogin(port: number, users: LoginUsers, rateLimitHeader: string | undefined): Promise<void> {
  const base = `http://127.0.0.1:${port}`;
  const post = (password: string): Promise<Response> =>
    fetch(`${base}${TOKEN_PATH}`, { method: 'POST', body: new URLSearchParams({ grant_type: 'password', username: users.username, password }) });
  const good = await post(users.password);
  const body = (await good.json()) as { access_token?: unknown };
  if (good.status !== 200 || typeof body.access_token !== 'string') throw new Error(`rampart-login: the password grant answered ${good.status}, not 200 with a token: ${JSON.stringify(body).slice(0, 300)}`);
  if (rateLimitHeader !== undefined && !good.headers.has(rateLimitHeader)) throw new Error(`rampart-login: no ${rateLimitHeader} header on the token endpoint — is its rate limiter on?`);
  const bad = await post(`${users.password}-wrong`);
  await bad.arrayBuffer();
  if (bad.status !== 400 && bad.status !== 401) throw new Error(`rampart-login: a wrong password answered ${bad.status}, not 400/401`);
  const health = await fetch(`${base}${HEALTH_PATH}`);
  await health.arrayBuffer();
  if (health.status !== 200) throw new Error(`rampart-login: ${HEALTH_PATH} answered ${health.status}, not 200`);
}
