// The rows of the table. Each serves the same order (bench/servers/common.ts) at ORDER_PATH;
// the harness checks that before measuring. A later issue adds its row here: a server file
// under bench/servers/ and one entry below (`credentials` says what wrk sends, cycling through
// 1,000 users). The login row is measured differently (bench/login.ts): logins per second on
// the token endpoint against the raw argon2 ceiling, with a paced health probe alongside.

/** Raised rate limit for measured rows: the limiter counts every request, refuses none. */
export const RAISED_RATE_LIMIT = 1_000_000_000;

export type Credentials = 'none' | 'harness-bearer' | 'server-bearer' | 'server-api-key' | 'server-password';

/** Whether the server writes the row's credentials (rather than the harness). */
export function serverIssued(credentials: Credentials): boolean {
  return credentials.startsWith('server-');
}

export interface Row {
  id: string;
  /** Short name for the table. */
  label: string;
  /** What the row runs, for the README and the JSON. */
  stack: string;
  runtime: 'node' | 'python';
  /** Entry file, relative to the repository root. */
  entry: string;
  /**
   * What each request carries, cycling through 1,000 users:
   * - 'none': nothing;
   * - 'harness-bearer': `Authorization: Bearer`, tokens signed by bench/tokens.ts with one key
   *   the harness generates (the peers verify them with BENCH_PUBLIC_KEY_FILE);
   * - 'server-bearer' / 'server-api-key': `Authorization: Bearer` / `X-API-Key`, credentials
   *   the server issued itself for users in its own database and wrote, one per line, to
   *   BENCH_CREDENTIALS_FILE before it reported ready;
   * - 'server-password': the login row — `username<TAB>password` lines from the same file,
   *   posted to the token endpoint.
   */
  credentials: Credentials;
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
    credentials: 'none',
    env: {},
  },
  {
    id: 'fastify',
    label: 'Fastify bare',
    stack: 'Fastify 5, one route, no plugins, no logger, no schema',
    runtime: 'node',
    entry: 'bench/servers/fastify-bare.ts',
    credentials: 'none',
    env: {},
  },
  {
    id: 'rampart-public',
    label: 'Rampart public route',
    stack: 'createServer (production mode) with every default layer, policy { public: true }, strict TypeBox params and response schemas, one JSON log line per request to stdout (/dev/null)',
    runtime: 'node',
    entry: 'bench/servers/rampart-public.ts',
    credentials: 'none',
    env: { RAMPART_RATE_LIMIT: String(RAISED_RATE_LIMIT), RAMPART_RATE_LIMIT_WINDOW_S: '60' },
    rateLimitHeader: 'ratelimit',
  },
  {
    id: 'rampart-jwt',
    label: 'Rampart protected route',
    stack: 'the public route\'s server and options plus the identity (createIdentity over a temp-file SQLite database with identityMigrations, EdDSA keyring): policy { scopes: [\'orders:read\'] }, bearer and API-key authenticators; EdDSA access tokens issued by that identity for 1,000 enabled users in the database',
    runtime: 'node',
    entry: 'bench/servers/rampart-identity.ts',
    credentials: 'server-bearer',
    env: { RAMPART_RATE_LIMIT: String(RAISED_RATE_LIMIT), RAMPART_RATE_LIMIT_WINDOW_S: '60' },
    rateLimitHeader: 'ratelimit',
  },
  {
    id: 'rampart-apikey',
    label: 'Rampart protected route',
    stack: 'the same server and route as rampart-jwt; 1,000 API keys (identity.apiKeys.create, scope orders:read) of 1,000 users, sent in X-API-Key',
    runtime: 'node',
    entry: 'bench/servers/rampart-identity.ts',
    credentials: 'server-api-key',
    env: { RAMPART_RATE_LIMIT: String(RAISED_RATE_LIMIT), RAMPART_RATE_LIMIT_WINDOW_S: '60' },
    rateLimitHeader: 'ratelimit',
  },
  {
    id: 'rampart-login',
    label: 'Rampart logins',
    stack: 'the same server: POST /v1/auth/token (grant_type=password) for 1,000 users with their correct passwords, argon2id at OWASP parameters (m=19 MiB, t=2, p=1; 2 hashes in flight), token rate limit raised through rateLimitOverrides.token, login throttle at its defaults',
    runtime: 'node',
    entry: 'bench/servers/rampart-identity.ts',
    credentials: 'server-password',
    env: { RAMPART_RATE_LIMIT: String(RAISED_RATE_LIMIT), RAMPART_RATE_LIMIT_WINDOW_S: '60' },
    rateLimitHeader: 'ratelimit',
  },
  {
    id: 'fastify-stack',
    label: 'Fastify hand-assembled',
    stack: 'Fastify 5 + @fastify/helmet + @fastify/cors + @fastify/rate-limit + jose EdDSA bearer check + role check + response schema',
    runtime: 'node',
    entry: 'bench/servers/fastify-stack.ts',
    credentials: 'harness-bearer',
    env: { BENCH_RATE_LIMIT: String(RAISED_RATE_LIMIT) },
    rateLimitHeader: 'x-ratelimit-remaining',
  },
  {
    id: 'express-stack',
    label: 'Express 5 stack',
    stack: 'Express 5 + helmet + cors + express-rate-limit + jose EdDSA bearer check + role check',
    runtime: 'node',
    entry: 'bench/servers/express-stack.ts',
    credentials: 'harness-bearer',
    env: { BENCH_RATE_LIMIT: String(RAISED_RATE_LIMIT) },
    rateLimitHeader: 'ratelimit',
  },
  {
    id: 'fastapi',
    label: 'FastAPI',
    stack: 'FastAPI + uvicorn (Debian packages): security-headers middleware, CORSMiddleware, HTTPBearer + PyJWT (EdDSA pinned) dependency, role check, pydantic response model',
    runtime: 'python',
    entry: 'bench/peers/fastapi_app.py',
    credentials: 'harness-bearer',
    env: {},
  },
];

/** The references every ratio is taken against. */
export const NODE_HTTP = 'node-http';
export const FASTIFY = 'fastify';
export const FASTAPI = 'fastapi';

/** The login row: the raw argon2 ceiling it is compared with, and the paced health probe. */
export const LOGIN = 'rampart-login';

/** The targets, checked when both rows ran (measured against, never asserted in tests). */
export type Target =
  /** Row req/s ≥ minRatio × reference req/s. */
  | { kind: 'throughput'; description: string; row: string; reference: string; minRatio: number }
  /** Row p99 ≤ reference p99. */
  | { kind: 'p99'; description: string; row: string; reference: string }
  /** Login row: logins/s ≥ minRatio × argon2 verifications/s of the raw ceiling, same run. */
  | { kind: 'hashing-ceiling'; description: string; row: string; minRatio: number }
  /** Login row: p99 of the health probe run alongside ≤ maxMs. */
  | { kind: 'health-p99'; description: string; row: string; maxMs: number };

export const TARGETS: readonly Target[] = [
  { description: 'Public route ≥ 65% of bare Fastify', row: 'rampart-public', reference: FASTIFY, kind: 'throughput', minRatio: 0.65 },
  // The identity issues add their rows and these targets come alive:
  { description: 'Protected JWT route ≥ 2× the hand-assembled Fastify row', row: 'rampart-jwt', reference: 'fastify-stack', kind: 'throughput', minRatio: 2 },
  { description: 'Protected JWT route ≥ 10× FastAPI', row: 'rampart-jwt', reference: FASTAPI, kind: 'throughput', minRatio: 10 },
  { description: 'Protected JWT route p99 ≤ the hand-assembled Fastify row', row: 'rampart-jwt', reference: 'fastify-stack', kind: 'p99' },
  { description: 'API-key route ≥ 55% of bare Fastify', row: 'rampart-apikey', reference: FASTIFY, kind: 'throughput', minRatio: 0.55 },
  { description: 'Logins ≥ 80% of the raw argon2id hashing ceiling', row: LOGIN, kind: 'hashing-ceiling', minRatio: 0.8 },
  { description: 'Health route p99 ≤ 20 ms during the login run', row: LOGIN, kind: 'health-p99', maxMs: 20 },
];
