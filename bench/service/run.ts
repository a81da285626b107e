// npm run bench:service [-- options] — the reference service itself, as `rampart serve` runs it,
// against peers doing the same work (see USAGE and the README's performance section).
//
// It migrates and seeds a fresh SQLite database through the service's own code
// (bench/service/seed.ts: 1,000 users with their own orders, funded accounts, one access token
// each), copies the file for the peers, starts every server on 127.0.0.1 with its log going
// to a file, checks that the service and the peers answer GET /v1/orders and /healthz with the
// same bytes, then drives each (route, server) cell with wrk in interleaved rounds. For every
// run it records req/s, p50/p99, the server's CPU time per request (process tree, from /proc:
// robust to other load on the machine) and the load average when the run ended, and writes it
// all to bench/results/service-<date>.json (--save-baseline: bench/results/service-baseline.json,
// which the README's numbers come from).
import { median } from '../median.ts';
import { spawn, spawnSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { copyFileSync, existsSync, readFileSync } from 'node:fs';
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { availableParallelism, cpus, loadavg, tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { freePort, start, type Started } from './processes.ts';
import { CELLS, ROUTES, SERVERS, type Cell, type RouteId, type ServerId } from './cells.ts';
import { formatRatios, formatTable, ratios, type CellResult, type RunSample } from './report.ts';
import { runWrk, non2xx, socketErrors, wrkVersion } from '../wrk.ts';

const ROOT = join(dirname(fileURLToPath(import.meta.url)), '../..');
const RESULTS = join(ROOT, 'bench/results');
const PYTHON = '/usr/bin/python3';
/** The largest limit RAMPART_RATE_LIMIT_OVERRIDES accepts (9 digits); per 60 s, no run comes near it. */
const RAISED = '999999999';
const ISSUER = 'rampart';
const AUDIENCE = 'rampart-api';

const USAGE = `usage: npm run bench:service [-- options]

  --rounds <n>        interleaved measured rounds per cell (default 3)
  --duration <s>      seconds per measured wrk run (default 3)
  --warmup <s>        seconds of warm-up per cell, discarded (default 2)
  --connections <n>   wrk connections (default 64; the login row uses 16)
  --only <list>       comma-separated routes: ${ROUTES.join(', ')}
  --servers <list>    comma-separated servers: ${SERVERS.join(', ')}
  --cpu-prof <dir>    run the service (1 worker) and the Fastify peer under node --cpu-prof, profiles to <dir>
  --save-baseline     also write bench/results/service-baseline.json
  --help

Needs Debian's wrk, Redis on 127.0.0.1:6379 for the worker rows, and for the FastAPI peer
/usr/bin/python3 with python3-fastapi python3-uvicorn python3-jwt python3-uvloop python3-httptools.`;

interface Settings {
  rounds: number;
  seconds: number;
  warmup: number;
  connections: number;
  routes: RouteId[];
  servers: ServerId[];
  cpuProf: string | undefined;
  saveBaseline: boolean;
}

function settingsFrom(argv: string[]): Settings {
  const { values } = parseArgs({
    args: argv,
    options: {
      rounds: { type: 'string' }, duration: { type: 'string' }, warmup: { type: 'string' }, connections: { type: 'string' },
      only: { type: 'string' }, servers: { type: 'string' }, 'cpu-prof': { type: 'string' }, 'save-baseline': { type: 'boolean', default: false }, help: { type: 'boolean', default: false },
    },
  });
  if (values.help) {
    console.log(USAGE);
    process.exit(0);
  }
  const int = (name: string, text: string | undefined, fallback: number): number => {
    if (text === undefined) return fallback;
    const value = Number(text);
    if (!Number.isSafeInteger(value) || value < 1) throw new Error(`--${name} must be a positive integer, not "${text}"`);
    return value;
  };
  const pick = <T extends string>(name: string, text: string | undefined, all: readonly T[]): T[] => {
    if (text === undefined) return [...all];
    const wanted = text.split(',').map((s) => s.trim());
    const unknown = wanted.filter((w) => !(all as readonly string[]).includes(w));
    if (unknown.length > 0) throw new Error(`--${name}: unknown ${unknown.join(', ')}; choose from ${all.join(', ')}`);
    return wanted as T[];
  };
  return {
    rounds: int('rounds', values.rounds, 3),
    seconds: int('duration', values.duration, 3),
    warmup: int('warmup', values.warmup, 2),
    connections: int('connections', values.connections, 64),
    routes: pick('only', values.only, ROUTES),
    servers: pick('servers', values.servers, SERVERS),
    cpuProf: values['cpu-prof'],
    saveBaseline: values['save-baseline'],
  };
}

/** The service's environment: production, secrets set, trusted loopback proxy, SQLite, every limit raised by its documented setting. */
function serviceEnv(dataDir: string, extra: Record<string, string> = {}): Record<string, string> {
  const named = ['health', 'products', 'orders', 'transfers'].map((name) => `${name}=${RAISED}/60`).join(',');
  return {
    PATH: process.env.PATH ?? '/usr/bin:/bin',
    NODE_ENV: 'production',
    HOST: '127.0.0.1',
    RAMPART_DATA_DIR: dataDir,
    RAMPART_SECRET_KEY: SECRET,
    RAMPART_ALLOWED_HOSTS: '127.0.0.1',
    RAMPART_TRUSTED_PROXIES: '127.0.0.1',
    RAMPART_RATE_LIMIT: RAISED,
    RAMPART_RATE_LIMIT_WINDOW_S: '60',
    RAMPART_RATE_LIMIT_OVERRIDES: named,
    RAMPART_TOKEN_RATE_LIMIT: RAISED,
    RAMPART_TRANSFER_DAILY_COUNT: RAISED,
    RAMPART_TRANSFER_DAILY_AMOUNT: '1000000000000',
    RAMPART_ACCESS_TOKEN_TTL_S: String(4 * 3600),
    ...extra,
  };
}
const SECRET = randomBytes(32).toString('base64');

async function runNode(args: string[], env: Record<string, string>): Promise<void> {
  const child = spawn(process.execPath, args, { cwd: ROOT, env, stdio: ['ignore', 'pipe', 'pipe'] });
  let output = '';
  child.stdout.on('data', (c: Buffer) => (output += c.toString()));
  child.stderr.on('data', (c: Buffer) => (output += c.toString()));
  const code = await new Promise<number | null>((resolve) => child.once('close', resolve));
  if (code !== 0) throw new Error(`node ${args.join(' ')} exited with ${String(code)}:\n${output}`);
}

async function main(): Promise<number> {
  let settings: Settings;
  try {
    settings = settingsFrom(process.argv.slice(2));
  } catch (error) {
    console.error(`${(error as Error).message}\n\n${USAGE}`);
    return 2;
  }
  const wrk = wrkVersion();
  if (wrk === undefined) {
    console.error('bench: wrk is not installed. On Debian: apt-get install wrk (this script installs nothing).');
    return 1;
  }
  const cells = CELLS.filter((c) => settings.routes.includes(c.route) && settings.servers.includes(c.server));
  const scratch = await mkdtemp(join(tmpdir(), 'rampart-service-bench-'));
  const started = new Map<ServerId, Started>();
  const stopAll = async (): Promise<void> => {
    await Promise.all([...started.values()].map((s) => s.stop()));
    started.clear();
  };
  process.once('SIGINT', () => void stopAll().finally(() => process.exit(130)));
  try {
    const dataDir = join(scratch, 'data');
    await mkdir(dataDir, { mode: 0o700 });
    console.log('Migrating and seeding the service database (1,000 users, their orders and tokens)…');
    await runNode([join(ROOT, 'src/cli/main.ts'), 'migrate'], serviceEnv(dataDir));
    await runNode([join(ROOT, 'bench/service/seed.ts'), scratch], serviceEnv(dataDir));
    const dbFile = join(dataDir, 'rampart.db');
    const peerDb = join(scratch, 'peer.db');
    copyFileSync(dbFile, peerDb);
    const requestFiles = await writeRequests(scratch);

    const needed = new Set(cells.map((c) => c.server));
    const fastapiInfo = needed.has('fastapi') ? pythonVersions() : undefined;
    for (const server of SERVERS.filter((s) => needed.has(s))) {
      const port = await freePort();
      const output = join(scratch, `${server}.log`);
      const peerEnv = { BENCH_DB: peerDb, BENCH_JWKS: join(scratch, 'jwks.json'), BENCH_LOG: join(scratch, `${server}.requests.log`), BENCH_ISSUER: ISSUER, BENCH_AUDIENCE: AUDIENCE, BENCH_RATE_LIMIT: RAISED };
      const spec = (() => {
        switch (server) {
          case 'service':
          case 'service-redis':
          case 'service-redis-2w': {
            const workers = server === 'service-redis-2w' ? ['--workers', '2'] : [];
            const redis: Record<string, string> = server === 'service' ? {} : { REDIS_URL: 'redis://127.0.0.1:6379' };
            const prof = settings.cpuProf !== undefined && server === 'service' ? ['--cpu-prof', '--cpu-prof-dir', settings.cpuProf, '--cpu-prof-name', 'service.cpuprofile'] : [];
            return { command: process.execPath, args: [...prof, join(ROOT, 'src/cli/main.ts'), 'serve', ...workers], env: serviceEnv(dataDir, redis) };
          }
          case 'fastify-bare':
            return { command: process.execPath, args: [join(ROOT, 'bench/peers/fastify_bare.ts')], env: {} };
          case 'fastify-stack': {
            const prof = settings.cpuProf !== undefined ? ['--cpu-prof', '--cpu-prof-dir', settings.cpuProf, '--cpu-prof-name', 'fastify-stack.cpuprofile'] : [];
            return { command: process.execPath, args: [...prof, join(ROOT, 'bench/peers/fastify_stack.ts')], env: peerEnv };
          }
          case 'fastapi':
            return { command: PYTHON, args: [join(ROOT, 'bench/peers/fastapi_service.py')], env: peerEnv };
        }
      })();
      started.set(server, await start({ name: server, ...spec, cwd: ROOT, port, output, headers: { 'x-forwarded-proto': 'https' } }));
    }
    await checkSameAnswers(started, scratch);

    const wrkCell = async (cell: Cell, seconds: number) => {
      const server = started.get(cell.server)!;
      return runWrk({
        url: `http://127.0.0.1:${server.port}`,
        seconds,
        connections: cell.route === 'login' ? 16 : settings.connections,
        threads: 1,
        script: join(ROOT, 'bench/lua/requests.lua'),
        scriptArgs: [requestFiles[cell.route], randomBytes(6).toString('hex')],
      });
    };
    console.log(`Warming ${cells.length} cells (${settings.warmup} s each)…`);
    for (const cell of cells) {
      const result = await wrkCell(cell, settings.warmup);
      if (non2xx(result) > 0) throw new Error(`${cell.route} on ${cell.server}: ${non2xx(result)} non-2xx answers in the warm-up`);
    }
    const samples = new Map<Cell, RunSample[]>(cells.map((c) => [c, []]));
    for (let round = 1; round <= settings.rounds; round++) {
      const sequence = cells.map((_, i) => cells[(i + round - 1) % cells.length]!);
      for (const cell of sequence) {
        const server = started.get(cell.server)!;
        const before = server.cpuUs();
        const monoStartUs = Number(process.hrtime.bigint() / 1000n);
        const result = await wrkCell(cell, settings.seconds);
        const monoEndUs = Number(process.hrtime.bigint() / 1000n);
        const cpuUsPerRequest = (server.cpuUs() - before) / Math.max(1, result.requests);
        const load1 = loadavg()[0]!;
        if (non2xx(result) > 0) throw new Error(`${cell.route} on ${cell.server}: ${non2xx(result)} non-2xx answers in round ${round} — refusals are cheap and would flatter the row`);
        samples.get(cell)!.push({ round, requestsPerSecond: result.requestsPerSecond, requests: result.requests, p50Ms: result.latencyMs.p50, p99Ms: result.latencyMs.p99, cpuUsPerRequest, load1, socketErrors: socketErrors(result), monoStartUs, monoEndUs });
        console.log(`  round ${round}/${settings.rounds} ${cell.route.padEnd(10)} ${cell.server.padEnd(17)} ${Math.round(result.requestsPerSecond).toString().padStart(7)} req/s  p99 ${result.latencyMs.p99.toFixed(2)} ms  cpu ${cpuUsPerRequest.toFixed(1)} µs/req  load ${load1.toFixed(2)}`);
      }
    }
    await stopAll();
    const results: CellResult[] = cells.map((cell) => {
      const runs = samples.get(cell)!;
      return {
        route: cell.route,
        server: cell.server,
        requestsPerSecond: median(runs.map((r) => r.requestsPerSecond)),
        p50Ms: median(runs.map((r) => r.p50Ms)),
        p99Ms: median(runs.map((r) => r.p99Ms)),
        cpuUsPerRequest: median(runs.map((r) => r.cpuUsPerRequest)),
        load1: median(runs.map((r) => r.load1)),
        runs,
      };
    });
    const table = formatTable(results);
    const ratioList = ratios(results);
    console.log(`\n${table}\n\n${formatRatios(ratioList)}`);
    const startedAt = new Date().toISOString();
    const report = {
      date: startedAt,
      machine: { cpu: cpus()[0]?.model ?? 'unknown', cores: availableParallelism(), node: process.version, wrk, fastapi: fastapiInfo ?? null, commit: gitHead() },
      settings: { rounds: settings.rounds, seconds: settings.seconds, warmupSeconds: settings.warmup, connections: settings.connections, loginConnections: 16, database: 'SQLite (node:sqlite, WAL)', users: 1000, cpuProf: settings.cpuProf !== undefined },
      cells: results,
      ratios: ratioList,
      table,
    };
    await mkdir(RESULTS, { recursive: true });
    const file = join(RESULTS, `service-${startedAt.slice(0, 19).replace(/:/g, '-')}Z.json`);
    await writeFile(file, `${JSON.stringify(report, null, 2)}\n`);
    console.log(`\nWrote ${file}`);
    if (settings.saveBaseline) {
      await writeFile(join(RESULTS, 'service-baseline.json'), `${JSON.stringify(report, null, 2)}\n`);
      console.log(`Wrote ${join(RESULTS, 'service-baseline.json')}`);
    }
    return 0;
  } catch (error) {
    console.error(`\nbench: FAILED — ${error instanceof Error ? error.message : String(error)}`);
    // What the servers answered instead (their request logs are deleted with the scratch directory).
    for (const server of SERVERS) {
      const log = join(scratch, `${server}.log`);
      if (!existsSync(log)) continue;
      const refused = readFileSync(log, 'utf8').split('\n').filter((line) => /"status":[45]\d\d|"level":[456]0/.test(line));
      if (refused.length > 0) console.error(`${server}: ${refused.length} refusals or errors logged; the last:\n  ${refused.slice(-3).join('\n  ')}`);
    }
    return 1;
  } finally {
    await stopAll();
    await rm(scratch, { recursive: true, force: true });
  }
}

/** One request file per route (bench/lua/requests.lua), cycling through the 1,000 users. */
async function writeRequests(scratch: string): Promise<Record<RouteId, string>> {
  const lines = (name: string) => readFileSync(join(scratch, name), 'utf8').split('\n').filter((l) => l !== '');
  const tokens = lines('tokens.txt');
  const accounts = lines('accounts.txt');
  const logins = lines('passwords.txt');
  const proto = 'X-Forwarded-Proto\thttps';
  const bearer = (i: number) => `Authorization\tBearer ${tokens[i]!}\t${proto}`;
  const files = {} as Record<RouteId, string>;
  const each: Record<RouteId, (i: number) => string> = {
    healthz: () => `GET\t/healthz\t\t${proto}`,
    products: () => `GET\t/v1/products?limit=5\t\t${proto}`,
    me: (i) => `GET\t/v1/users/me\t\t${bearer(i)}`,
    orders: (i) => `GET\t/v1/orders\t\t${bearer(i)}`,
    transfers: (i) => `POST\t/v1/transfers\t${JSON.stringify({ toAccountId: accounts[(i + 1) % accounts.length], amount: 1, reference: 'bench' })}\t${bearer(i)}\tContent-Type\tapplication/json\tIdempotency-Key\t{key}`,
    login: (i) => {
      const [username, password] = logins[i]!.split('\t');
      return `POST\t/v1/auth/token\tgrant_type=password&username=${encodeURIComponent(username!)}&password=${encodeURIComponent(password!)}\tContent-Type\tapplication/x-www-form-urlencoded\t${proto}`;
    },
  };
  for (const route of ROUTES) {
    const count = route === 'healthz' || route === 'products' ? 1 : tokens.length;
    files[route] = join(scratch, `requests-${route}.txt`);
    await writeFile(files[route], `${Array.from({ length: count }, (_, i) => each[route](i)).join('\n')}\n`, { mode: 0o600 });
  }
  return files;
}

/** The peers must answer exactly what the service answers (same query, same response). */
async function checkSameAnswers(started: ReadonlyMap<ServerId, Started>, scratch: string): Promise<void> {
  const token = readFileSync(join(scratch, 'tokens.txt'), 'utf8').split('\n')[0]!;
  const get = async (server: Started, path: string, auth: boolean): Promise<string> => {
    const response = await fetch(`http://127.0.0.1:${server.port}${path}`, { headers: { 'x-forwarded-proto': 'https', ...(auth ? { authorization: `Bearer ${token}` } : {}) } });
    const body = await response.text();
    if (response.status !== 200) throw new Error(`${server.name}: GET ${path} answered ${response.status}: ${body.slice(0, 300)}`);
    return body;
  };
  const reference = started.get('service') ?? started.get('service-redis');
  if (reference === undefined) return;
  for (const [path, auth] of [['/healthz', false], ['/v1/orders', true]] as const) {
    const expected = await get(reference, path, auth);
    for (const [id, server] of started) {
      if (id === 'fastify-bare' && path !== '/healthz') continue;
      const body = await get(server, path, auth);
      if (body !== expected) throw new Error(`${id}: GET ${path} answered other bytes than the service:\n  got      ${body.slice(0, 400)}\n  expected ${expected.slice(0, 400)}`);
    }
  }
}

function pythonVersions(): Record<string, string> | undefined {
  if (!existsSync(PYTHON)) return undefined;
  const probe = spawnSyncText(PYTHON, ['-c', 'import sys,fastapi,uvicorn,jwt,pydantic\ntry:\n import uvloop,httptools; l="uvloop+httptools"\nexcept ImportError: l="asyncio+h11"\nprint(sys.version.split()[0],fastapi.__version__,uvicorn.__version__,jwt.__version__,pydantic.VERSION,l)']);
  const [python, fastapi, uvicorn, pyjwt, pydantic, loop] = probe.trim().split(' ');
  return { python: python!, fastapi: fastapi!, uvicorn: uvicorn!, pyjwt: pyjwt!, pydantic: pydantic!, loop: loop! };
}

function spawnSyncText(command: string, args: string[]): string {
  return spawnSync(command, args, { encoding: 'utf8' }).stdout;
}

function gitHead(): string {
  const head = spawnSyncText('git', ['-C', ROOT, 'rev-parse', '--short', 'HEAD']).trim();
  const dirty = spawnSyncText('git', ['-C', ROOT, 'status', '--porcelain']).trim() !== '';
  return `${head}${dirty ? ' (with uncommitted changes)' : ''}`;
}

process.exitCode = await main();
