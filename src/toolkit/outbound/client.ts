// The SSRF-safe outbound HTTP client (OWASP API7 server-side request forgery, API10 unsafe
// consumption of APIs). Every server-side request goes through it:
// - the URL is checked before anything happens (url-policy.ts), then the address is checked
//   again at connect time on the resolved address (connect.ts);
// - redirects are followed by hand, each hop checked like the first, up to `maxRedirects`;
// - one deadline covers resolution, connection, headers and body;
// - the body is read into memory up to `maxResponseBytes` and the request is aborted past it.
import { Agent } from 'undici';
import type { IncomingHttpHeaders } from 'node:http';
import { guardedConnect, socketConnector, systemResolver, type Connector, type Resolver } from './connect.ts';
import { OutboundError, OutboundRefused } from './errors.ts';
import { checkUrl, DEFAULT_OUTBOUND_PORTS, type UrlPolicy } from './url-policy.ts';

export interface OutboundClientOptions {
  /** Name resolution; default `dns.lookup` with `all: true`. Tests inject their own. */
  resolver?: Resolver;
  /** Opens the socket to the checked address; default a plain TCP/TLS connect. */
  connector?: Connector;
  /** Plain-HTTP requests to loopback IP literals. Off unless a loudly named development setting turns it on. */
  allowLoopbackHttp?: boolean;
  /** Whole request deadline in ms (default 10 000). */
  timeoutMs?: number;
  /** Largest response body in bytes (default 1 MiB). */
  maxResponseBytes?: number;
  /** Redirects followed, each re-checked (default 3; 0 returns the 3xx as is). */
  maxRedirects?: number;
  /** Longest URL accepted (default 2048). */
  maxUrlLength?: number;
  /** Ports a URL may name, redirects included (default DEFAULT_OUTBOUND_PORTS: 80, 443, 8443). */
  allowedPorts?: readonly number[];
}

export interface OutboundRequest {
  method?: string;
  headers?: Record<string, string>;
  body?: string | Uint8Array;
  signal?: AbortSignal;
  timeoutMs?: number;
  maxResponseBytes?: number;
}

export interface OutboundResponse {
  status: number;
  headers: IncomingHttpHeaders;
  body: Buffer;
  /** The URL that answered, after redirects. */
  url: string;
  redirects: number;
}

export interface OutboundClient {
  request(url: string | URL, init?: OutboundRequest): Promise<OutboundResponse>;
  close(): Promise<void>;
}

const REDIRECTS = new Set([301, 302, 303, 307, 308]);
/** Headers that must not follow a redirect to another origin. */
const CREDENTIAL_HEADERS = ['authorization', 'cookie', 'proxy-authorization'];

function positive(name: string, value: number | undefined, fallback: number): number {
  const chosen = value ?? fallback;
  if (!Number.isInteger(chosen) || chosen < 0) throw new TypeError(`outbound client: ${name} must be a non-negative integer, got ${String(value)}`);
  return chosen;
}

export function createOutboundClient(options: OutboundClientOptions = {}): OutboundClient {
  const timeoutMs = positive('timeoutMs', options.timeoutMs, 10_000);
  const maxResponseBytes = positive('maxResponseBytes', options.maxResponseBytes, 1024 * 1024);
  const maxRedirects = positive('maxRedirects', options.maxRedirects, 3);
  const allowedPorts = [...(options.allowedPorts ?? DEFAULT_OUTBOUND_PORTS)];
  if (allowedPorts.length === 0 || allowedPorts.some((port) => !Number.isInteger(port) || port < 1 || port > 65535)) throw new TypeError('outbound client: allowedPorts must be ports from 1 to 65535');
  const policy: UrlPolicy = { allowLoopbackHttp: options.allowLoopbackHttp === true, maxUrlLength: positive('maxUrlLength', options.maxUrlLength, 2048), allowedPorts };
  const agent = new Agent({
    connect: guardedConnect({ resolver: options.resolver ?? systemResolver, connector: options.connector ?? socketConnector(timeoutMs), allowLoopbackHttp: policy.allowLoopbackHttp, allowedPorts }),
    headersTimeout: timeoutMs,
    bodyTimeout: timeoutMs,
  });

  async function request(input: string | URL, init: OutboundRequest = {}): Promise<OutboundResponse> {
    const deadline = AbortSignal.timeout(init.timeoutMs ?? timeoutMs);
    const signal = init.signal === undefined ? deadline : AbortSignal.any([init.signal, deadline]);
    const limit = init.maxResponseBytes ?? maxResponseBytes;
    let url = checkUrl(input, policy);
    let method = (init.method ?? 'GET').toUpperCase();
    let body = init.body;
    const headers: Record<string, string> = { 'user-agent': 'Rampart-Outbound/1', ...lowerKeys(init.headers ?? {}) };

    for (let hop = 0; ; hop++) {
      let response;
      try {
        response = await agent.request({ origin: url.origin, path: `${url.pathname}${url.search}`, method, headers, body: body ?? null, signal });
      } catch (error) {
        throw translate(error, deadline);
      }
      const location = response.headers.location;
      if (maxRedirects > 0 && REDIRECTS.has(response.statusCode) && typeof location === 'string') {
        discard(response.body);
        if (hop >= maxRedirects) throw new OutboundRefused('too-many-redirects', `more than ${maxRedirects} redirects`);
        const next = checkUrl(new URL(location, url), policy);
        if (next.origin !== url.origin) for (const name of CREDENTIAL_HEADERS) Reflect.deleteProperty(headers, name);
        // RFC 9110 §15.4: 303 always, and 301/302 after POST in practice, continue as GET.
        if (response.statusCode === 303 || ((response.statusCode === 301 || response.statusCode === 302) && method === 'POST')) {
          method = 'GET';
          body = undefined;
          delete headers['content-type'];
          delete headers['content-length'];
        }
        url = next;
        continue;
      }
      const declared = Number(response.headers['content-length']);
      if (Number.isFinite(declared) && declared > limit) {
        discard(response.body);
        throw new OutboundError('response-too-large', `the response declares ${declared} bytes, more than ${limit}`);
      }
      const chunks: Buffer[] = [];
      let size = 0;
      try {
        for await (const chunk of response.body as AsyncIterable<Buffer>) {
          size += chunk.length;
          if (size > limit) {
            discard(response.body);
            throw new OutboundError('response-too-large', `the response is larger than ${limit} bytes`);
          }
          chunks.push(chunk);
        }
      } catch (error) {
        throw translate(error, deadline);
      }
      return { status: response.statusCode, headers: response.headers, body: Buffer.concat(chunks), url: url.href, redirects: hop };
    }
  }

  return { request, close: () => agent.close() };
}

/** Drops a body we will not read; the abort it causes is expected, not an error. */
function discard(body: NodeJS.ReadableStream & { destroy(): unknown }): void {
  body.on('error', () => undefined);
  body.destroy();
}

function lowerKeys(headers: Record<string, string>): Record<string, string> {
  return Object.fromEntries(Object.entries(headers).map(([name, value]) => [name.toLowerCase(), value]));
}

/** Our own errors pass through; undici's become OutboundError with a stable code. */
function translate(error: unknown, deadline: AbortSignal): OutboundError {
  if (error instanceof OutboundError) return error;
  if (error instanceof Error && error.cause instanceof OutboundError) return error.cause;
  if (deadline.aborted) return new OutboundError('timeout', 'the request did not finish in time', { cause: error });
  const code = (error as { code?: unknown } | null)?.code;
  if (code === 'UND_ERR_RES_EXCEEDED_MAX_SIZE') return new OutboundError('response-too-large', 'the response is too large', { cause: error });
  if (code === 'UND_ERR_HEADERS_TIMEOUT' || code === 'UND_ERR_BODY_TIMEOUT' || code === 'UND_ERR_CONNECT_TIMEOUT') return new OutboundError('timeout', 'the request did not finish in time', { cause: error });
  return new OutboundError('network', 'the request failed', { cause: error });
}
