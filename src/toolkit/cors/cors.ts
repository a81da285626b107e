// CORS closed unless exact origins are configured. An allowed origin is echoed exactly;
// any other origin gets no CORS header at all. `Vary: Origin` goes on every response once
// CORS is on, because the answer differs by Origin and caches must know.
import type { FastifyReply, FastifyRequest } from 'fastify';

export interface CorsOptions {
  origins: readonly string[];
  credentials: boolean;
}

const ALLOWED_METHODS = 'GET, HEAD, POST, PUT, PATCH, DELETE';
const ALLOWED_HEADERS = 'authorization, content-type, idempotency-key, x-api-key, x-csrf-token, x-request-id';
const EXPOSED_HEADERS = 'ratelimit, ratelimit-policy, retry-after, x-request-id, location';

/** Returns a function that applies CORS and answers preflights; true means "answered". */
export function createCors(options: CorsOptions): ((request: FastifyRequest, reply: FastifyReply) => boolean) | undefined {
  if (options.origins.length === 0) return undefined;
  const allowed = new Set(options.origins);
  return function applyCors(request, reply) {
    reply.header('vary', 'Origin');
    const origin = request.headers.origin;
    if (origin === undefined || !allowed.has(origin)) return false;
    reply.header('access-control-allow-origin', origin);
    if (options.credentials) reply.header('access-control-allow-credentials', 'true');
    if (request.method === 'OPTIONS' && request.headers['access-control-request-method'] !== undefined) {
      reply.header('access-control-allow-methods', ALLOWED_METHODS);
      reply.header('access-control-allow-headers', ALLOWED_HEADERS);
      reply.header('access-control-max-age', '600');
      reply.code(204).send();
      return true;
    }
    reply.header('access-control-expose-headers', EXPOSED_HEADERS);
    return false;
  };
}
