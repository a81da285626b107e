// Row `fastify-stack`: what a Fastify user builds without Rampart, as the guides teach —
// @fastify/helmet, @fastify/cors, @fastify/rate-limit, a jose EdDSA bearer check in an
// onRequest hook, a role check in preHandler, and a response schema (fast-json-stringify).
// No request logging (Fastify's default), which flatters this row rather than Rampart.
import { readFileSync } from 'node:fs';
import Fastify, { type FastifyReply, type FastifyRequest } from 'fastify';
import helmet from '@fastify/helmet';
import cors from '@fastify/cors';
import rateLimit from '@fastify/rate-limit';
import { importSPKI, jwtVerify, type JWTPayload } from 'jose';
import { ALLOWED_ORIGIN, env, order, ORDER_JSON_SCHEMA, ready, REQUIRED_ROLE, TOKEN_AUDIENCE, TOKEN_ISSUER } from './common.ts';

declare module 'fastify' {
  interface FastifyRequest {
    user: JWTPayload | null;
  }
}

const publicKey = await importSPKI(readFileSync(env('BENCH_PUBLIC_KEY_FILE'), 'utf8'), 'EdDSA');

const app = Fastify({ logger: false });
await app.register(helmet);
await app.register(cors, { origin: [ALLOWED_ORIGIN] });
await app.register(rateLimit, { max: Number(env('BENCH_RATE_LIMIT')), timeWindow: '1 minute' });

app.decorateRequest('user', null);

async function authenticate(request: FastifyRequest, reply: FastifyReply): Promise<void> {
  const header = request.headers.authorization;
  if (header?.startsWith('Bearer ') !== true) return reply.code(401).send({ error: 'missing bearer token' });
  try {
    const { payload } = await jwtVerify(header.slice(7), publicKey, { algorithms: ['EdDSA'], issuer: TOKEN_ISSUER, audience: TOKEN_AUDIENCE });
    request.user = payload;
  } catch {
    return reply.code(401).send({ error: 'invalid token' });
  }
}

function requireRole(role: string) {
  return async (request: FastifyRequest, reply: FastifyReply): Promise<void> => {
    const roles = request.user?.roles;
    if (!Array.isArray(roles) || !roles.includes(role)) return reply.code(403).send({ error: 'forbidden' });
  };
}

app.get<{ Params: { id: string } }>(
  '/v1/orders/:id',
  {
    onRequest: [authenticate],
    preHandler: [requireRole(REQUIRED_ROLE)],
    schema: {
      params: { type: 'object', properties: { id: { type: 'string', pattern: '^ord_[0-9]{1,12}$' } }, required: ['id'] },
      response: { 200: ORDER_JSON_SCHEMA },
    },
  },
  (request) => order(request.params.id),
);

await app.listen({ host: '127.0.0.1', port: 0 });
ready(app.server.address());
