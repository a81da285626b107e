// What the service bench measures: each cell is one route on one server. The service runs as
// `rampart serve` (SQLite; the -redis servers with REDIS_URL, as more than one worker needs);
// the peers (bench/peers/) implement only the routes they are compared on.

export const ROUTES = ['healthz', 'products', 'me', 'orders', 'transfers', 'login'] as const;
export type RouteId = (typeof ROUTES)[number];

export const SERVERS = ['service', 'service-redis', 'service-redis-2w', 'fastify-bare', 'fastify-stack', 'fastapi'] as const;
export type ServerId = (typeof SERVERS)[number];

export interface Cell {
  route: RouteId;
  server: ServerId;
}

export const ROUTE_LABELS: Readonly<Record<RouteId, string>> = {
  healthz: 'GET /healthz',
  products: 'GET /v1/products?limit=5',
  me: 'GET /v1/users/me (JWT)',
  orders: 'GET /v1/orders (JWT)',
  transfers: 'POST /v1/transfers (JWT, new Idempotency-Key each)',
  login: 'POST /v1/auth/token (password grant, argon2id)',
};

export const SERVER_LABELS: Readonly<Record<ServerId, string>> = {
  'service': 'Rampart service, 1 worker',
  'service-redis': 'Rampart service + Redis, 1 worker',
  'service-redis-2w': 'Rampart service + Redis, 2 workers',
  'fastify-bare': 'Fastify bare',
  'fastify-stack': 'Fastify + Kysely hand-assembled',
  'fastapi': 'FastAPI + sqlite3',
};

export const CELLS: readonly Cell[] = [
  ...ROUTES.map((route): Cell => ({ route, server: 'service' })),
  { route: 'healthz', server: 'fastify-bare' },
  { route: 'healthz', server: 'fastify-stack' },
  { route: 'healthz', server: 'fastapi' },
  { route: 'orders', server: 'fastify-stack' },
  { route: 'orders', server: 'fastapi' },
  { route: 'orders', server: 'service-redis' },
  { route: 'orders', server: 'service-redis-2w' },
];
