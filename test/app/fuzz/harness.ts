// Schema-guided fuzzing of the reference service: every operation of its own OpenAPI
// document, with valid, boundary and invalid values in every parameter and body field, sent
// anonymously and as each role. Nothing may answer 5xx or show a stack trace. In-process
// (fastify.inject): no sockets, so hundreds of thousands of requests fit in minutes.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Writable } from 'node:stream';
import { buildApp, type ReferenceService } from '../../../src/app/app.ts';
import { loadConfig } from '../../../src/toolkit/index.ts';
import { operationsOf, requestFor, type FuzzRequest, type Operation } from '../../helpers/fuzz/openapi.ts';
import { Random } from '../../helpers/fuzz/random.ts';

export interface FuzzOptions {
  requests: number;
  seed: number;
  /** Requests in flight at once (default 8). */
  concurrency?: number;
  /** Called every 10,000 requests (the local run prints progress). */
  progress?: (done: number, report: FuzzReport) => void;
}

export interface Failure {
  request: { method: string; url: string; headers: Record<string, string>; payload: string };
  status: number;
  why: string;
  body: string;
}

export interface FuzzReport {
  seed: number;
  sent: number;
  operations: number;
  statuses: Record<string, number>;
  /** Status counts per operation, so a run shows what it reached (2xx) and not only what it broke. */
  byOperation: Record<string, Record<string, number>>;
  /** Wall time spent per operation, in ms: where a run's time goes. */
  msByOperation: Record<string, number>;
  failures: Failure[];
  /** Error-level log lines: a request the service could not handle, whatever it answered. */
  errorLogs: string[];
}

const ROLES = ['admin', 'user', 'readonly'] as const;
// The callers' password never reaches the fuzzer; the victim's is one of its words.
const PASSWORD = 'fuzzing-callers-long-passphrase-91!';
const VICTIM_PASSWORD = 'a-victims-long-fuzzed-passphrase-17?';
const UNLIMITED = '999999999';
// A stack frame, a source path or a module path: what an error page must never show.
const STACK = /\n\s+at\s|\bat\s+\S+\s+\((?:file:|node:|\/)|node_modules\/|\/src\/(?:toolkit|app|cli)\/|\.[cm]?[jt]s:\d+:\d+/;
const TEXT_TYPES = /json|text|html|xml/;

/** Keeps only error-level log lines (a fuzz run writes hundreds of thousands of info lines). */
class ErrorLines extends Writable {
  readonly lines: string[] = [];
  override _write(chunk: Buffer, _encoding: BufferEncoding, callback: () => void): void {
    for (const line of chunk.toString('utf8').split('\n')) if (/"level":(50|60)/.test(line) && this.lines.length < 50) this.lines.push(line.slice(0, 2000));
    callback();
  }
}

interface Service extends ReferenceService {
  errors: ErrorLines;
  close(): Promise<void>;
}

async function start(env: Record<string, string>): Promise<Service> {
  const dir = mkdtempSync(join(tmpdir(), 'rampart-fuzz-'));
  const errors = new ErrorLines();
  const config = loadConfig({ NODE_ENV: 'development', PORT: '0', ...env }, dir);
  const service = await buildApp(config, {
    server: { logDestination: errors },
    // Webhook hosts resolve to a public documentation address, and no delivery ever leaves:
    // the fuzzer registers hooks for any address it likes.
    webhooks: {
      resolver: () => Promise.resolve([{ address: '203.0.113.10', family: 4 }]),
      connector: (_target, callback) => callback(new Error('no network while fuzzing'), null),
      pollIntervalMs: 60_000,
    },
  });
  await service.app.ready();
  return {
    ...service,
    errors,
    async close() {
      await service.app.close();
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

/** Every limit that would turn the run into 429s is raised through its documented setting. */
async function unlimitedEnv(): Promise<Record<string, string>> {
  const probe = await start({ RAMPART_LOG_LEVEL: 'silent' });
  const names = [...new Set(probe.app.routeInventory().map((route) => route.rateLimit.name))];
  await probe.close();
  return {
    RAMPART_RATE_LIMIT: UNLIMITED,
    RAMPART_TOKEN_RATE_LIMIT: UNLIMITED,
    RAMPART_RATE_LIMIT_OVERRIDES: names.map((name) => `${name}=${UNLIMITED}/60`).join(','),
    RAMPART_LOGIN_ACCOUNT_LIMIT: UNLIMITED,
    RAMPART_LOGIN_ADDRESS_LIMIT: UNLIMITED,
    RAMPART_ENUMERATION_LIMIT: UNLIMITED,
    RAMPART_TRANSFER_DAILY_COUNT: UNLIMITED,
    RAMPART_TRANSFER_DAILY_AMOUNT: UNLIMITED,
    // The fuzzer saturates the event loop on purpose; shedding would answer 503.
    RAMPART_MAX_EVENT_LOOP_DELAY_MS: '0',
  };
}

interface Caller {
  role: (typeof ROLES)[number];
  username: string;
  id: string;
  token: string;
  /** A restore in progress: the fuzzer disabled, demoted or logged out this caller. */
  restoring?: Promise<void> | undefined;
  /** The operation this caller last called successfully: the likely cause when its login ends. */
  lastSucceeded?: string | undefined;
}

async function login(service: Service, username: string): Promise<string> {
  const response = await service.app.inject({ method: 'POST', url: '/v1/auth/token', headers: { 'content-type': 'application/x-www-form-urlencoded' }, payload: new URLSearchParams({ grant_type: 'password', username, password: PASSWORD }).toString() });
  if (response.statusCode !== 200) throw new Error(`fuzz login for ${username} failed: ${response.statusCode} ${response.body}`);
  return response.json<{ access_token: string }>().access_token;
}

/** Undoes what the fuzzer did to one of its own callers (disabled, demoted, logged out). */
function restore(service: Service, caller: Caller): Promise<void> {
  caller.restoring ??= (async () => {
    const actor = { id: null, clientIp: null };
    // Other requests in flight may disable the caller again before its login: try again.
    for (let attempt = 1; ; attempt++) {
      await service.identity.setDisabled(caller.id, false, actor);
      await service.identity.setRole(caller.id, caller.role, actor);
      try {
        caller.token = await login(service, caller.username);
        return;
      } catch (error) {
        if (attempt === 5) throw error;
      }
    }
  })().finally(() => {
    caller.restoring = undefined;
  });
  return caller.restoring;
}

/** Callers whose role was changed still authenticate: found by asking who they are. */
async function checkRoles(service: Service, callers: Caller[]): Promise<void> {
  for (const caller of callers) {
    const me = await service.app.inject({ method: 'GET', url: '/v1/users/me', headers: { authorization: `Bearer ${caller.token}` } });
    if (me.statusCode !== 200 || me.json<{ role: string }>().role !== caller.role) await restore(service, caller);
  }
}

/** The pool name of a field or path segment: `toAccountId`, `accounts` and `account` → `account`. */
function poolOf(hint: string): string {
  return hint.replace(/Id$|_id$/, '').replace(/s$/, '').replace(/.*(?=[A-Z])/, '').toLowerCase();
}

/** Strings from the service's answers: ids by what they identify, short words for everything else. */
class Harvest {
  private readonly pools = new Map<string, string[]>();
  private readonly all: string[] = [];
  readonly seen: string[] = [];
  private readonly known = new Set<string>();

  take(path: string, value: unknown, key = 'id'): void {
    if (typeof value === 'string') {
      if (value.length > 200) return;
      if (/^(id|.*Id)$/.test(key)) {
        // An `id` belongs to the path's last collection (`/v1/orders/{id}` → order,
        // `/v1/accounts/me` → account); an `xxxId` field to its own name.
        const collection = path.split('/').filter((segment) => segment !== '' && !segment.startsWith('{') && segment !== 'me').pop() ?? '';
        for (const pool of ['', poolOf(key === 'id' ? collection : key)]) {
          if (this.known.has(`${pool}:${value}`)) continue;
          this.known.add(`${pool}:${value}`);
          (pool === '' ? this.all : (this.pools.get(pool) ?? this.pools.set(pool, []).get(pool)!)).push(value);
        }
      } else if (value.length <= 64 && this.seen.length < 2000 && !this.known.has(value)) {
        this.known.add(value);
        this.seen.push(value);
      }
      return;
    }
    if (Array.isArray(value)) for (const item of value) this.take(path, item, key);
    else if (typeof value === 'object' && value !== null) for (const [inner, item] of Object.entries(value)) this.take(path, item, inner);
  }

  /** Ids for a field or path segment: those of its pool most of the time, any id otherwise. */
  ids(hint: string, random: Random): readonly string[] {
    const pool = this.pools.get(poolOf(hint));
    return pool !== undefined && pool.length > 0 && random.chance(0.8) ? pool : this.all;
  }
}

const nameOf = (operation: Operation): string => `${operation.method} ${operation.path}`;

/**
 * Which operation comes next. An operation's weight falls with the square root of how much
 * slower than the median it is, so slow ones (a password hash, the metrics page, an upload)
 * are drawn less often than cheap ones without starving the writes; before
 * an operation's cost is known, those that check a password start low. Operations that end
 * the caller's own login (logout, disable…) cost a new login each time, so after three such
 * endings they are drawn a tenth as often.
 */
class Schedule {
  private readonly weights: [number, Operation][];
  private readonly costs = new Map<string, { ms: number; count: number }>();
  private readonly endings = new Map<string, number>();
  private recorded = 0;
  private readonly random: Random;

  constructor(operations: Operation[], random: Random) {
    this.random = random;
    this.weights = operations.map((operation) => [operation.checksPassword ? 0.05 : 1, operation]);
  }

  pick(): Operation {
    return this.random.weighted(this.weights);
  }

  record(name: string, ms: number): void {
    const cost = this.costs.get(name) ?? this.costs.set(name, { ms: 0, count: 0 }).get(name)!;
    cost.ms += ms;
    cost.count++;
    if (++this.recorded % 256 === 0) this.reweigh();
  }

  ended(name: string | undefined): void {
    if (name !== undefined) this.endings.set(name, (this.endings.get(name) ?? 0) + 1);
  }

  private reweigh(): void {
    const averages = [...this.costs.values()].filter((c) => c.count >= 10).map((c) => c.ms / c.count).sort((a, b) => a - b);
    if (averages.length === 0) return;
    const median = averages[Math.floor(averages.length / 2)]!;
    for (const entry of this.weights) {
      const name = nameOf(entry[1]);
      const cost = this.costs.get(name);
      if (cost === undefined || cost.count < 10) continue;
      entry[0] = Math.min(1, Math.sqrt(median / (cost.ms / cost.count))) * ((this.endings.get(name) ?? 0) >= 3 ? 0.1 : 1);
    }
  }
}

function describeRequest(request: FuzzRequest): Failure['request'] {
  const headers = { ...request.headers };
  if (headers.authorization !== undefined) headers.authorization = `${headers.authorization.slice(0, 12)}…`;
  const payload = request.payload === undefined ? '' : typeof request.payload === 'string' ? request.payload : `<${request.payload.length} bytes>`;
  return { method: request.method, url: request.url.slice(0, 500), headers, payload: payload.slice(0, 500) };
}

export async function fuzzReferenceService(options: FuzzOptions): Promise<FuzzReport> {
  const service = await start(await unlimitedEnv());
  try {
    const actor = { id: null, clientIp: null };
    const callers: Caller[] = [];
    for (const role of ROLES) {
      const username = `fuzz-${role}`;
      const user = await service.identity.createUser({ username, password: PASSWORD, role }, actor);
      callers.push({ role, username, id: user.id, token: await login(service, username) });
    }
    // An account whose credentials the fuzzer may use (and change): logins succeed sometimes.
    await service.identity.createUser({ username: 'fuzz-victim', password: VICTIM_PASSWORD, role: 'user' }, actor);
    const document = (await service.app.inject({ method: 'GET', url: '/openapi.json' })).json<Parameters<typeof operationsOf>[0] & { components?: { securitySchemes?: Record<string, { flows?: { password?: { scopes?: Record<string, string> } } }> } }>();
    const operations = operationsOf(document);
    const scopes = Object.values(document.components?.securitySchemes ?? {}).flatMap((scheme) => Object.keys(scheme.flows?.password?.scopes ?? {}));
    const words = [...scopes, scopes.join(' '), ...ROLES, 'password', 'refresh_token'];
    const account = { username: 'fuzz-victim', password: VICTIM_PASSWORD };
    const harvest = new Harvest();
    const report: FuzzReport = { seed: options.seed, sent: 0, operations: operations.length, statuses: {}, byOperation: {}, msByOperation: {}, failures: [], errorLogs: [] };
    const random = new Random(options.seed);
    const schedule = new Schedule(operations, random);
    let next = 0;
    let checking: Promise<void> | undefined;

    const one = async (): Promise<void> => {
      const operation = schedule.pick();
      const caller = random.pick<Caller | undefined>([undefined, ...callers]);
      if (caller?.restoring) await caller.restoring;
      const stray = random.weighted<number>([[6, 0], [3, 0.15], [1, 0.6]]);
      const request = requestFor(operation, { random, stray, ids: (hint) => harvest.ids(hint, random), words, seen: harvest.seen, account, text: false });
      if (caller !== undefined) request.headers.authorization = `Bearer ${caller.token}`;
      const started = performance.now();
      const response = await service.app.inject({ method: request.method as 'GET', url: request.url, headers: request.headers, ...(request.payload === undefined ? {} : { payload: request.payload }) });
      const status = response.statusCode;
      report.statuses[status] = (report.statuses[status] ?? 0) + 1;
      const name = nameOf(operation);
      const elapsed = performance.now() - started;
      report.msByOperation[name] = (report.msByOperation[name] ?? 0) + elapsed;
      schedule.record(name, elapsed);
      const counts = (report.byOperation[name] ??= {});
      counts[status] = (counts[status] ?? 0) + 1;
      const type = response.headers['content-type'] ?? '';
      const body = TEXT_TYPES.test(type) || type === '' ? response.body : '';
      const why = status >= 500 ? `answered ${status}` : STACK.test(body) ? 'the body shows a stack trace or source path' : undefined;
      if (why !== undefined && report.failures.length < 50) report.failures.push({ request: describeRequest(request), status, why, body: body.slice(0, 1000) });
      if (status < 300 && type.includes('json')) harvest.take(operation.path, response.json());
      if (caller !== undefined && status < 300) caller.lastSucceeded = name;
      if (status === 401 && caller !== undefined && request.headers.authorization === `Bearer ${caller.token}`) {
        schedule.ended(caller.lastSucceeded);
        await restore(service, caller);
      }
    };

    const worker = async (): Promise<void> => {
      while (next < options.requests) {
        next++;
        if (next % 200 === 0) checking = checkRoles(service, callers);
        if (checking) await checking;
        await one();
        report.sent++;
        if (report.sent % 10_000 === 0) options.progress?.(report.sent, report);
      }
    };
    await Promise.all(Array.from({ length: options.concurrency ?? 8 }, worker));
    report.errorLogs = service.errors.lines;
    return report;
  } finally {
    await service.close();
  }
}
