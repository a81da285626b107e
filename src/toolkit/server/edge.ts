// The first thing every request meets, before routing decisions matter: who the client is,
// the security headers (so errors carry them too), and the cheap refusals (header count,
// URL length, Host). Synchronous and allocation-light: it runs on every request.
import type { FastifyReply, FastifyRequest } from 'fastify';
import { API_KEY_IN_QUERY, hasApiKeyInQuery, redactKeysInQuery } from '../auth/api-keys/query-guard.ts';
import { API_SECURITY_HEADERS, HSTS_VALUE } from '../headers/security-headers.ts';
import { genericProblem } from '../errors/handler.ts';
import { HttpProblem } from '../errors/problem.ts';
import { checkRequestHost } from './hosts.ts';
import { resolveClient, type ClientInfo, type ProxyTrust } from './proxy.ts';

const DIRECT_CLIENT = Symbol('rampart.directClient');
import type { Limits } from './options.ts';

export interface EdgeOptions {
  trust: ProxyTrust;
  limits: Limits;
  hostAllowed: (host: string | undefined) => boolean;
}

const BAD_HOST = new HttpProblem(400, {
  slug: 'host-not-allowed',
  title: 'Host not allowed',
  detail: 'The Host header (or the authority of an absolute request target) does not name a host this server answers for, or there is not exactly one valid Host header.',
});
export const BAD_TARGET = new HttpProblem(400, {
  slug: 'bad-request-target',
  title: 'Request target not accepted',
  detail: 'The request target must be a path (/...) or an absolute http or https URL without a fragment; CONNECT is not served.',
});

// Node's HTTP/1 parser also takes `HTTP/0.9` and `HTTP/2.0` request lines; this server speaks
// HTTP/1.0 and 1.1 on its sockets, so anything else is refused rather than served as 1.1.
const VERSION_NOT_SUPPORTED = new HttpProblem(505, {
  detail: 'This server accepts HTTP/1.0 and HTTP/1.1 request lines only.',
  headers: { connection: 'close' },
});

// Bodies are read as sent: no content coding is decoded (a decompression bomb passes any
// size limit measured before decoding), and Node's parser decodes only `chunked`, so a body
// declaring another coding would be read raw. Refused before a byte of it is read.
const COMPRESSED_BODY = new HttpProblem(415, {
  slug: 'content-encoding-not-accepted',
  title: 'Content-Encoding not accepted',
  detail: 'Request bodies must not be compressed: send them without Content-Encoding (or with identity).',
  headers: { 'accept-encoding': 'identity' },
});
const TRANSFER_CODING = new HttpProblem(400, {
  slug: 'transfer-coding-not-accepted',
  title: 'Transfer-Encoding not accepted',
  detail: 'The only transfer coding accepted is chunked.',
});

/** Every coding listed is `identity` (empty list elements are allowed, RFC 9110 §5.6.1). */
function identityOnly(codings: string): boolean {
  for (const coding of codings.split(',')) {
    const name = coding.trim().toLowerCase();
    if (name !== '' && name !== 'identity') return false;
  }
  return true;
}

/** Applies the edge rules; returns the problem to answer with, if any. */
export function createEdge(options: EdgeOptions): (request: FastifyRequest, reply: FastifyReply) => HttpProblem | undefined {
  const { trust, limits, hostAllowed } = options;
  return function edge(request, reply) {
    const raw = request.raw;
    const socket = raw.socket as typeof raw.socket & { encrypted?: boolean; [DIRECT_CLIENT]?: ClientInfo };
    // A peer that is not a trusted proxy is the client for the whole keep-alive connection:
    // resolve it once per socket. Through a proxy, each request says who it is for.
    let client = socket[DIRECT_CLIENT];
    if (client === undefined) {
      client = resolveClient(socket.remoteAddress, socket.encrypted === true, raw.headers['x-forwarded-for'], raw.headers['x-forwarded-proto'], trust);
      if (!trust.isTrusted(socket.remoteAddress ?? '')) socket[DIRECT_CLIENT] = client;
    }
    request.client = client;

    reply.headers(API_SECURITY_HEADERS);
    reply.header('x-request-id', request.id);
    if (client.secure) reply.header('strict-transport-security', HSTS_VALUE);
    const headers = raw.headers;
    if (headers.authorization !== undefined || headers.cookie !== undefined || headers['x-api-key'] !== undefined) {
      reply.header('cache-control', 'no-store');
    }

    // An API key in the URL is refused (below), and redacted from the URL first, so no log
    // line about this request carries it, whatever the parameter is called.
    const keyInQuery = raw.url !== undefined && raw.url.includes('?') && hasApiKeyInQuery(raw.url);
    if (keyInQuery) raw.url = redactKeysInQuery(raw.url!);

    // Node keeps at most maxHeadersCount fields (set one above the limit), so "more than the
    // limit" is observable here rather than silently truncated.
    if (raw.httpVersionMajor !== 1 || raw.httpVersionMinor > 1) return VERSION_NOT_SUPPORTED;
    if (raw.rawHeaders.length / 2 > limits.headerCount) return genericProblem(431);
    if (raw.url !== undefined && raw.url.length > limits.urlLength) return genericProblem(414);
    if (keyInQuery) return API_KEY_IN_QUERY;
    const hostRefusal = checkRequestHost(raw, hostAllowed);
    if (hostRefusal !== undefined) return hostRefusal === 'host' ? BAD_HOST : BAD_TARGET;
    const transferCoding = headers['transfer-encoding'];
    if (transferCoding !== undefined && transferCoding.trim().toLowerCase() !== 'chunked') return TRANSFER_CODING;
    const contentCoding = headers['content-encoding'];
    if (contentCoding !== undefined && !identityOnly(contentCoding)) return COMPRESSED_BODY;
    return undefined;
  };
}
