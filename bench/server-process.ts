// One server under test as its own process: started with stdout to /dev/null (where the
// request logs go), its port and SIGUSR2 probe reports read from `@@bench` lines on stderr,
// and stopped by its PID. Every process started here is stopped on exit, even on errors.
import { spawn, type ChildProcess } from 'node:child_process';
import { openSync } from 'node:fs';
import { createInterface } from 'node:readline';
import type { ProbeReport } from './servers/common.ts';

export type { ProbeReport };

export interface ServerProcess {
  readonly name: string;
  readonly pid: number;
  readonly port: number;
  /** The rest of the ready line (the FastAPI peer sends its versions there). */
  readonly info: Readonly<Record<string, unknown>>;
  /** Signals SIGUSR2 and waits for the report; the probe resets itself after each. */
  probe(): Promise<ProbeReport>;
  stop(): Promise<void>;
}

export interface StartSpec {
  name: string;
  command: string;
  args: readonly string[];
  env: Readonly<Record<string, string>>;
  cwd: string;
}

const live = new Set<ChildProcess>();
process.once('exit', () => {
  for (const child of live) if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
});

const MARK = '@@bench ';
const READY_TIMEOUT_MS = 30_000;
const PROBE_TIMEOUT_MS = 10_000;

export async function startServer(spec: StartSpec): Promise<ServerProcess> {
  const devNull = openSync('/dev/null', 'w');
  const child = spawn(spec.command, spec.args, { cwd: spec.cwd, env: { ...process.env, ...spec.env }, stdio: ['ignore', devNull, 'pipe'] });
  live.add(child);
  const pid = child.pid;
  if (pid === undefined) throw new Error(`${spec.name}: could not start ${spec.command}`);

  let tail = '';
  const waiting: ((message: Record<string, unknown>) => void)[] = [];
  let failed: ((error: Error) => void) | undefined;
  const exited = new Promise<void>((resolve) => {
    child.once('exit', (code, signal) => {
      live.delete(child);
      failed?.(new Error(`${spec.name} exited (${signal ?? String(code)}) — its last output:\n${tail.trim()}`));
      resolve();
    });
  });
  child.stderr!.setEncoding('utf8');
  const lines = createInterface({ input: child.stderr! });
  lines.on('line', (line) => {
    if (!line.startsWith(MARK)) {
      tail = `${tail}${line}\n`.slice(-4000);
      return;
    }
    const message = JSON.parse(line.slice(MARK.length)) as Record<string, unknown>;
    waiting.shift()?.(message);
  });

  const next = (timeoutMs: number, what: string): Promise<Record<string, unknown>> =>
    new Promise((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`${spec.name}: no ${what} within ${timeoutMs} ms — its last output:\n${tail.trim()}`)), timeoutMs);
      failed = (error) => {
        clearTimeout(timer);
        reject(error);
      };
      waiting.push((message) => {
        clearTimeout(timer);
        failed = undefined;
        resolve(message);
      });
    });

  const stop = async (): Promise<void> => {
    if (child.exitCode !== null || child.signalCode !== null) return;
    failed = undefined;
    process.kill(pid, 'SIGTERM');
    const killer = setTimeout(() => {
      if (child.exitCode === null && child.signalCode === null) process.kill(pid, 'SIGKILL');
    }, 5000);
    await exited;
    clearTimeout(killer);
  };

  let readyLine: Record<string, unknown>;
  try {
    readyLine = await next(READY_TIMEOUT_MS, 'ready line');
  } catch (error) {
    await stop();
    throw error;
  }
  const { port, ...info } = readyLine;
  if (typeof port !== 'number' || !Number.isInteger(port) || port <= 0) {
    await stop();
    throw new Error(`${spec.name}: bad ready line ${JSON.stringify(readyLine)}`);
  }
  return {
    name: spec.name,
    pid,
    port,
    info,
    async probe() {
      const reply = next(PROBE_TIMEOUT_MS, 'probe report');
      process.kill(pid, 'SIGUSR2');
      const message = await reply;
      return message.probe as ProbeReport;
    },
    stop,
  };
}
