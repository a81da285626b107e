// GET /metrics in the Prometheus text format. It maps traffic, routes and attacks, so it is
// never public by default: the service Basic credential (or an admin) needs `metrics:read`.
import { Type } from 'typebox';
import type { RoutePolicy } from '../policy/types.ts';
import type { RampartServer } from '../server/create.ts';
import type { Metrics } from './metrics.ts';

export interface MetricsRouteOptions {
  /** Default `/metrics`. */
  path?: string;
  /** Default `{ scopes: ['metrics:read'] }`. */
  policy?: RoutePolicy;
}

export const METRICS_SCOPE = 'metrics:read';

// A string, not an object: nothing unlisted can leave through it, so the boot check accepts it.
const Exposition = Type.String({ description: 'Prometheus text exposition format 0.0.4.' });

export function metricsRoute(app: RampartServer, metrics: Metrics, options: MetricsRouteOptions = {}): void {
  app.get(options.path ?? '/metrics', {
    policy: options.policy ?? { scopes: [METRICS_SCOPE] },
    schema: {
      summary: 'Prometheus metrics',
      description: 'Request counts and latencies by route pattern, method and status; security events by type; rate-limit refusals by policy; process metrics.',
      response: { 200: { description: 'Prometheus text exposition format 0.0.4', content: { 'text/plain': { schema: Exposition } } } },
    },
    handler: async (_request, reply) => {
      // A text content type: Fastify sends the string as it is, without JSON serialization.
      reply.header('content-type', metrics.contentType);
      return metrics.render();
    },
  });
}
