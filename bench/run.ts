// npm run bench [-- --quick] [-- --only rampart-public,fastify,memory] — see USAGE.
//
// Starts each server under test as its own process on 127.0.0.1, checks that each answers
// 200 with the same JSON body, warms it, then drives the rows with wrk in interleaved rounds
// (round r starts at a different row, so drift on the machine spreads over every row). It
// prints one table — median req/s, p50/p99 latency, event-loop delay p99 in the server, RSS,
// and each row's share of node:http, bare Fastify and FastAPI from the same run — checks the
// issue's targets, runs the memory-under-attack test, and writes everything as JSON to
// bench/results/<date>.json. Any non-2xx answer rejects the run. Nothing is installed here.
// The login row (bench/login.ts) runs in the same rounds: in its turn, the raw argon2
// ceiling, then the logins with a paced health probe alongside; it has its own small table.
import { median } from './median.ts';
import { spawnSync } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { availableParallelism, cpus, release, tmpdir, totalmem, type } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { formatMemory, memoryUnderAttack, type MemoryResult } from './memory.ts';
import { formatProfile, summarizeProfiles } from './profile.ts';
import { checkLogin, HASHER_IN_FLIGHT, HEALTH_PAUSE_MS, LOGIN_CONNECTIONS, readLoginUsers, runCeiling, runLogins, type LoginUsers } from './login.ts';
import { FASTAPI, FASTIFY, NODE_HTTP, ROWS, serverIssued, TARGETS, type Credentials, type Row } from './rows.ts';
import { startServer, type ProbeReport, type ServerProcess } from './server-process.ts';
import { order, ORDER_ID, ORDER_PATH } from './servers/common.ts';
import { writeTokens } from './tokens.ts';
import { non2xx, runWrk, socketErrors, wrkVersion, type WrkResult } from './wrk.ts';

const ROOT = join(dirname(fileURLToPath(import.meta.url)), '..');
const RESULTS = join(ROOT, 'bench/results');
const PYTHON = '/usr/bin/python3';
const EXPECTED_BODY = JSON.stringify(order(ORDER_ID));

const USAGE = `usage: npm run bench [-- options]

  --quick                 short runs (3 rounds of 3 s, 2 s warm-up, 200,000-request memory test)
  --only <list>           comma-separated rows and/or "memory"; rows: ${ROWS.map((r) => r.id).join(', ')}
  --rounds <n>            measured rounds per row, interleaved (default 5; at least 3)
  --duration <s>          seconds per measured wrk run (default 10)
  --warmup <s>            seconds of warm-up per row, discarded (default 5)
  --connections <n>       wrk connections (default 64)
  --threads <n>           wrk threads (default 1: one core drives, the other serves)
  --login-connections <n> wrk connections posting logins in the login row (default ${LOGIN_CONNECTIONS};
                          above 66 the password hasher's queue overflows into 503s)
  --memory-requests <n>   requests in the memory test (default 1,000,000)
  --no-memory             skip the memory test
  --wait-quiet <s>        before each measured run, wait up to this long for other processes
                          to leave the cores idle (default 5; 0 turns it off)
  --save-baseline         also write bench/results/baseline.json
  --cpu-prof              run the Node rows under node --cpu-prof and print where their CPU went
                          (profiles in bench/results/profiles-<date>/; the numbers of such a run are
                          lowered by the profiler and are not for comparison)
  --help

Needs Debian's wrk (apt-get install wrk) and, for the FastAPI row, /usr/bin/python3 with
python3-fastapi python3-uvicorn python3-jwt (and python3-uvloop python3-httptools, which
uvicorn picks up like uvicorn[standard]).`;

interface Settings {
  rows: Row[];
  rounds: number;
  seconds: number;
  warmupSeconds: number;
  connections: number;
  threads: number;
  loginConnections: number;
  memory: { requests: number; addresses: number; beyondRequests: number } | undefined;
  saveBaseline: boolean;
  quick: boolean;
  /** Rows were named with --only: a missing dependency fails instead of skipping. */
  explicitRows: boolean;
  cpuProf: boolean;
  waitQuietSeconds: number;
}

interface RunSample {
  round: number;
  requestsPerSecond: number;
  requests: number;
  latencyMs: WrkResult['latencyMs'];
  socketErrors: number;
  eventLoopP99Ms: number;
  rssBytes: number;
  /** Server CPU time (all its threads) per answered request: robust to a busy machine. */
  cpuUsPerRequest: number;
  /** Cores other processes kept busy just before the run (the servers under test idle). */
  othersBusyCores: number;
  /** The login row only: the raw argon2 ceiling of the same round and the health probe. */
  login?: LoginSample;
}

interface LoginSample {
  ceilingPerSecond: number;
  ceilingCpuUsPerVerification: number;
  ceilingParams: string;
  healthRequests: number;
  healthP50Ms: number;
  healthP99Ms: number;
  healthMaxMs: number;
}

interface LoginResult {
  /** Median over the rounds. */
  ceilingPerSecond: number;
  /** Median logins/s ÷ median ceiling. */
  shareOfCeiling: number;
  ceilingCpuUsPerVerification: number;
  ceilingParams: string;
  hashesInFlight: number;
  connections: number;
  healthPauseMs: number;
  healthP50Ms: number;
  /** Median over the rounds of each round's p99; the worst round's next to it. */
  healthP99Ms: number;
  healthP99WorstMs: number;
  healthMaxMs: number;
}

interface RowResult {
  id: string;
  label: string;
  stack: string;
  credentials: Credentials;
  requestsPerSecond: number;
  spreadPct: number;
  latencyP50Ms: number;
  latencyP99Ms: number;
  eventLoopP99Ms: number;
  rssBytes: number;
  cpuUsPerRequest: number;
  vsNodeHttp: number | null;
  vsFastify: number | null;
  vsFastapi: number | null;
  login: LoginResult | null;
  runs: RunSample[];
}

interface TargetResult {
  description: string;
  measured: string;
  met: boolean;
}

class UsageError extends Error {}
class RejectedRun extends Error {}

function settingsFrom(argv: string[]): Settings {
  const { values } = parseArgs({
    args: argv,
    options: {
      quick: { type: 'boolean', default: false },
      only: { type: 'string' },
      rounds: { type: 'string' },
      duration: { type: 'string' },
      warmup: { type: 'string' },
      connections: { type: 'string' },
      threads: { type: 'string' },
      'login-connections': { type: 'string' },
      'memory-requests': { type: 'string' },
      'no-memory': { type: 'boolean', default: false },
      'wait-quiet': { type: 'string' },
      'save-baseline': { type: 'boolean', default: false },
      'cpu-prof': { type: 'boolean', default: false },
      help: { type: 'boolean', default: false },
    },
    strict: true,
  });
  if (values.help) {
    console.log(USAGE);
    process.exit(0);
  }
  const int = (name: string, text: string | undefined, fallback: number, min: number): number => {
    if (text === undefined) return fallback;
    const value = Number(text);
    if (!Number.isSafeInteger(value) || value < min) throw new UsageError(`--${name} must be an integer ≥ ${min}, not "${text}"`);
    return value;
  };
  const quick = values.quick;
  let rows = [...ROWS];
  let memory = !values['no-memory'];
  if (values.only !== undefined) {
    const wanted = values.only.split(',').map((s) => s.trim()).filter((s) => s !== '');
    const known = new Set([...ROWS.map((r) => r.id), 'memory']);
    const unknown = wanted.filter((id) => !known.has(id));
    if (unknown.length > 0 || wanted.length === 0) throw new UsageError(`--only: unknown ${unknown.join(', ') || '(empty list)'}; choose from ${[...known].join(', ')}`);
    rows = ROWS.filter((r) => wanted.includes(r.id));
    memory = memory && wanted.includes('memory');
  }
  if (values['cpu-prof'] && values['save-baseline']) throw new UsageError('--cpu-prof slows the servers: its numbers cannot be a baseline');
  const memoryRequests = int('memory-requests', values['memory-requests'], quick ? 200_000 : 1_000_000, 1000);
  return {
    rows,
    rounds: int('rounds', values.rounds, quick ? 3 : 5, 3),
    seconds: int('duration', values.duration, quick ? 3 : 10, 1),
    warmupSeconds: int('warmup', values.warmup, quick ? 2 : 5, 1),
    connections: int('connections', values.connections, 64, 1),
    threads: int('threads', values.threads, 1, 1),
    loginConnections: int('login-connections', values['login-connections'], LOGIN_CONNECTIONS, 1),
    memory: memory ? { requests: memoryRequests, addresses: 100_000, beyondRequests: Math.round(memoryRequests / 5) } : undefined,
    saveBaseline: values['save-baseline'],
    quick,
    explicitRows: values.only !== undefined,
    cpuProf: values['cpu-prof'],
    waitQuietSeconds: int('wait-quiet', values['wait-quiet'], 5, 0),
  };
}

/** Whether Debian's FastAPI stack is importable by /usr/bin/python3; the reason when not. */
function fastapiMissing(): string | undefined {
  if (!existsSync(PYTHON)) return `${PYTHON} does not exist`;
  const probe = spawnSync(PYTHON, ['-c', 'import fastapi, uvicorn, jwt, cryptography'], { encoding: 'utf8' });
  if (probe.status === 0) return undefined;
  return /No module named '([^']+)'/.exec(probe.stderr)?.[1] ?? probe.stderr.trim().split('\n').pop() ?? 'import failed';
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
  if (settings.rows.some((r) => r.runtime === 'python')) {
    const missing = fastapiMissing();
    if (missing !== undefined) {
      const how = `FastAPI row: ${PYTHON} cannot import ${missing}. On Debian: apt-get install python3-fastapi python3-uvicorn python3-jwt (and python3-uvloop python3-httptools for uvicorn's fast loop and parser).`;
      if (settings.explicitRows) {
        console.error(`bench: ${how}`);
        return 1;
      }
      console.error(`bench: skipping the ${how}`);
      settings.rows = settings.rows.filter((r) => r.runtime !== 'python');
    }
  }

  const perRow = settings.warmupSeconds + settings.rounds * (settings.seconds + 1);
  // The login row measures the ceiling too: twice the time per round.
  const loginExtra = settings.rows.some((r) => r.credentials === 'server-password') ? settings.rounds * (settings.seconds + 1) : 0;
  const estimate = settings.rows.length * perRow + loginExtra + (settings.memory ? settings.memory.requests / 12_000 + 20 : 0);
  console.log(
    `Rampart bench: ${settings.rows.length} rows × ${settings.rounds} interleaved rounds of ${settings.seconds} s (wrk ${wrk}, ${settings.threads} thread(s), ${settings.connections} connections), ` +
      `warm-up ${settings.warmupSeconds} s${settings.memory ? `, then memory under attack (${settings.memory.requests.toLocaleString('en-US')} requests)` : ''}; about ${Math.ceil(estimate / 60)} min.`,
  );

  const othersBefore = await busyCores(1000);
  if (othersBefore > QUIET_CORES) {
    console.warn(`bench: WARNING — other processes keep ${othersBefore.toFixed(2)} of ${availableParallelism()} cores busy before the bench starts; they will lower and scatter the numbers (compare CPU µs/req, or run on a quiet machine).`);
  }

  const scratch = await mkdtemp(join(tmpdir(), 'rampart-bench-'));
  const startedAt = new Date().toISOString();
  const stamp = `${startedAt.slice(0, 19).replace(/:/g, '-')}Z`;
  const profileDir = join(RESULTS, `profiles-${stamp}`);
  if (settings.cpuProf) await mkdir(profileDir, { recursive: true });
  const servers = new Map<string, ServerProcess>();
  const stopAll = async (): Promise<void> => {
    await Promise.all([...servers.values()].map((s) => s.stop()));
    servers.clear();
  };
  const onSignal = (): void => {
    console.error('\nbench: interrupted; stopping the servers it started');
    void stopAll().finally(() => process.exit(130));
  };
  process.once('SIGINT', onSignal);
  process.once('SIGTERM', onSignal);

  try {
    const needTokens = settings.rows.some((r) => r.credentials === 'harness-bearer');
    const tokens = needTokens ? await writeTokens(scratch, 1000) : undefined;
    const firstToken = tokens ? (await readFile(tokens.tokensFile, 'utf8')).split('\n')[0] : undefined;
    /** Per authenticated row: the file its requests cycle through, and its first credential. */
    const credentialFiles = new Map<string, { file: string; first: string }>();
    const loginUsers = new Map<string, LoginUsers>();

    let fastapiInfo: Readonly<Record<string, unknown>> | undefined;
    for (const row of settings.rows) {
      // Rows whose server issues its own credentials get a directory for its database and them.
      const own = serverIssued(row.credentials) ? join(scratch, row.id) : undefined;
      if (own !== undefined) await mkdir(own, { recursive: true, mode: 0o700 });
      const ownFile = own === undefined ? undefined : join(own, 'credentials.txt');
      const server = await startServer({
        name: row.id,
        command: row.runtime === 'node' ? process.execPath : PYTHON,
        args: [...(settings.cpuProf && row.runtime === 'node' ? ['--cpu-prof', '--cpu-prof-dir', profileDir, '--cpu-prof-name', `${row.id}.cpuprofile`] : []), join(ROOT, row.entry)],
        env: {
          ...row.env,
          ...(tokens ? { BENCH_PUBLIC_KEY_FILE: tokens.publicKeyFile } : {}),
          ...(own !== undefined && ownFile !== undefined ? { BENCH_CREDENTIALS: serverCredentialKind(row.credentials), BENCH_CREDENTIALS_FILE: ownFile, BENCH_DATA_DIR: own } : {}),
        },
        cwd: ROOT,
      });
      servers.set(row.id, server);
      if (row.runtime === 'python') fastapiInfo = server.info;
      if (ownFile !== undefined) credentialFiles.set(row.id, { file: ownFile, first: (await readFile(ownFile, 'utf8')).split('\n')[0]! });
      else if (row.credentials === 'harness-bearer' && tokens && firstToken !== undefined) credentialFiles.set(row.id, { file: tokens.tokensFile, first: firstToken });
      if (row.credentials === 'server-password') {
        const users = await readLoginUsers(ownFile!);
        loginUsers.set(row.id, users);
        await checkLogin(server.port, users, row.rateLimitHeader);
        console.log(`  ${row.id.padEnd(16)} pid ${server.pid}, port ${server.port}: the password grant answers 200 with a token, a wrong password is refused`);
      } else {
        await checkRow(row, server, credentialFiles.get(row.id)?.first);
        console.log(`  ${row.id.padEnd(16)} pid ${server.pid}, port ${server.port}: 200 with the expected body`);
      }
    }

    const wrkRun = (row: Row, server: ServerProcess, seconds: number): Promise<WrkResult> => {
      const credential = credentialFiles.get(row.id);
      return runWrk({
        url: `http://127.0.0.1:${server.port}${ORDER_PATH}`,
        seconds,
        connections: settings.connections,
        threads: settings.threads,
        script: join(ROOT, credential ? 'bench/lua/tokens.lua' : 'bench/lua/plain.lua'),
        scriptArgs: credential ? [credential.file, row.credentials === 'server-api-key' ? 'api-key' : 'bearer'] : [],
      });
    };
    const loginRun = (row: Row, server: ServerProcess, seconds: number) =>
      runLogins({ root: ROOT, port: server.port, users: loginUsers.get(row.id)!, seconds, connections: settings.loginConnections });

    for (const row of settings.rows) {
      const server = servers.get(row.id)!;
      if (row.credentials === 'server-password') {
        const run = await loginRun(row, server, settings.warmupSeconds);
        rejectNon2xx(row, run.logins, 'warm-up');
        rejectNon2xx(row, run.health, 'warm-up (health probe)');
        console.log(`  warmed ${row.id.padEnd(16)} ${fmtInt(run.logins.requestsPerSecond)} logins/s, health p99 ${fmtMs(run.health.latencyMs.p99)} ms`);
        continue;
      }
      const result = await wrkRun(row, server, settings.warmupSeconds);
      rejectNon2xx(row, result, 'warm-up');
      console.log(`  warmed ${row.id.padEnd(16)} ${fmtInt(result.requestsPerSecond)} req/s`);
    }

    const samples = new Map<string, RunSample[]>(settings.rows.map((r) => [r.id, []]));
    for (let round = 1; round <= settings.rounds; round++) {
      const n = settings.rows.length;
      const sequence = settings.rows.map((_, i) => settings.rows[(i + round - 1) % n]!);
      for (const row of sequence) {
        const server = servers.get(row.id)!;
        let othersBusyCores = await waitQuiet(settings.waitQuietSeconds);
        let login: LoginSample | undefined;
        let ceilingNote = '';
        let healthNote = '';
        let before: ProbeReport;
        let result: WrkResult;
        if (row.credentials === 'server-password') {
          // The ceiling first, while every server idles; then the logins with the health probe.
          const ceiling = await runCeiling({ root: ROOT, nodePath: process.execPath, users: loginUsers.get(row.id)!, seconds: settings.seconds });
          othersBusyCores = Math.max(othersBusyCores, await waitQuiet(settings.waitQuietSeconds));
          before = await server.probe();
          const run = await loginRun(row, server, settings.seconds);
          rejectNon2xx(row, run.health, `round ${round} (health probe)`);
          result = run.logins;
          login = {
            ceilingPerSecond: ceiling.perSecond,
            ceilingCpuUsPerVerification: ceiling.cpuUsPerVerification,
            ceilingParams: ceiling.params,
            healthRequests: run.health.requests,
            healthP50Ms: run.health.latencyMs.p50,
            healthP99Ms: run.health.latencyMs.p99,
            healthMaxMs: run.health.latencyMs.max,
          };
          ceilingNote = `  (ceiling ${ceiling.perSecond.toFixed(1)} verifications/s: ${((result.requestsPerSecond / ceiling.perSecond) * 100).toFixed(1)}%)`;
          healthNote = `  health p99 ${fmtMs(run.health.latencyMs.p99)} ms`;
        } else {
          before = await server.probe();
          result = await wrkRun(row, server, settings.seconds);
        }
        const probe = await server.probe();
        const cpuUsPerRequest = (probe.cpuUs - before.cpuUs) / Math.max(1, result.requests);
        rejectNon2xx(row, result, `round ${round}`);
        const errors = socketErrors(result);
        samples.get(row.id)!.push({
          round,
          requestsPerSecond: result.requestsPerSecond,
          requests: result.requests,
          latencyMs: result.latencyMs,
          socketErrors: errors,
          eventLoopP99Ms: probe.eldP99Ms,
          rssBytes: probe.rssBytes,
          cpuUsPerRequest,
          othersBusyCores,
          ...(login ? { login } : {}),
        });
        const rate = row.credentials === 'server-password' ? `${result.requestsPerSecond.toFixed(1).padStart(7)} logins/s` : `${fmtInt(result.requestsPerSecond).padStart(7)} req/s`;
        console.log(
          `  round ${round}/${settings.rounds} ${row.id.padEnd(16)} ${rate}  p50 ${fmtMs(result.latencyMs.p50)} ms  p99 ${fmtMs(result.latencyMs.p99)} ms${healthNote}  loop p99 ${fmtMs(probe.eldP99Ms)} ms  cpu ${cpuUsPerRequest.toFixed(1)} µs/req${ceilingNote}${othersBusyCores > QUIET_CORES ? `  (machine busy: ${othersBusyCores.toFixed(2)} cores)` : ''}${errors > 0 ? `  (${errors} socket errors)` : ''}`,
        );
      }
    }
    await stopAll();
    if (settings.cpuProf) {
      for (const summary of await summarizeProfiles(profileDir)) console.log(`\n${formatProfile(summary)}`);
      console.log(`\nProfiles: ${profileDir} (open in Chrome DevTools → Performance, or speedscope)`);
    }

    const rows = aggregate(settings.rows, samples, settings.loginConnections);
    const targets = evaluateTargets(rows);
    const allRuns = [...samples.values()].flat();
    const busyRuns = allRuns.filter((r) => r.othersBusyCores > QUIET_CORES).length;
    if (rows.length > 0) {
      console.log(`\n${formatTable(rows)}\n`);
      const logins = formatLogins(rows);
      if (logins !== undefined) console.log(`${logins}\n`);
      console.log(formatNotes(settings, wrk));
      console.log(`${busyRuns} of ${allRuns.length} runs started while other processes kept more than ${QUIET_CORES} cores busy.`);
    }
    if (targets.length > 0) console.log(`\nTargets (measured, not asserted):\n${targets.map((t) => `  ${t.met ? 'met    ' : 'MISSED '} ${t.description}: ${t.measured}`).join('\n')}`);

    let memory: MemoryResult | undefined;
    if (settings.memory) {
      console.log('\nMemory under attack: running…');
      memory = await memoryUnderAttack({ root: ROOT, nodePath: process.execPath, ...settings.memory, connections: settings.connections });
      console.log(`\n${formatMemory(memory)}`);
    }

    const report = {
      date: startedAt,
      machine: machine(wrk, fastapiInfo),
      busyCoresBeforeStart: Math.round(othersBefore * 100) / 100,
      runsStartedBusy: busyRuns,
      busyCoresAfterEnd: Math.round((await busyCores(1000)) * 100) / 100,
      settings: { rounds: settings.rounds, seconds: settings.seconds, warmupSeconds: settings.warmupSeconds, connections: settings.connections, threads: settings.threads, loginConnections: settings.loginConnections, quick: settings.quick, cpuProf: settings.cpuProf, waitQuietSeconds: settings.waitQuietSeconds, tokens: tokens?.count ?? 0 },
      rows,
      targets,
      memory: memory ?? null,
      table: formatTable(rows),
      loginTable: formatLogins(rows) ?? null,
    };
    await mkdir(RESULTS, { recursive: true });
    const file = join(RESULTS, `${stamp}.json`);
    await writeFile(file, `${JSON.stringify(report, null, 2)}\n`);
    console.log(`\nWrote ${file}`);
    if (settings.saveBaseline) {
      await writeFile(join(RESULTS, 'baseline.json'), `${JSON.stringify(report, null, 2)}\n`);
      console.log(`Wrote ${join(RESULTS, 'baseline.json')}`);
    }
    return 0;
  } catch (error) {
    if (error instanceof RejectedRun) {
      console.error(`\nbench: RUN REJECTED — ${error.message}`);
    } else {
      console.error(`\nbench: FAILED — ${error instanceof Error ? error.message : String(error)}`);
    }
    return 1;
  } finally {
    await stopAll();
    await rm(scratch, { recursive: true, force: true });
    process.off('SIGINT', onSignal);
    process.off('SIGTERM', onSignal);
  }
}

/** Fail fast: 200 with exactly the expected body, the limiter's header, and no entry without a credential. */
async function checkRow(row: Row, server: ServerProcess, credential: string | undefined): Promise<void> {
  const url = `http://127.0.0.1:${server.port}${ORDER_PATH}`;
  if (row.credentials !== 'none' && credential === undefined) throw new Error(`${row.id}: no credentials to send`);
  const headers: Record<string, string> =
    credential === undefined ? {} : row.credentials === 'server-api-key' ? { 'x-api-key': credential } : { authorization: `Bearer ${credential}` };
  let response: Response | undefined;
  for (let attempt = 0; response === undefined; attempt++) {
    try {
      response = await fetch(url, { headers });
    } catch (error) {
      if (attempt >= 50) throw new Error(`${row.id}: no answer on ${url}: ${(error as Error).message}`, { cause: error });
      await new Promise((resolve) => setTimeout(resolve, 200));
    }
  }
  const body = await response.text();
  if (response.status !== 200) throw new Error(`${row.id}: GET ${ORDER_PATH} answered ${response.status}, not 200: ${body.slice(0, 300)}`);
  if (body !== EXPECTED_BODY) throw new Error(`${row.id}: GET ${ORDER_PATH} answered a different body:\n  got      ${body}\n  expected ${EXPECTED_BODY}`);
  if (row.rateLimitHeader !== undefined && !response.headers.has(row.rateLimitHeader)) {
    throw new Error(`${row.id}: no ${row.rateLimitHeader} header — is its rate limiter on?`);
  }
  if (row.credentials !== 'none') {
    const refused = await fetch(url);
    await refused.arrayBuffer();
    if (refused.status !== 401 && refused.status !== 403) throw new Error(`${row.id}: a request without a credential answered ${refused.status}, not 401/403`);
  }
}

function rejectNon2xx(row: Row, result: WrkResult, when: string): void {
  const count = non2xx(result);
  if (count > 0) {
    throw new RejectedRun(
      `${row.id} answered ${count.toLocaleString('en-US')} non-2xx responses of ${result.requests.toLocaleString('en-US')} in ${when}. ` +
        'Refusals (429s above all) are cheap and would flatter the row; raise the row\'s rate limit (bench/rows.ts) or find the failure, then run again.',
    );
  }
}

function aggregate(rows: readonly Row[], samples: ReadonlyMap<string, RunSample[]>, loginConnections: number): RowResult[] {
  const results = rows.map((row): RowResult => {
    const runs = samples.get(row.id)!;
    const rps = runs.map((r) => r.requestsPerSecond);
    const requestsPerSecond = median(rps);
    const logins = runs.map((r) => r.login).filter((l) => l !== undefined);
    const ceilingPerSecond = logins.length > 0 ? median(logins.map((l) => l.ceilingPerSecond)) : 0;
    return {
      id: row.id,
      label: row.label,
      stack: row.stack,
      credentials: row.credentials,
      requestsPerSecond,
      spreadPct: ((Math.max(...rps) - Math.min(...rps)) / requestsPerSecond) * 100,
      latencyP50Ms: median(runs.map((r) => r.latencyMs.p50)),
      latencyP99Ms: median(runs.map((r) => r.latencyMs.p99)),
      eventLoopP99Ms: median(runs.map((r) => r.eventLoopP99Ms)),
      rssBytes: Math.max(...runs.map((r) => r.rssBytes)),
      cpuUsPerRequest: median(runs.map((r) => r.cpuUsPerRequest)),
      vsNodeHttp: null,
      vsFastify: null,
      vsFastapi: null,
      login:
        logins.length === 0
          ? null
          : {
              ceilingPerSecond,
              shareOfCeiling: requestsPerSecond / ceilingPerSecond,
              ceilingCpuUsPerVerification: median(logins.map((l) => l.ceilingCpuUsPerVerification)),
              ceilingParams: logins[0]!.ceilingParams,
              hashesInFlight: HASHER_IN_FLIGHT,
              connections: loginConnections,
              healthPauseMs: HEALTH_PAUSE_MS,
              healthP50Ms: median(logins.map((l) => l.healthP50Ms)),
              healthP99Ms: median(logins.map((l) => l.healthP99Ms)),
              healthP99WorstMs: Math.max(...logins.map((l) => l.healthP99Ms)),
              healthMaxMs: Math.max(...logins.map((l) => l.healthMaxMs)),
            },
      runs,
    };
  });
  const rpsOf = (id: string): number | undefined => results.find((r) => r.id === id)?.requestsPerSecond;
  const [nodeHttp, fastify, fastapi] = [rpsOf(NODE_HTTP), rpsOf(FASTIFY), rpsOf(FASTAPI)];
  for (const r of results) {
    // Logins per second are not comparable with requests for an order.
    if (r.login !== null) continue;
    r.vsNodeHttp = nodeHttp === undefined ? null : r.requestsPerSecond / nodeHttp;
    r.vsFastify = fastify === undefined ? null : r.requestsPerSecond / fastify;
    r.vsFastapi = fastapi === undefined ? null : r.requestsPerSecond / fastapi;
  }
  return results;
}

function evaluateTargets(rows: readonly RowResult[]): TargetResult[] {
  const results: TargetResult[] = [];
  for (const target of TARGETS) {
    const row = rows.find((r) => r.id === target.row);
    if (!row) continue;
    if (target.kind === 'hashing-ceiling' || target.kind === 'health-p99') {
      const login = row.login;
      if (login === null) continue;
      if (target.kind === 'hashing-ceiling') {
        results.push({
          description: target.description,
          measured: `${row.requestsPerSecond.toFixed(1)} logins/s / ${login.ceilingPerSecond.toFixed(1)} argon2 verifications/s = ${(login.shareOfCeiling * 100).toFixed(1)}% (by CPU per login: ${((login.ceilingCpuUsPerVerification / row.cpuUsPerRequest) * 100).toFixed(1)}%)`,
          met: login.shareOfCeiling >= target.minRatio,
        });
      } else {
        results.push({
          description: target.description,
          measured: `p99 ${fmtMs(login.healthP99Ms)} ms (median of the runs; worst run ${fmtMs(login.healthP99WorstMs)} ms) vs ${target.maxMs} ms`,
          met: login.healthP99Ms <= target.maxMs,
        });
      }
      continue;
    }
    const reference = rows.find((r) => r.id === target.reference);
    if (!reference) continue;
    if (target.kind === 'throughput') {
      const ratio = row.requestsPerSecond / reference.requestsPerSecond;
      const byCpu = reference.cpuUsPerRequest / row.cpuUsPerRequest;
      const min = target.minRatio;
      const show = (value: number): string => (min < 1 ? `${(value * 100).toFixed(1)}%` : `${value.toFixed(2)}×`);
      results.push({
        description: target.description,
        measured: `${fmtInt(row.requestsPerSecond)} / ${fmtInt(reference.requestsPerSecond)} req/s = ${show(ratio)} (by server CPU per request: ${show(byCpu)})`,
        met: ratio >= min,
      });
    } else {
      results.push({
        description: target.description,
        measured: `p99 ${fmtMs(row.latencyP99Ms)} ms vs ${fmtMs(reference.latencyP99Ms)} ms`,
        met: row.latencyP99Ms <= reference.latencyP99Ms,
      });
    }
  }
  return results;
}

const CREDENTIAL_LABELS: Readonly<Record<Credentials, string>> = {
  'none': '',
  'harness-bearer': ' (JWT)',
  'server-bearer': ' (JWT)',
  'server-api-key': ' (API key)',
  'server-password': ' (argon2id)',
};

function formatTable(rows: readonly RowResult[]): string {
  const pct = (value: number | null): string => (value === null ? '–' : `${(value * 100).toFixed(1)}%`);
  const times = (value: number | null): string => (value === null ? '–' : `${value.toFixed(2)}×`);
  const rate = (r: RowResult): string => (r.login === null ? fmtInt(r.requestsPerSecond) : `${r.requestsPerSecond.toFixed(1)} logins/s`);
  const lines = [
    '| row | req/s (median) | ± | p50 ms | p99 ms | loop p99 ms | CPU µs/req | RSS MB | vs node:http | vs Fastify bare | vs FastAPI |',
    '|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|',
    ...rows.map(
      (r) =>
        `| ${r.label}${CREDENTIAL_LABELS[r.credentials]} | ${rate(r)} | ${r.spreadPct.toFixed(1)}% | ${fmtMs(r.latencyP50Ms)} | ${fmtMs(r.latencyP99Ms)} | ${fmtMs(r.eventLoopP99Ms)} | ${r.cpuUsPerRequest.toFixed(1)} | ${(r.rssBytes / 1024 / 1024).toFixed(0)} | ${pct(r.vsNodeHttp)} | ${pct(r.vsFastify)} | ${times(r.vsFastapi)} |`,
    ),
  ];
  return lines.join('\n');
}

/** The login row against its ceiling and the health probe; undefined when it did not run. */
function formatLogins(rows: readonly RowResult[]): string | undefined {
  const lines = rows
    .filter((r) => r.login !== null)
    .map((r) => {
      const l = r.login!;
      return `| ${r.label}${CREDENTIAL_LABELS[r.credentials]} | ${r.requestsPerSecond.toFixed(1)} | ${l.ceilingPerSecond.toFixed(1)} | ${(l.shareOfCeiling * 100).toFixed(1)}% | ${fmtMs(r.latencyP50Ms)} | ${fmtMs(r.latencyP99Ms)} | ${(r.cpuUsPerRequest / 1000).toFixed(2)} | ${(l.ceilingCpuUsPerVerification / 1000).toFixed(2)} | ${fmtMs(l.healthP50Ms)} | ${fmtMs(l.healthP99Ms)} (worst ${fmtMs(l.healthP99WorstMs)}) |`;
    });
  if (lines.length === 0) return undefined;
  return [
    '| login row | logins/s (median) | raw argon2id ceiling, verifications/s | share of ceiling | login p50 ms | login p99 ms | CPU ms/login | CPU ms/verification (ceiling) | health p50 ms | health p99 ms |',
    '|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|',
    ...lines,
  ].join('\n');
}

function formatNotes(settings: Settings, wrk: string): string {
  const login = settings.rows.find((r) => r.credentials === 'server-password') !== undefined;
  return [
    `(JWT) = requests carry an EdDSA bearer token, (API key) = an X-API-Key header, cycling through 1,000 users. req/s, p50, p99 and loop p99 are medians of ${settings.rounds} interleaved runs of ${settings.seconds} s`,
    `(wrk ${wrk}, ${settings.threads} thread(s), ${settings.connections} connections); ± is the spread (max − min) of req/s across runs; RSS is the largest after a run.`,
    'loop p99 = event-loop delay beyond the 10 ms sampling interval, p99 over each run (perf_hooks.monitorEventLoopDelay in Node; the same measure of asyncio for FastAPI).',
    'CPU µs/req = the server process\'s CPU time (all threads) during a run divided by the requests answered: less sensitive than req/s to other load on the machine.',
    ...(login
      ? [
          `Login row: POST /v1/auth/token (password grant) over ${settings.loginConnections} connections, every login correct; its ratio columns are empty (logins are not orders). In each round the raw`,
          `ceiling (bench/argon2-ceiling.ts: @node-rs/argon2 verify of the same stored hash, ${HASHER_IN_FLIGHT} in flight like the server's hasher) runs ${settings.seconds} s first, then the logins run with a paced probe on GET /healthz`,
          `(1 connection, ${HEALTH_PAUSE_MS} ms between requests); health p99 is the median of the runs' p99s. CPU per login includes the health probe's requests.`,
        ]
      : []),
  ].join('\n');
}

function serverCredentialKind(credentials: Credentials): string {
  if (credentials === 'server-bearer') return 'bearer';
  if (credentials === 'server-api-key') return 'api-key';
  if (credentials === 'server-password') return 'password';
  throw new Error(`not a server-issued credential: ${credentials}`);
}

function machine(wrk: string, fastapiInfo: Readonly<Record<string, unknown>> | undefined): Record<string, unknown> {
  const osRelease = existsSync('/etc/os-release') ? /^PRETTY_NAME="?([^"\n]*)"?/m.exec(readFileSync('/etc/os-release', 'utf8'))?.[1] : undefined;
  const git = (...args: string[]): string | undefined => {
    const run = spawnSync('git', args, { cwd: ROOT, encoding: 'utf8' });
    return run.status === 0 ? run.stdout.trim() : undefined;
  };
  const head = git('rev-parse', '--short', 'HEAD');
  const versions: Record<string, string> = {};
  for (const name of ['fastify', '@fastify/helmet', '@fastify/cors', '@fastify/rate-limit', 'express', 'helmet', 'cors', 'express-rate-limit', 'jose', 'pino', 'typebox', '@node-rs/argon2', 'kysely']) {
    try {
      versions[name] = (JSON.parse(readFileSync(join(ROOT, 'node_modules', name, 'package.json'), 'utf8')) as { version: string }).version;
    } catch {
      versions[name] = 'missing';
    }
  }
  return {
    cpu: cpus()[0]?.model ?? 'unknown',
    cores: availableParallelism(),
    memoryGiB: Math.round((totalmem() / 2 ** 30) * 10) / 10,
    os: osRelease ?? type(),
    kernel: release(),
    node: process.version,
    wrk,
    fastapi: fastapiInfo?.versions ?? null,
    packages: versions,
    // An exported tree (git archive) is not a checkout: BENCH_COMMIT names what it was exported from.
    commit: head === undefined ? (process.env.BENCH_COMMIT ?? 'unknown (not a git checkout)') : `${head}${git('status', '--porcelain') === '' ? '' : ' (with uncommitted changes)'}`,
  };
}

const QUIET_CORES = 0.25;

/** Waits, up to `seconds`, for a half second in which the cores are (nearly) idle; returns the busy cores last seen. */
async function waitQuiet(seconds: number): Promise<number> {
  const deadline = Date.now() + seconds * 1000;
  let busy = await busyCores(500);
  let told = false;
  while (busy > QUIET_CORES && Date.now() < deadline) {
    if (!told) console.log(`  (waiting up to ${seconds} s for the machine to be quiet: ${busy.toFixed(2)} cores busy)`);
    told = true;
    busy = await busyCores(500);
  }
  return busy;
}

/** Cores kept busy by all processes over the next `ms` (from /proc/stat); 0 where it cannot be read. */
async function busyCores(ms: number): Promise<number> {
  const read = (): { busy: number; total: number } | undefined => {
    try {
      const fields = readFileSync('/proc/stat', 'utf8').split('\n')[0]!.trim().split(/\s+/).slice(1).map(Number);
      const total = fields.reduce((a, b) => a + b, 0);
      const idle = (fields[3] ?? 0) + (fields[4] ?? 0);
      return { busy: total - idle, total };
    } catch {
      return undefined;
    }
  };
  const before = read();
  await new Promise((resolve) => setTimeout(resolve, ms));
  const after = read();
  if (!before || !after || after.total === before.total) return 0;
  return ((after.busy - before.busy) / (after.total - before.total)) * availableParallelism();
}

function fmtInt(value: number): string {
  return Math.round(value).toLocaleString('en-US');
}

function fmtMs(value: number): string {
  return value < 10 ? value.toFixed(2) : value.toFixed(1);
}

process.exitCode = await main();
