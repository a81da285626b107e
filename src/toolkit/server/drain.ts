// Draining before a shutdown, so that nothing a client already sent is lost. Closing the
// listener at once resets every connection the kernel accepted but the server had not read
// yet, and Node closes "idle" connections (accepted, request not parsed) with it. So on a
// signal: readiness turns 503 (load balancers stop sending), the listener keeps accepting and
// answering — every answer with `Connection: close` — until the timing below says nothing new
// is arriving, and only then does the listener close.
import { ServerResponse, type IncomingMessage, type RequestListener, type Server } from 'node:http';
import type { Socket } from 'node:net';

export interface DrainTiming {
  /** Keep accepting at least this long after the signal (long enough for a load balancer to see readiness fail). */
  minMs: number;
  /** Then until no new connection or request has arrived for this long. */
  quietMs: number;
  /** But never longer than this in all, so a client that keeps connecting cannot hold the process. */
  maxMs: number;
}

/** "Nothing new is arriving": no connection or request for this long. */
export const QUIET_MS = 500;
/** How much longer than its minimum a drain may wait for that quiet. */
export const MAX_QUIET_WAIT_MS = 10_000;

/** The timing `rampart serve` uses: at least `minMs`, then until quiet, at most 10 s more. */
export function drainTiming(minMs: number): DrainTiming {
  return { minMs, quietMs: QUIET_MS, maxMs: minMs + MAX_QUIET_WAIT_MS };
}

export interface Drain {
  /** True from begin() on: readiness answers 503, every answer closes its connection. */
  readonly draining: boolean;
  /** Starts draining; resolves when the listener may close (see DrainTiming). Idempotent. */
  begin(timing: DrainTiming): Promise<void>;
}

export interface ServerDrain extends Drain {
  /** The request listener to give the node server: marks answers `Connection: close` while draining. */
  wrap(handler: RequestListener): RequestListener;
  /** Tracks the server's connections (arrivals for the quiet timing, open sockets for keep-alive). */
  watch(server: Server, secure: boolean): void;
}

export function createDrain(): ServerDrain {
  let draining: Promise<void> | undefined;
  let lastArrival = performance.now();
  const sockets = new Set<Socket>();

  return {
    get draining() {
      return draining !== undefined;
    },

    wrap(handler) {
      // One branch per request while serving normally; the bookkeeping runs only while draining.
      return (request: IncomingMessage, response: ServerResponse) => {
        if (draining !== undefined) {
          lastArrival = performance.now();
          response.shouldKeepAlive = false;
        }
        handler(request, response);
      };
    },

    watch(server, secure) {
      server.on('connection', () => {
        lastArrival = performance.now();
      });
      // The socket that carries HTTP: the TLS socket over HTTPS.
      server.on(secure ? 'secureConnection' : 'connection', (socket: Socket) => {
        sockets.add(socket);
        socket.once('close', () => sockets.delete(socket));
      });
    },

    begin(timing) {
      if (draining === undefined) {
        // Answers already being prepared close their connection too, so a keep-alive client
        // learns of the shutdown from its next answer. Node itself reads `_httpMessage` the
        // same way in closeIdleConnections().
        for (const socket of sockets) {
          const pending = (socket as Socket & { _httpMessage?: unknown })._httpMessage;
          if (pending instanceof ServerResponse && !pending.headersSent) pending.shouldKeepAlive = false;
        }
        draining = whenQuiet(() => lastArrival, timing);
      }
      return draining;
    },
  };
}

/**
 * Resolves once `minMs` has passed and `lastArrival()` (a performance.now() time) is at least
 * `quietMs` old, or at `maxMs`. Exported for a cluster primary, which sees connections
 * arrive rather than requests.
 */
export function whenQuiet(lastArrival: () => number, timing: DrainTiming): Promise<void> {
  const start = performance.now();
  return new Promise((resolve) => {
    const check = (): void => {
      const now = performance.now();
      const wait = Math.max(start + timing.minMs - now, lastArrival() + timing.quietMs - now);
      if (now - start >= timing.maxMs || wait <= 0) {
        // A timer can fire before the event loop's poll phase has accepted connections that
        // queued while it was busy: look once more after that phase.
        setImmediate(() => {
          if (performance.now() - start >= timing.maxMs || performance.now() - lastArrival() >= timing.quietMs) resolve();
          else check();
        });
        return;
      }
      setTimeout(check, Math.min(wait, start + timing.maxMs - now));
    };
    check();
  });
}
