// Liveness and readiness: public, cheap, with their own generous limit for monitors.
// Liveness touches no dependency — its limit is counted in this process, never in Redis — so
// an outage of the database or Redis never gets a healthy process restarted. Readiness says
// whether to send traffic here: not while draining for a shutdown, not while a dependency
// does not answer (named in the 503, never with its address).
import { Type } from 'typebox';
import { notReadyProblem } from '../../faults/readiness.ts';
import type { RampartServer } from '../../server/create.ts';

const MONITOR_LIMIT = { name: 'health', limit: 600, windowSeconds: 60, local: true };

const Status = Type.Object({ status: Type.String() }, { additionalProperties: false });

export function healthRoutes(app: RampartServer): void {
  app.get('/healthz', {
    policy: { public: true, rateLimit: MONITOR_LIMIT },
    schema: { response: { 200: Status } },
    handler: () => ({ status: 'ok' }),
  });

  app.get('/readyz', {
    policy: { public: true, rateLimit: MONITOR_LIMIT },
    schema: { response: { 200: Status } },
    handler: async () => {
      const readiness = await app.readiness();
      if (!readiness.ready) throw notReadyProblem(readiness);
      return { status: 'ready' };
    },
  });
}
