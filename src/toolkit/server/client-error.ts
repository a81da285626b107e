// Answers for requests Node's HTTP parser refuses before Fastify sees them: a URL that is
// too long (414), headers too large (431), a malformed request (400), headers that arrive
// too slowly (408), and CONNECT (400). Same problem+json shape and security headers as every
// other answer.
import type { IncomingMessage } from 'node:http';
import type { Socket } from 'node:net';
import type { Duplex } from 'node:stream';
import { randomUUID } from 'node:crypto';
import type { FastifyBaseLogger } from 'fastify';
import { genericProblem } from '../errors/handler.ts';
import { rawHeaderLines } from '../headers/security-headers.ts';
import { PROBLEM_CONTENT_TYPE, type HttpProblem } from '../errors/problem.ts';
import { BAD_TARGET } from './edge.ts';

interface ParserError extends Error {
  code?: string;
  rawPacket?: unknown;
}

export function statusForParserError(error: ParserError, maxUrlLength: number): number {
  switch (error.code) {
    case 'HPE_HEADER_OVERFLOW':
      return requestLineTooLong(error.rawPacket, maxUrlLength) ? 414 : 431;
    case 'ERR_HTTP_REQUEST_TIMEOUT':
    case 'HPE_HEADERS_TIMEOUT':
      return 408;
    default:
      return 400;
  }
}

/** The request line alone (method, target, version) is past the URL limit. */
function requestLineTooLong(packet: unknown, maxUrlLength: number): boolean {
  if (!Buffer.isBuffer(packet)) return false;
  const end = packet.indexOf('\r\n');
  return end === -1 ? packet.length > maxUrlLength : end > maxUrlLength + 16;
}

export function createClientErrorHandler(maxUrlLength: number, log: () => FastifyBaseLogger): (error: ParserError, socket: Socket) => void {
  return function onClientError(error, socket) {
    if (error.code === 'ECONNRESET' || !socket.writable) {
      socket.destroy();
      return;
    }
    const status = statusForParserError(error, maxUrlLength);
    // Never log rawPacket: it may hold credentials.
    answerOnSocket(socket, genericProblem(status), log(), { code: error.code }, 'request refused by the HTTP parser');
  };
}

/**
 * CONNECT (an authority-form target, for proxies) is not served: Node would drop the
 * connection without a word; it gets the same 400 as any other target this server does not
 * take.
 */
export function createConnectHandler(log: () => FastifyBaseLogger): (request: IncomingMessage, socket: Duplex) => void {
  return function onConnect(_request, socket) {
    answerOnSocket(socket, BAD_TARGET, log(), { code: 'CONNECT' }, 'request refused: CONNECT is not served');
  };
}

function answerOnSocket(socket: Duplex & { remoteAddress?: string; encrypted?: boolean }, problem: HttpProblem, log: FastifyBaseLogger, fields: Record<string, unknown>, message: string): void {
  const body = JSON.stringify(problem);
  const requestId = randomUUID();
  const secure = socket.encrypted === true;
  log.info({ reqId: requestId, status: problem.status, ...fields, client: socket.remoteAddress }, message);
  socket.end(
    `HTTP/1.1 ${problem.status} ${problem.title}\r\n` +
      `content-type: ${PROBLEM_CONTENT_TYPE}\r\n` +
      `content-length: ${Buffer.byteLength(body)}\r\n` +
      'cache-control: no-store\r\n' +
      `x-request-id: ${requestId}\r\n` +
      rawHeaderLines(secure) +
      'connection: close\r\n\r\n' +
      body,
  );
}
