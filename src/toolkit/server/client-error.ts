// Answers for requests Node's HTTP parser refuses before Fastify sees them: a URL that is
// too long (414), headers too large (431), a malformed request (400), headers that arrive
// too slowly (408). Same problem+json shape and security headers as every other answer.
import type { Socket } from 'node:net';
import { randomUUID } from 'node:crypto';
import type { FastifyBaseLogger } from 'fastify';
import { genericProblem } from '../errors/handler.ts';
import { rawHeaderLines } from '../headers/security-headers.ts';
import { PROBLEM_CONTENT_TYPE } from '../errors/problem.ts';

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
    const problem = genericProblem(status);
    const body = JSON.stringify(problem);
    const requestId = randomUUID();
    const secure = (socket as Socket & { encrypted?: boolean }).encrypted === true;
    // Never log rawPacket: it may hold credentials.
    log().info({ reqId: requestId, status, code: error.code, client: socket.remoteAddress }, 'request refused by the HTTP parser');
    socket.end(
      `HTTP/1.1 ${status} ${problem.title}\r\n` +
        `content-type: ${PROBLEM_CONTENT_TYPE}\r\n` +
        `content-length: ${Buffer.byteLength(body)}\r\n` +
        'cache-control: no-store\r\n' +
        `x-request-id: ${requestId}\r\n` +
        rawHeaderLines(secure) +
        'connection: close\r\n\r\n' +
        body,
    );
  };
}
