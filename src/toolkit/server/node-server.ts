// The node:http / node:https server under Fastify, with every limit and timeout set at
// construction (some, like maxHeaderSize, cannot be changed later).
import { createServer as createHttpServer, type RequestListener, type Server } from 'node:http';
import { createServer as createHttpsServer } from 'node:https';
import type { ServerOptions } from './options.ts';

export function createNodeServer(options: ServerOptions, handler: RequestListener): Server {
  const { limits } = options;
  const common = {
    maxHeaderSize: limits.headerBytes,
    requestTimeout: limits.requestTimeoutMs,
    headersTimeout: limits.headersTimeoutMs,
    keepAliveTimeout: limits.keepAliveTimeoutMs,
    // Check timeouts often enough that slow clients are cut close to the configured time.
    connectionsCheckingInterval: Math.min(1000, Math.max(50, Math.floor(limits.headersTimeoutMs / 4))),
    // A missing Host is answered by our host check as problem+json, not Node's bare 400.
    requireHostHeader: false,
    insecureHTTPParser: false,
    joinDuplicateHeaders: false,
  };
  const server = options.tls
    ? (createHttpsServer({ ...common, cert: options.tls.cert, key: options.tls.key, minVersion: 'TLSv1.2' }, handler) as unknown as Server)
    : createHttpServer(common, handler);
  server.maxHeadersCount = limits.headerCount + 1;
  return server;
}
