// The reference point of the service's /healthz row: bare Fastify, one route answering the
// service's health body, no plugins, no logger, no schema. Environment: PORT.
import Fastify from 'fastify';

const app = Fastify({ logger: false });
app.get('/healthz', () => ({ status: 'ok' }));
process.once('SIGTERM', () => process.exit(0));
await app.listen({ host: '127.0.0.1', port: Number(process.env.PORT) });
