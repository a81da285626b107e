// Peer of the reference service (bench/service/run.ts): the same routes a Fastify user
// assembles by hand, doing the same work as the service for each request —
//   @fastify/helmet, @fastify/cors (one origin), @fastify/rate-limit (raised like the
//   service's), a jose EdDSA bearer check (algorithm, issuer, audience pinned; key from the
//   service's own JWKS) with a cache of up to 10,000 verified tokens until they expire (what
//   the service's verified-token cache does), a scope check, Kysely over the same SQLite
//   database (a copy of the service's file, node:sqlite, prepared statements kept), the same
//   query and response (Fastify response schemas), and one pino line per request to a file
//   (buffered like the service's: at least 4 KiB per write).
//
// Routes: GET /healthz, GET /v1/orders (JWT, the caller's orders, newest first, 20 a page).
// Environment: PORT, BENCH_DB (SQLite file), BENCH_JWKS (file), BENCH_LOG (file),
// BENCH_RATE_LIMIT, BENCH_ISSUER, BENCH_AUDIENCE.
import { DatabaseSync, type StatementSync } from 'node:sqlite';
import { readFileSync } from 'node:fs';
import Fastify, { type FastifyReply, type FastifyRequest } from 'fastify';
import helmet from '@fastify/helmet';
import cors from '@fastify/cors';
import rateLimit from '@fastify/rate-limit';
import { importJWK, jwtVerify, type JWK, type JWTPayload } from 'jose';
import { Kysely, SqliteDialect, type SqliteDatabase, type SqliteStatement } from 'kysely';
import { pino } from 'pino';

const need = (name: string): string => {
  const value = process.env[name];
  if (value === undefined || value === '') throw new Error(`fastify peer: ${name} is not set`);
  return value;
};

interface OrdersTable {
  id: string;
  owner_id: string;
  product_id: string;
  quantity: number;
  unit_price: number;
  total: number;
  currency: string;
  status: string;
  created_at: number;
  cancelled_at: number | null;
}

// Kysely ships no node:sqlite dialect; its SqliteDialect takes any better-sqlite3-shaped
// database, which node:sqlite becomes in a few lines (statements prepared once, kept).
function asKyselyDatabase(database: DatabaseSync): SqliteDatabase {
  const statements = new Map<string, StatementSync>();
  return {
    close: () => database.close(),
    prepare(sql: string): SqliteStatement {
      let statement = statements.get(sql);
      if (statement === undefined) {
        statement = database.prepare(sql);
        statements.set(sql, statement);
      }
      const s = statement;
      return {
        reader: s.columns().length > 0,
        all: (parameters: readonly unknown[]) => s.all(...(parameters as never[])),
        run: (parameters: readonly unknown[]) => {
          const r = s.run(...(parameters as never[]));
          return { changes: r.changes, lastInsertRowid: r.lastInsertRowid };
        },
        iterate: (parameters: readonly unknown[]) => s.iterate(...(parameters as never[])),
      };
    },
  };
}

const sqlite = new DatabaseSync(need('BENCH_DB'));
sqlite.exec('pragma busy_timeout = 1000; pragma journal_mode = wal;');
const db = new Kysely<{ orders: OrdersTable }>({ dialect: new SqliteDialect({ database: asKyselyDatabase(sqlite) }) });

const [jwk] = (JSON.parse(readFileSync(need('BENCH_JWKS'), 'utf8')) as { keys: JWK[] }).keys;
const publicKey = await importJWK(jwk!, 'EdDSA');
const ISSUER = need('BENCH_ISSUER');
const AUDIENCE = need('BENCH_AUDIENCE');
const CACHE_SIZE = 10_000;
const verified = new Map<string, JWTPayload>();

const log = pino({ base: undefined }, pino.destination({ dest: need('BENCH_LOG'), minLength: 4096, sync: true }));
setInterval(() => log.flush(), 1000).unref();

const app = Fastify({ logger: false });
await app.register(helmet);
await app.register(cors, { origin: ['https://app.example.com'] });
await app.register(rateLimit, { max: Number(need('BENCH_RATE_LIMIT')), timeWindow: '1 minute' });

declare module 'fastify' {
  interface FastifyRequest {
    user: JWTPayload | null;
  }
}
app.decorateRequest('user', null);
app.addHook('onResponse', async (request, reply) => {
  log.info({ reqId: request.id, method: request.method, url: request.url, status: reply.statusCode, ms: reply.elapsedTime, client: request.ip, principal: request.user?.sub ?? null }, 'request');
});

async function authenticate(request: FastifyRequest, reply: FastifyReply): Promise<void> {
  const header = request.headers.authorization;
  if (header?.startsWith('Bearer ') !== true) return reply.code(401).send({ error: 'missing bearer token' });
  const token = header.slice(7);
  const cached = verified.get(token);
  if (cached !== undefined && (cached.exp ?? 0) * 1000 > Date.now()) {
    request.user = cached;
    return;
  }
  try {
    const { payload } = await jwtVerify(token, publicKey, { algorithms: ['EdDSA'], issuer: ISSUER, audience: AUDIENCE });
    if (verified.size >= CACHE_SIZE) verified.delete(verified.keys().next().value!);
    verified.set(token, payload);
    request.user = payload;
  } catch {
    return reply.code(401).send({ error: 'invalid token' });
  }
}

function requireScope(scope: string) {
  return async (request: FastifyRequest, reply: FastifyReply): Promise<void> => {
    const scopes = typeof request.user?.scope === 'string' ? request.user.scope.split(' ') : [];
    if (!scopes.includes(scope)) return reply.code(403).send({ error: 'forbidden' });
  };
}

const OrderSchema = {
  type: 'object',
  additionalProperties: false,
  properties: {
    id: { type: 'string' }, productId: { type: 'string' }, quantity: { type: 'integer' }, unitPrice: { type: 'integer' }, total: { type: 'integer' },
    currency: { type: 'string' }, status: { type: 'string' }, createdAt: { type: 'string' }, cancelledAt: { type: ['string', 'null'] },
  },
} as const;

app.get('/healthz', { schema: { response: { 200: { type: 'object', properties: { status: { type: 'string' } } } } } }, () => ({ status: 'ok' }));

app.get<{ Querystring: { limit?: number } }>(
  '/v1/orders',
  {
    onRequest: [authenticate],
    preHandler: [requireScope('orders:read')],
    schema: {
      querystring: { type: 'object', additionalProperties: false, properties: { limit: { type: 'integer', minimum: 1, maximum: 100, default: 20 } } },
      response: { 200: { type: 'object', additionalProperties: false, properties: { items: { type: 'array', items: OrderSchema }, next: { type: ['string', 'null'] } } } },
    },
  },
  async (request) => {
    const limit = request.query.limit ?? 20;
    const rows = await db.selectFrom('orders').selectAll().where('owner_id', '=', request.user!.sub!).orderBy('created_at', 'desc').orderBy('id', 'desc').limit(limit + 1).execute();
    const items = rows.slice(0, limit).map((row) => ({
      id: row.id, productId: row.product_id, quantity: row.quantity, unitPrice: row.unit_price, total: row.total, currency: row.currency, status: row.status,
      createdAt: new Date(row.created_at).toISOString(), cancelledAt: row.cancelled_at === null ? null : new Date(row.cancelled_at).toISOString(),
    }));
    const last = rows.length > limit ? items[items.length - 1] : undefined;
    return { items, next: last === undefined ? null : Buffer.from(JSON.stringify([Date.parse(last.createdAt), last.id])).toString('base64url') };
  },
);

process.once('SIGTERM', () => {
  log.flush();
  process.exit(0);
});
await app.listen({ host: '127.0.0.1', port: Number(need('PORT')) });
