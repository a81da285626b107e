// Listening and stopping: the API listener, the optional HTTP listener that only redirects
// to HTTPS, and graceful shutdown (stop accepting, finish in-flight requests, close stores).
import { createServer, type Server } from 'node:http';
import type { FastifyInstance } from 'fastify';
import { genericProblem } from '../errors/handler.ts';
import { PROBLEM_CONTENT_TYPE } from '../errors/problem.ts';
import { API_SECURITY_HEADERS } from '../headers/security-headers.ts';
import type { DrainTiming } from './drain.ts';
import { checkRequestHost, createHostCheck, hostName } from './hosts.ts';

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
  /** Stops accepting now, lets in-flight requests finish, then closes the stores. */
  close(): Promise<void>;
  /** The graceful stop: drains (readiness 503, still accepting, see DrainTiming), then close(). */
  shutdown(timing: DrainTiming): Promise<void>;
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
  const close = async (): Promise<void> => {
    redirect?.close();
    redirect?.closeAllConnections();
    await app.close();
  };
  return {
    port,
    redirectPort: redirect ? portOf(redirect) : undefined,
    close,
    async shutdown(timing) {
      await app.drain.begin(timing);
      await close();
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
    if (checkRequestHost(req, hostAllowed) !== undefined) {
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

export interface SignalOptions {
  drain: DrainTiming;
  /** Time in-flight requests get once the listener has closed, before a forced exit. */
  graceMs: number;
}

/**
 * SIGTERM/SIGINT: drain (readiness 503, keep accepting and answering with Connection: close
 * until quiet), close the listener, let in-flight requests finish, close the stores, exit 0.
 * Past the drain's longest time plus the grace time the process exits 1. A second signal
 * exits at once.
 */
export function closeOnSignals(listening: Pick<Listening, 'shutdown'>, options: SignalOptions, onLog: (message: string) => void): void {
  let closing = false;
  const stop = (signal: NodeJS.Signals): void => {
    if (closing) {
      onLog(`${signal} received again: exiting now`);
      process.exit(1);
    }
    closing = true;
    const { drain, graceMs } = options;
    onLog(`${signal} received: draining (readiness 503; accepting for at least ${drain.minMs} ms, until ${drain.quietMs} ms pass without a new request), then finishing in-flight requests (up to ${graceMs} ms)`);
    const force = setTimeout(() => {
      onLog('grace time over: exiting with requests still open');
      process.exit(1);
    }, drain.maxMs + graceMs);
    force.unref();
    listening.shutdown(drain).then(
      () => process.exit(0),
      () => process.exit(1),
    );
  };
  process.on('SIGTERM', stop);
  process.on('SIGINT', stop);
}
