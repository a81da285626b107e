// Outages are logged once, not once per request. The first fault of a kind starts an outage:
// one error line naming the dependency and what clients get meanwhile. An unreachable
// dependency is then probed every second, and the first answer ends the outage with one line
// saying how long it lasted and how many requests were refused; a busy or full one ends after
// a quiet spell without that fault. Requests never wait for the monitor: they try the
// dependency themselves (failing fast while it is down), so service resumes as soon as the
// dependency does. Readiness runs the same probes.
import type { FastifyBaseLogger } from 'fastify';
import { DEPENDENCY_UNAVAILABLE, type Fault } from './classify.ts';

/** Resolves when the dependency answers a trivial request (database ping, Redis PING). */
export type Probe = () => Promise<void>;

export interface FaultMonitorOptions {
  log: FastifyBaseLogger;
  /** The dependencies that can be checked, by the names faults carry: `database`, `redis`. */
  probes: Readonly<Record<string, Probe>>;
  /** While an unreachable dependency is down, it is probed this often (default 1000 ms). */
  probeIntervalMs?: number;
  /** A probe that has not answered by then has failed (default 1000 ms): readiness answers within it. */
  probeTimeoutMs?: number;
  /** A busy or full outage ends after this long without such a fault (default 30 s). */
  quietMs?: number;
}

export interface FaultMonitor {
  /**
   * Counts a request the fault refused (or, `degraded`, served in a weaker mode); true when
   * the fault starts an outage, whose one line is then logged.
   */
  observe(fault: Fault, error?: unknown, effect?: 'refused' | 'degraded'): boolean;
  /** Probes every dependency at once; returns the names of those that did not answer in time. */
  check(): Promise<string[]>;
  close(): void;
}

interface Outage {
  fault: Fault;
  since: number;
  lastFault: number;
  refused: number;
  degraded: number;
}

const WHAT: Record<Fault['reason'], string> = { unreachable: 'is unavailable', busy: 'is busy', full: 'is full' };

export function createFaultMonitor(options: FaultMonitorOptions): FaultMonitor {
  const { log, probes, probeIntervalMs = 1000, probeTimeoutMs = 1000, quietMs = 30_000 } = options;
  const outages = new Map<string, Outage>();
  const keyOf = (fault: Fault): string => `${fault.dependency}:${fault.reason}`;
  let timer: NodeJS.Timeout | undefined;
  let ticking = false;
  let closed = false;

  const probe = (name: string): Promise<void> => withTimeout(probes[name]!(), probeTimeoutMs, name);

  function begin(fault: Fault, error: unknown, effect: 'refused' | 'degraded' | 'none'): boolean {
    let outage = outages.get(keyOf(fault));
    const now = performance.now();
    const started = outage === undefined;
    outage ??= { fault, since: now, lastFault: now, refused: 0, degraded: 0 };
    outages.set(keyOf(fault), outage);
    if (effect !== 'none') outage[effect] += 1;
    outage.lastFault = now;
    if (!started) return false;
    log.error(
      { dependency: fault.dependency, reason: fault.reason, status: fault.problem.status, err: error },
      `${fault.dependency} ${WHAT[fault.reason]}: requests that need it are answered ${fault.problem.status} until it recovers`,
    );
    if (timer === undefined && !closed) {
      timer = setInterval(() => void tick(), probeIntervalMs);
      timer.unref();
    }
    return true;
  }

  function end(key: string): void {
    const outage = outages.get(key);
    if (outage === undefined) return;
    outages.delete(key);
    const { dependency, reason, problem } = outage.fault;
    const downForMs = Math.round(performance.now() - outage.since);
    const degraded = outage.degraded > 0 ? ` and ${outage.degraded} served with per-process rate limits` : '';
    log.warn(
      { dependency, reason, downForMs, refused: outage.refused, degraded: outage.degraded },
      `${dependency} ${reason === 'unreachable' ? 'is available again' : `is no longer ${reason}`} after ${(downForMs / 1000).toFixed(1)} s; ${outage.refused} request(s) were answered ${problem.status}${degraded} meanwhile`,
    );
    if (outages.size === 0) stopTimer();
  }

  function stopTimer(): void {
    clearInterval(timer);
    timer = undefined;
  }

  async function tick(): Promise<void> {
    if (ticking) return; // a probe slower than the interval: one at a time
    ticking = true;
    try {
      for (const [key, outage] of outages) {
        const { dependency, reason } = outage.fault;
        if (reason !== 'unreachable' || probes[dependency] === undefined) {
          if (performance.now() - outage.lastFault >= quietMs) end(key);
          continue;
        }
        await probe(dependency).then(() => end(key), () => undefined);
      }
    } finally {
      ticking = false;
    }
  }

  return {
    observe: (fault, error, effect = 'refused') => begin(fault, error, effect),

    async check() {
      const names = Object.keys(probes);
      const results = await Promise.allSettled(names.map(probe));
      const down: string[] = [];
      results.forEach((result, i) => {
        const name = names[i]!;
        const fault: Fault = { dependency: name, reason: 'unreachable', problem: DEPENDENCY_UNAVAILABLE };
        if (result.status === 'rejected') {
          down.push(name);
          begin(fault, result.reason, 'none');
        } else {
          end(keyOf(fault));
        }
      });
      return down;
    },

    close() {
      closed = true;
      stopTimer();
    },
  };
}

function withTimeout(work: Promise<void>, ms: number, name: string): Promise<void> {
  let timer: NodeJS.Timeout | undefined;
  const expired = new Promise<never>((_resolve, reject) => {
    timer = setTimeout(() => reject(new Error(`${name} did not answer within ${ms} ms`)), ms);
  });
  return Promise.race([work, expired]).finally(() => clearTimeout(timer));
}
