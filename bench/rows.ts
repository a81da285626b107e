// The rows of the table. Each serves the same order (bench/servers/common.ts) at ORDER_PATH;
// the harness checks that before measuring. A later issue adds its row here: a server file
// under bench/servers/ and one entry below (`auth: true` makes wrk cycle the users' tokens).

/** Raised rate limit for measured rows: the limiter counts every request, refuses none. */
export const RAISED_RATE_LIMIT = 1_000_000_000;

export interface Row {
  id: string;
  /** Short name for the table. */
  label: string;
  /** What the row runs, for the README and the JSON. */
  stack: string;
  runtime: 'node' | 'python';
  /** Entry file, relative to the repository root. */
  entry: string;
  /** Requests carry `Authorization: Bearer <token>`, cycling through 1,000 users. */
  auth: boolean;
  env: Readonly<Record<string, string>>;
  /** A response header proving the rate limiter counted the request. */
  rateLimitHeader?: string;
}

export const ROWS: readonly Row[] = [
  {
    id: 'node-http',
    label: 'node:http bare',
    stack: 'node:http, JSON.stringify; no framework, no security layer (the physical limit)',
    runtime: 'node',
    entry: 'bench/servers/node-http.ts',
    auth: false,
    env: {},
  },
  {
    id: 'fastify',
    label: 'Fastify bare',
    stack: 'Fastify 5, one route, no plugins, no logger, no schema',
    runtime: 'node',
    entry: 'bench/servers/fastify-bare.ts',
    auth: false,
    env: {},
  },
  {
    id: 'rampart-public',
    label: 'Rampart public route',
    stack: 'createServer (production mode) with every default layer, policy { public: true }, strict TypeBox params and response schemas, one JSON log line per request to stdout (/dev/null)',
    runtime: 'node',
    entry: 'bench/servers/rampart-public.ts',
    auth: false,
    env: { RAMPART_RATE_LIMIT: String(RAISED_RATE_LIMIT), RAMPART_RATE_LIMIT_WINDOW_S: '60' },
    rateLimitHeader: 'ratelimit',
  },
  {
    id: 'fastify-stack',
    label: 'Fastify hand-assembled',
    stack: 'Fastify 5 + @fastify/helmet + @fastify/cors + @fastify/rate-limit + jose EdDSA bearer check + role check + response schema',
    runtime: 'node',
    entry: 'bench/servers/fastify-stack.ts',
    auth: true,
    env: { BENCH_RATE_LIMIT: String(RAISED_RATE_LIMIT) },
    rateLimitHeader: 'x-ratelimit-remaining',
  },
  {
    id: 'express-stack',
    label: 'Express 5 stack',
    stack: 'Express 5 + helmet + cors + express-rate-limit + jose EdDSA bearer check + role check',
    runtime: 'node',
    entry: 'bench/servers/express-stack.ts',
    auth: true,
    env: { BENCH_RATE_LIMIT: String(RAISED_RATE_LIMIT) },
    rateLimitHeader: 'ratelimit',
  },
  {
    id: 'fastapi',
    label: 'FastAPI',
    stack: 'FastAPI + uvicorn (Debian packages): security-headers middleware, CORSMiddleware, HTTPBearer + PyJWT (EdDSA pinned) dependency, role check, pydantic response model',
    runtime: 'python',
    entry: 'bench/peers/fastapi_app.py',
    auth: true,
    env: {},
  },
];

/** The references every ratio is taken against. */
export const NODE_HTTP = 'node-http';
export const FASTIFY = 'fastify';
export const FASTAPI = 'fastapi';

/** The targets, checked when both rows ran (measured against, never asserted in tests). */
export interface Target {
  description: string;
  row: string;
  reference: string;
  /** 'throughput': row req/s ≥ minRatio × reference req/s; 'p99': row p99 ≤ reference p99. */
  kind: 'throughput' | 'p99';
  minRatio?: number;
}

export const TARGETS: readonly Target[] = [
  { description: 'Public route ≥ 65% of bare Fastify', row: 'rampart-public', reference: FASTIFY, kind: 'throughput', minRatio: 0.65 },
  // The identity issues add their rows and these targets come alive:
  { description: 'Protected JWT route ≥ 2× the hand-assembled Fastify row', row: 'rampart-jwt', reference: 'fastify-stack', kind: 'throughput', minRatio: 2 },
  { description: 'Protected JWT route ≥ 10× FastAPI', row: 'rampart-jwt', reference: FASTAPI, kind: 'throughput', minRatio: 10 },
  { description: 'Protected JWT route p99 ≤ the hand-assembled Fastify row', row: 'rampart-jwt', reference: 'fastify-stack', kind: 'p99' },
  { description: 'API-key route ≥ 55% of bare Fastify', row: 'rampart-api-key', reference: FASTIFY, kind: 'throughput', minRatio: 0.55 },
];
