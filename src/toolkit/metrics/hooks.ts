// The per-request side of metrics: an onResponse hook bound to one route pattern when the
// route is declared, so a request costs one histogram observation and no route lookup.
import type { FastifyReply, FastifyRequest } from 'fastify';
import type { Metrics } from './metrics.ts';

export type ResponseHook = (request: FastifyRequest, reply: FastifyReply, done: () => void) => void;

/** Observes every response of one route; `route` is its pattern (`/v1/orders/:id`). */
export function requestObserver(metrics: Metrics, route: string): ResponseHook {
  return function observeRequest(request, reply, done) {
    metrics.observeRequest(request.method, route, reply.statusCode, reply.elapsedTime / 1000);
    done();
  };
}

/** For requests that matched no route: counted under the `unmatched` route label. */
export function observeUnmatched(metrics: Metrics, request: FastifyRequest, reply: FastifyReply): void {
  metrics.observeRequest(request.method, null, reply.statusCode, reply.elapsedTime / 1000);
}
