// Row `fastify`: Fastify with one route and nothing else (no plugins, no logger, no schema).
import Fastify from 'fastify';
import { order, ready } from './common.ts';

const app = Fastify({ logger: false });
app.get<{ Params: { id: string } }>('/v1/orders/:id', (request) => order(request.params.id));
await app.listen({ host: '127.0.0.1', port: 0 });
ready(app.server.address());
