// Listening and stopping: the API listener, the optional HTTP listener that only redirects
// to HTTPS, and graceful shutdown (stop accepting, finish in-flight requests, close stores).
import { createServer, type Server } from 'node:http';
import type { FastifyInstance } from 'fastify';
import { genericProblem } from '../errors/handler.ts';
import { PROBLEM_CONTENT_TYPE } from '../errors/problem.ts';
import { API_SECURITY_HEADERS } from '../headers/security-headers.ts';
import { createHostCheck, hostName } from './hosts.ts';

export interface ListenOptions {
  host: string;
  port: number;
  /** With TLS: a plain-HTTP port that answers only 308 redirects to the HTTPS port. */
  httpRedirectPort?: number | undefined;
  allowedHosts: readonly string[];
  development: boolean;
}

export interface Listening {
  /** Actual ports (useful with port 0). */
  port: number;
  redirectPort: number | undefined;
  close(): Promise<void>;
}

export async function listen(app: FastifyInstance, options: ListenOptions): Promise<Listening> {
  await app.listen({ host: options.host, port: options.port });
  const port = portOf(app.server);
  let redirect: Server | undefined;
  if (options.httpRedirectPort !== undefined) {
    redirect = createRedirectServer(port, createHostCheck(options.allowedHosts, options.development));
    await new Promise<void>((resolve, reject) => {
      redirect!.once('error', reject).listen(options.httpRedirectPort, options.host, () => resolve());
    });
  }
  return {
    port,
    redirectPort: redirect ? portOf(redirect) : undefined,
    async close() {
      redirect?.close();
      redirect?.closeAllConnections();
      await app.close();
    },
  };
}

/**
 * Redirects only to a host on the allowlist: echoing an arbitrary Host header into
 * Location would turn this listener into an open redirect.
 */
export function createRedirectServer(httpsPort: number, hostAllowed: (host: string | undefined) => boolean): Server {
  return createServer({ requireHostHeader: false, maxHeaderSize: 8192, headersTimeout: 5000, requestTimeout: 10000 }, (req, res) => {
    for (const [name, value] of Object.entries(API_SECURITY_HEADERS)) res.setHeader(name, value);
    res.setHeader('cache-control', 'no-store');
    if (!hostAllowed(req.headers.host)) {
      res.writeHead(400, { 'content-type': PROBLEM_CONTENT_TYPE }).end(JSON.stringify(genericProblem(400)));
      return;
    }
    const name = hostName(req.headers.host!);
    const target = `https://${name}${httpsPort === 443 ? '' : `:${httpsPort}`}${req.url?.startsWith('/') ? req.url : '/'}`;
    res.writeHead(308, { location: target, 'content-length': '0' }).end();
  });
}

function portOf(server: Server): number {
  const address = server.address();
  return typeof address === 'object' && address !== null ? address.port : 0;
}

/** SIGTERM/SIGINT: stop accepting, let in-flight requests finish, then close; force-exit after the grace time. */
export function closeOnSignals(close: () => Promise<void>, graceMs: number, onLog: (message: string) => void): void {
  let closing = false;
  const stop = (signal: NodeJS.Signals): void => {
    if (closing) return;
    closing = true;
    onLog(`${signal} received: finishing in-flight requests (up to ${graceMs} ms)`);
    const force = setTimeout(() => {
      onLog('grace time over: exiting with requests still open');
      process.exit(1);
    }, graceMs);
    force.unref();
    close().then(
      () => process.exit(0),
      () => process.exit(1),
    );
  };
  process.once('SIGTERM', stop);
  process.once('SIGINT', stop);
}
