// Liveness and readiness: public, cheap, with their own generous limit for monitors.
import { HttpProblem, Type, type Database, type RampartServer } from '../../toolkit/index.ts';

const MONITOR_LIMIT = { name: 'health', limit: 600, windowSeconds: 60 };

const Status = Type.Object({ status: Type.String() }, { additionalProperties: false });

export function healthRoutes(app: RampartServer, database: Database<unknown>): void {
  app.get('/healthz', {
    policy: { public: true, rateLimit: MONITOR_LIMIT },
    schema: { response: { 200: Status } },
    handler: () => ({ status: 'ok' }),
  });

  app.get('/readyz', {
    policy: { public: true, rateLimit: MONITOR_LIMIT },
    schema: { response: { 200: Status } },
    handler: async (request) => {
      // Draining before a shutdown: tell the load balancer first, while still answering.
      if (app.drain.draining) throw new HttpProblem(503, { detail: 'The server is shutting down.', headers: { 'retry-after': '5' } });
      try {
        await database.ping();
      } catch (error) {
        request.log.warn({ err: error }, 'readiness: database unreachable');
        throw new HttpProblem(503, { detail: 'The database is not reachable.', headers: { 'retry-after': '5' } });
      }
      return { status: 'ready' };
    },
  });
}
