// pino as Fastify's logger: JSON lines, every object passed through redaction, our own
// request serializer (no headers, scrubbed URL) and one summary line per request.
import type { FastifyReply, FastifyRequest } from 'fastify';
import type { DestinationStream, LoggerOptions } from 'pino';
import { redact, scrubUrl } from './redact.ts';

export function loggerOptions(level: string): LoggerOptions {
  return {
    level,
    base: undefined,
    formatters: {
      // Runs on the merged object of every log call, including users' `request.log.info(obj)`.
      // The per-request summary line is built from already-scrubbed fields and skips it.
      log: (object) => (SCRUBBED in object ? object : (redact(object) as Record<string, unknown>)),
    },
    serializers: {
      req: (req: { method?: string; url?: string }) => ({ method: req.method, url: scrubUrl(req.url ?? '') }),
      res: (res: { statusCode?: number }) => ({ statusCode: res.statusCode }),
    },
  };
}

export type { DestinationStream };

/** Marks a log object whose every field is already safe; a symbol, so it is never printed. */
const SCRUBBED = Symbol('rampart.scrubbed');

const INFO = 30;
const LEVELS: Record<string, number> = { trace: 10, debug: 20, info: 30, warn: 40, error: 50, fatal: 60, silent: Infinity };

export type RequestLogger = (request: FastifyRequest, reply: FastifyReply, route: string | null) => void;

/**
 * The one line per request: what was asked, how it ended, by whom — the same JSON shape pino
 * writes, written straight to the destination. It runs on every request, and going through
 * pino's object formatting and the generic deep redaction cost a fifth of a request's CPU
 * (bench/). Its fields are scrubbed here (URL) or carry no secrets by construction (method,
 * route pattern, status, timing, addresses, principal id).
 */
export function createRequestLogger(destination: DestinationStream, level: string): RequestLogger {
  if ((LEVELS[level] ?? INFO) > INFO) return () => undefined;
  const text = JSON.stringify;
  return function logRequest(request, reply, route) {
    const principal = request.principal?.id;
    destination.write(
      `{"level":30,"time":${Date.now()},"reqId":${text(request.id)},"method":${text(request.method)},"route":${route === null ? 'null' : text(route)},` +
        `"url":${text(scrubUrl(request.url))},"status":${reply.statusCode},"ms":${Math.round(reply.elapsedTime * 100) / 100},` +
        `"client":${text(request.client.ip)},"principal":${principal === undefined ? 'null' : text(principal)},"msg":"request"}\n`,
    );
  };
}

export { SCRUBBED };
