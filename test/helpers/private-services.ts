// A private Redis and a private PostgreSQL for outage tests: started on spare loopback ports,
// stopped and started again at will, removed afterwards. Never the shared servers, which
// other tests (and engineers) are using. PostgreSQL runs as the `postgres` user (CI runs as
// root), in a temporary directory, with a unique role and database that are dropped at the
// end. Every command has a deadline, and remove() tolerates a start that failed half-way.
import { execFile, execFileSync, spawn, type ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import { chownSync, mkdtempSync, rmSync } from 'node:fs';
import { connect, createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { uniqueName } from '../toolkit/stores/services.ts';

const run = promisify(execFile);
const PG_BIN = '/usr/lib/postgresql/15/bin';
const COMMAND_TIMEOUT_MS = 60_000;

/** A port nothing listens on now (the kernel's pick for port 0). */
export async function sparePort(): Promise<number> {
  const server = createServer().listen(0, '127.0.0.1');
  await once(server, 'listening');
  const address = server.address();
  server.close();
  await once(server, 'close');
  if (typeof address !== 'object' || address === null) throw new Error('no port');
  return address.port;
}

/** Resolves once something accepts TCP connections on the port; rejects after the deadline. */
async function waitForPort(port: number, deadlineMs: number): Promise<void> {
  const end = Date.now() + deadlineMs;
  for (;;) {
    const open = await new Promise<boolean>((resolve) => {
      const socket = connect(port, '127.0.0.1');
      socket.once('connect', () => {
        socket.destroy();
        resolve(true);
      });
      socket.once('error', () => resolve(false));
    });
    if (open) return;
    if (Date.now() > end) throw new Error(`nothing listens on 127.0.0.1:${port} after ${deadlineMs} ms`);
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}

/** Polls until `check` holds — a dependency is back, a line was logged — and fails after 30 s, never hangs. */
export async function eventually(check: () => boolean | Promise<boolean>, what: string): Promise<void> {
  const deadline = Date.now() + 30_000;
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error(`never happened within 30 s: ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
}

export interface PrivateRedis {
  url: string;
  /** Kills the server (SIGKILL: an outage, not a polite shutdown). */
  stop(): Promise<void>;
  /** Starts it again on the same port. */
  start(): Promise<void>;
  remove(): Promise<void>;
}

export async function startPrivateRedis(): Promise<PrivateRedis> {
  const port = await sparePort();
  const dir = mkdtempSync(join(tmpdir(), 'rampart-redis-'));
  let child: ChildProcess | undefined;
  const stop = async (): Promise<void> => {
    if (child === undefined || child.exitCode !== null || child.signalCode !== null) return;
    const exited = once(child, 'exit');
    child.kill('SIGKILL');
    await exited;
  };
  const start = async (): Promise<void> => {
    child = spawn('redis-server', ['--port', String(port), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no', '--dir', dir], { stdio: 'ignore' });
    child.once('error', () => undefined); // a missing binary shows as the wait below failing
    try {
      await waitForPort(port, 10_000);
    } catch (error) {
      await stop();
      throw new Error('could not start a private redis-server (is the redis-server package installed?)', { cause: error });
    }
  };
  const redis: PrivateRedis = {
    url: `redis://127.0.0.1:${port}`,
    stop,
    start,
    async remove() {
      await stop();
      rmSync(dir, { recursive: true, force: true });
    },
  };
  try {
    await start();
  } catch (error) {
    await redis.remove();
    throw error;
  }
  return redis;
}

export interface PrivatePostgres {
  /** The application's URL: its own role and database. */
  url: string;
  /** Stops the server: `immediate` is a crash (connections cut), `fast` an orderly shutdown. */
  stop(mode?: 'immediate' | 'fast'): Promise<void>;
  start(): Promise<void>;
  remove(): Promise<void>;
}

export async function startPrivatePostgres(): Promise<PrivatePostgres> {
  const port = await sparePort();
  const dir = mkdtempSync(join(tmpdir(), 'rampart-pg-'));
  const data = join(dir, 'data');
  const name = `rampart_test_${uniqueName()}`;
  let running = false;
  const asPostgres = (command: string, args: string[]): Promise<unknown> =>
    run('runuser', ['-u', 'postgres', '--', join(PG_BIN, command), ...args], { timeout: COMMAND_TIMEOUT_MS, cwd: dir });
  // One -c per statement: psql runs a single -c with several statements as one transaction.
  const psql = (...statements: string[]): Promise<unknown> =>
    run('runuser', ['-u', 'postgres', '--', join(PG_BIN, 'psql'), '-h', dir, '-p', String(port), '-d', 'postgres', '-v', 'ON_ERROR_STOP=1', '-q', ...statements.flatMap((s) => ['-c', s])], { timeout: COMMAND_TIMEOUT_MS });

  const start = async (): Promise<void> => {
    // Unix socket in the temporary directory, TCP on loopback only; fsync off: a test server.
    await asPostgres('pg_ctl', ['-D', data, '-l', join(dir, 'log'), '-w', '-t', '60', '-o', `-p ${port} -c listen_addresses=127.0.0.1 -k ${dir} -c fsync=off`, 'start']);
    running = true;
  };
  const stop = async (mode: 'immediate' | 'fast' = 'immediate'): Promise<void> => {
    if (!running) return;
    await asPostgres('pg_ctl', ['-D', data, '-w', '-t', '60', '-m', mode, 'stop']);
    running = false;
  };
  const postgres: PrivatePostgres = {
    url: `postgres://${name}@127.0.0.1:${port}/${name}`,
    stop,
    start,
    async remove() {
      if (running) {
        await psql(`drop database if exists ${name} with (force)`, `drop role if exists ${name}`).catch(() => undefined);
        await stop('fast').catch(() => stop('immediate')).catch(() => undefined);
      }
      rmSync(dir, { recursive: true, force: true });
    },
  };
  try {
    chownSync(dir, idOf('postgres', '-u'), idOf('postgres', '-g'));
    await asPostgres('initdb', ['-D', data, '-A', 'trust', '-U', 'postgres', '--no-sync', '-E', 'UTF8']);
    await start();
    await psql(`create role ${name} login`, `create database ${name} owner ${name}`);
  } catch (error) {
    await postgres.remove();
    throw new Error(`could not start a private PostgreSQL (needs root, runuser and ${PG_BIN}): ${error instanceof Error ? error.message : String(error)}`, { cause: error });
  }
  return postgres;
}

/** A user's uid or gid (`id -u` / `id -g`): Node has no lookup of other users. */
function idOf(user: string, flag: '-u' | '-g'): number {
  const value = Number(execFileSync('id', [flag, user], { timeout: 5000, encoding: 'utf8' }).trim());
  if (!Number.isInteger(value)) throw new Error(`no ${user} user on this machine`);
  return value;
}
