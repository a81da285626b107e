// The service bench's processes: each server under test started on a port of its own with its
// stdout and stderr sent to a file (the service's request log is its stdout), answered on
// /healthz before it counts as started, and stopped by its PID. CPU time is read from /proc
// for the process and every descendant (cluster workers), so it works for any runtime.
import { spawn, type ChildProcess } from 'node:child_process';
import { openSync, readdirSync, readFileSync } from 'node:fs';
import { createServer } from 'node:net';

export interface Started {
  readonly name: string;
  readonly pid: number;
  readonly port: number;
  /** User + system CPU time of the process tree so far, in microseconds. */
  cpuUs(): number;
  stop(): Promise<void>;
}

const live = new Set<ChildProcess>();
process.once('exit', () => {
  for (const child of live) if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
});

export async function freePort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as { port: number };
  await new Promise((resolve) => server.close(resolve));
  return port;
}

const TICK_US = 1e6 / 100; // USER_HZ is 100 on Linux

function statOf(pid: number): { ppid: number; ticks: number } | undefined {
  try {
    const text = readFileSync(`/proc/${pid}/stat`, 'utf8');
    // Fields after the command name (which may hold spaces), from field 3 (state) on.
    const fields = text.slice(text.lastIndexOf(')') + 2).split(' ');
    return { ppid: Number(fields[1]), ticks: Number(fields[11]) + Number(fields[12]) };
  } catch {
    return undefined;
  }
}

/** CPU time of `root` and all its live descendants, in microseconds. */
export function treeCpuUs(root: number): number {
  const children = new Map<number, number[]>();
  const ticks = new Map<number, number>();
  for (const entry of readdirSync('/proc')) {
    const pid = Number(entry);
    if (!Number.isInteger(pid)) continue;
    const stat = statOf(pid);
    if (stat === undefined) continue;
    ticks.set(pid, stat.ticks);
    children.set(stat.ppid, [...(children.get(stat.ppid) ?? []), pid]);
  }
  let total = 0;
  const stack = [root];
  while (stack.length > 0) {
    const pid = stack.pop()!;
    total += ticks.get(pid) ?? 0;
    stack.push(...(children.get(pid) ?? []));
  }
  return total * TICK_US;
}

export interface StartSpec {
  name: string;
  command: string;
  args: readonly string[];
  env: Readonly<Record<string, string>>;
  cwd: string;
  port: number;
  /** Where stdout and stderr go (the service's request log). */
  output: string;
  /** Headers the readiness probe sends (the service wants a forwarded proto in production). */
  headers?: Readonly<Record<string, string>>;
}

export async function start(spec: StartSpec): Promise<Started> {
  const out = openSync(spec.output, 'a');
  const child = spawn(spec.command, spec.args, { cwd: spec.cwd, env: { ...process.env, ...spec.env, PORT: String(spec.port) }, stdio: ['ignore', out, out] });
  live.add(child);
  const pid = child.pid;
  if (pid === undefined) throw new Error(`${spec.name}: could not start ${spec.command}`);
  const exited = new Promise<void>((resolve) => child.once('exit', () => {
    live.delete(child);
    resolve();
  }));
  const stop = async (): Promise<void> => {
    if (child.exitCode !== null || child.signalCode !== null) return;
    process.kill(pid, 'SIGTERM');
    const killer = setTimeout(() => {
      if (child.exitCode === null && child.signalCode === null) process.kill(pid, 'SIGKILL');
    }, 10_000);
    await exited;
    clearTimeout(killer);
  };
  // A loaded machine boots slowly (two workers and their primary each build the service).
  const deadline = Date.now() + 120_000;
  for (;;) {
    if (child.exitCode !== null) throw new Error(`${spec.name} exited with ${child.exitCode}; see ${spec.output}:\n${readFileSync(spec.output, 'utf8').slice(-2000)}`);
    try {
      const response = await fetch(`http://127.0.0.1:${spec.port}/healthz`, { headers: spec.headers });
      await response.arrayBuffer();
      if (response.status === 200) break;
    } catch {
      // not listening yet
    }
    if (Date.now() > deadline) {
      await stop();
      throw new Error(`${spec.name}: no 200 on /healthz within 120 s; see ${spec.output}`);
    }
    await new Promise((resolve) => setTimeout(resolve, 200));
  }
  return { name: spec.name, pid, port: spec.port, cpuUs: () => treeCpuUs(pid), stop };
}
