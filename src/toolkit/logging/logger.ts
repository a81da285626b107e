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
      log: (object) => redact(object) as Record<string, unknown>,
    },
    serializers: {
      req: (req: { method?: string; url?: string }) => ({ method: req.method, url: scrubUrl(req.url ?? '') }),
      res: (res: { statusCode?: number }) => ({ statusCode: res.statusCode }),
    },
  };
}

export type { DestinationStream };

/** The one line per request: what was asked, how it ended, by whom. */
export function logRequest(request: FastifyRequest, reply: FastifyReply): void {
  request.log.info(
    {
      method: request.method,
      route: request.is404 ? null : request.routeOptions.url,
      url: scrubUrl(request.url),
      status: reply.statusCode,
      ms: Math.round(reply.elapsedTime * 100) / 100,
      client: request.client.ip,
      principal: request.principal?.id ?? null,
    },
    'request',
  );
}
