// Every error becomes RFC 9457 problem+json. Only HttpProblem text reaches the client;
// anything else is a generic answer for its status, so no stack trace, file path, SQL text
// or library message ever leaves the server, in any mode. Dependency and machine faults are
// mapped by faults/classify.ts (503/507), everything unknown is a 500.
import type { FastifyError, FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { classifyFault } from '../faults/classify.ts';
import { HttpProblem, PROBLEM_CONTENT_TYPE } from './problem.ts';
import { validationProblem } from './validation.ts';

const GENERIC_DETAIL: Record<number, string> = {
  400: 'The request is malformed.',
  404: 'No resource matches this URL.',
  405: 'This method is not allowed here.',
  408: 'The request took too long to arrive.',
  411: 'A Content-Length is required.',
  413: 'The request body is larger than this endpoint accepts.',
  414: 'The request URL is longer than this server accepts.',
  415: 'The request body has a media type this endpoint does not accept.',
  431: 'The request headers are larger than this server accepts.',
  500: 'The server could not complete the request. The incident was logged with its request id.',
  503: 'The server is temporarily unable to handle the request. Retry after the time in Retry-After.',
};

export function genericProblem(status: number): HttpProblem {
  return new HttpProblem(status, { detail: GENERIC_DETAIL[status] ?? GENERIC_DETAIL[status < 500 ? 400 : 500]! });
}

/** Maps anything thrown into the problem the client may see. */
export function toProblem(error: unknown): HttpProblem {
  if (error instanceof HttpProblem) return error;
  const fastifyError = error as Partial<FastifyError> | undefined;
  if (fastifyError?.validation) return validationProblem(fastifyError.validation, fastifyError.validationContext);
  const status = fastifyError?.statusCode;
  // Fastify's own client errors (body too large, media type, bad content length, …) keep
  // their status but never their message. Anything else is a server fault.
  if (typeof fastifyError?.code === 'string' && fastifyError.code.startsWith('FST_') && status !== undefined && status >= 400 && status < 500) {
    return genericProblem(status);
  }
  if (status === 503) return genericProblem(503);
  return genericProblem(500);
}

export function sendProblem(reply: FastifyReply, problem: HttpProblem): FastifyReply {
  reply.code(problem.status);
  for (const [name, value] of Object.entries(problem.headers)) reply.header(name, value);
  reply.header('content-type', PROBLEM_CONTENT_TYPE);
  reply.header('cache-control', 'no-store');
  // A Buffer is sent as is: Fastify would append `; charset=utf-8` to a string's JSON type.
  return reply.send(Buffer.from(JSON.stringify(problem)));
}

export function errorHandler(error: unknown, request: FastifyRequest, reply: FastifyReply): FastifyReply {
  // A dependency or the machine failing is an outage, not a bug: 503/507, and one log line
  // per outage (the monitor's), not one per request.
  const fault = error instanceof HttpProblem ? undefined : classifyFault(error);
  if (fault !== undefined) {
    (request.server as Partial<Pick<FastifyInstance, 'faults'>>).faults?.observe(fault, error);
    return sendProblem(reply, fault.problem);
  }
  const problem = toProblem(error);
  if (problem.status >= 500 && !(error instanceof HttpProblem)) {
    request.log.error({ err: error }, 'request failed');
  } else {
    request.log.debug({ status: problem.status, problem: problem.slug ?? 'about:blank' }, 'request refused');
  }
  return sendProblem(reply, problem);
}
