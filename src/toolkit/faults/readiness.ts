// Readiness: whether a load balancer should send traffic to this instance — not while it
// drains for a shutdown, and not while a dependency does not answer. Liveness is another
// question (is the process alive?) and must touch no dependency, or an outage of Redis would
// get healthy processes restarted.
import { HttpProblem } from '../errors/problem.ts';
import type { FaultMonitor } from './monitor.ts';

export interface Readiness {
  ready: boolean;
  draining: boolean;
  /** Dependencies that did not answer in time, by name (`database`, `redis`): never an address. */
  unavailable: string[];
}

export async function checkReadiness(monitor: FaultMonitor, draining: boolean): Promise<Readiness> {
  const unavailable = await monitor.check();
  return { ready: !draining && unavailable.length === 0, draining, unavailable };
}

/** The 503 for an instance that is not ready: what is missing, by name only. */
export function notReadyProblem(state: Readiness): HttpProblem {
  const missing = state.unavailable.length === 0 ? '' : ` ${state.unavailable.join(', ')} ${state.unavailable.length === 1 ? 'is' : 'are'} unavailable.`;
  return new HttpProblem(503, {
    slug: 'not-ready',
    title: 'Service Unavailable',
    detail: `Not ready:${state.draining ? ' the server is shutting down.' : ''}${missing}`,
    extensions: { unavailable: state.unavailable, draining: state.draining },
    headers: { 'retry-after': '5' },
  });
}
