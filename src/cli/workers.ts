// `rampart serve --workers N`: N processes (node:cluster) sharing one port, each a whole
// service. They share state only through the configured stores, so more than one is refused
// without REDIS_URL: with in-process stores each worker would count rate limits and login
// failures, and hold revocations, alone. SQLite files are shared safely (WAL mode, and a
// request that finds another process writing waits up to a second, then gets 503).
import cluster, { type Worker } from 'node:cluster';
import { availableParallelism } from 'node:os';
import { InvalidArgumentError } from 'commander';

/** Parses --workers: a positive integer or `auto` (one per core). */
export function parseWorkers(value: string): number {
  if (value === 'auto') return availableParallelism();
  if (!/^[1-9]\d{0,2}$/.test(value)) throw new InvalidArgumentError('a whole number from 1 to 999, or "auto" (one per core)');
  return Number(value);
}

/** Why these settings cannot run `workers` processes, or undefined when they can. */
export function workersProblem(workers: number, redisUrl: string | undefined): string | undefined {
  if (workers <= 1 || redisUrl !== undefined) return undefined;
  return `--workers ${workers} needs REDIS_URL: without a shared store each worker would count rate limits and login failures, and hold revocations, alone`;
}

/**
 * The primary: forks the workers and stays small. A worker that exits before it listens is a
 * failed boot (port in use, refused configuration): the primary stops the others and exits 1.
 * One that dies later is replaced. SIGTERM or SIGINT reach every worker as SIGTERM, each drains
 * and exits, and the primary exits with the worst status.
 */
export function runPrimary(workers: number, log: (message: string) => void): void {
  let stopping = false;
  let status = 0;
  const listening = new Set<Worker>();
  const fork = (): void => {
    const worker = cluster.fork();
    worker.once('listening', () => listening.add(worker));
    worker.once('exit', (code: number, signal: string | null) => {
      const how = signal ?? String(code);
      const booted = listening.delete(worker);
      if (stopping) {
        if (code !== 0) status = 1;
      } else if (!booted) {
        log(`worker ${String(worker.process.pid)} exited during boot (${how}): stopping`);
        status = 1;
        stop();
      } else {
        log(`worker ${String(worker.process.pid)} exited (${how}): starting another`);
        fork();
      }
      if (stopping && Object.keys(cluster.workers ?? {}).length === 0) process.exit(status);
    });
  };
  const stop = (): void => {
    stopping = true;
    for (const worker of Object.values(cluster.workers ?? {})) worker?.process.kill('SIGTERM');
    if (Object.keys(cluster.workers ?? {}).length === 0) process.exit(status);
  };
  process.on('SIGTERM', stop);
  process.on('SIGINT', stop);
  for (let i = 0; i < workers; i++) fork();
}

/** In a worker, a terminal's Ctrl-C reaches the whole process group: the primary's SIGTERM is the one to act on. */
export function workerIgnoresSigint(): void {
  process.removeAllListeners('SIGINT');
  process.on('SIGINT', () => undefined);
}

export const isWorker = (): boolean => cluster.isWorker;
