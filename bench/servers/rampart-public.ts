// Row `rampart-public`: a public route built with the toolkit's public API, every default
// layer on (security headers, request ids, trusted-proxy client resolution, Host allowlist,
// limits and timeouts, load shedding, CORS, rate limit, strict validation, problem+json
// errors, one JSON log line per request to stdout), in production mode.
//
// The rate limiter stays on and counts every request. The harness raises its limit through
// RAMPART_RATE_LIMIT (passed to createServer's `rateLimit.limit`, the same setting the
// config loader reads) so that no request of the run is refused; the memory test leaves the
// defaults (100 per 60 s, at most 100,000 client counters).
import { createServer, DEFAULT_RATE_LIMIT, listen } from '../../src/toolkit/index.ts';
import { ORDER_ROUTE_SCHEMA } from './rampart-order.ts';
import { ALLOWED_ORIGIN, order, ready } from './common.ts';

const app = await createServer({
  mode: 'production',
  allowedHosts: ['127.0.0.1'],
  trustedProxies: ['127.0.0.1/32'],
  cors: { origins: [ALLOWED_ORIGIN] },
  rateLimit: {
    limit: Number(process.env.RAMPART_RATE_LIMIT ?? DEFAULT_RATE_LIMIT.limit),
    windowSeconds: Number(process.env.RAMPART_RATE_LIMIT_WINDOW_S ?? DEFAULT_RATE_LIMIT.windowSeconds),
  },
});

app.get(
  '/v1/orders/:id',
  {
    policy: { public: true },
    schema: ORDER_ROUTE_SCHEMA,
  },
  (request) => order(request.params.id),
);

const listening = await listen(app, { host: '127.0.0.1', port: 0, allowedHosts: ['127.0.0.1'], development: false });
ready({ port: listening.port, address: '127.0.0.1', family: 'IPv4' });
