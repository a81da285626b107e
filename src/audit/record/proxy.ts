// A recording reverse proxy for `rampart audit record`: the user points a browser, a test suite
// or curl at it, it forwards every request to the target unchanged and remembers what it saw
// (method, URL, request headers, a text body up to 1 MiB, the answer's status and type) as the
// same observations a HAR import makes, so one converter turns both into an OpenAPI document.
// It listens on loopback only: whatever reaches it is sent on with the caller's credentials.
import http from 'node:http';
import https from 'node:https';
import type { AddressInfo } from 'node:net';
import type { Observed } from '../imports/openapi.ts';

/** Request bodies beyond this are forwarded whole but not recorded. */
export const MAX_RECORDED_BODY = 1024 * 1024;

// RFC 9110 §7.6.1: connection-specific fields are not forwarded.
const HOP_BY_HOP = new Set(['connection', 'keep-alive', 'proxy-authenticate', 'proxy-authorization', 'proxy-connection', 'te', 'trailer', 'transfer-encoding', 'upgrade']);

const LOOPBACK = new Set(['127.0.0.1', '::1', 'localhost']);

export function isLoopbackHost(host: string): boolean {
  return LOOPBACK.has(host.replace(/^\[|\]$/g, '').toLowerCase());
}

export interface RecorderOptions {
  host: string;
  port: number;
  target: URL;
  /** Called after every exchange that reached the target. */
  onObserved?: (observed: Observed) => void;
  /** Trust this certificate authority for an https target (PEM). */
  ca?: string;
}

export interface Recorder {
  /** The proxy's own origin, e.g. http://127.0.0.1:8080 */
  url: string;
  observed: Observed[];
  close: () => Promise<void>;
}

function forwardedHeaders(request: http.IncomingMessage, target: URL): http.OutgoingHttpHeaders {
  const headers: http.OutgoingHttpHeaders = {};
  // The Connection header may name further hop-by-hop fields.
  const named = new Set((request.headers.connection ?? '').split(',').map((name) => name.trim().toLowerCase()));
  for (const [name, value] of Object.entries(request.headers)) {
    if (value === undefined || HOP_BY_HOP.has(name) || named.has(name) || name === 'host') continue;
    headers[name] = value;
  }
  headers.host = target.host;
  return headers;
}

function pairsOf(raw: string[]): { name: string; value: string }[] {
  const pairs: { name: string; value: string }[] = [];
  for (let i = 0; i + 1 < raw.length; i += 2) pairs.push({ name: raw[i]!, value: raw[i + 1]! });
  return pairs;
}

function problem(response: http.ServerResponse, status: number, detail: string): void {
  if (response.headersSent) {
    response.destroy();
    return;
  }
  response.writeHead(status, { 'content-type': 'application/problem+json', 'cache-control': 'no-store' });
  response.end(JSON.stringify({ type: 'about:blank', title: http.STATUS_CODES[status], status, detail }));
}

export async function startRecorder(options: RecorderOptions): Promise<Recorder> {
  if (!isLoopbackHost(options.host)) throw new Error(`the recorder listens on loopback only (127.0.0.1, ::1 or localhost), not ${options.host}`);
  const { target } = options;
  const client = target.protocol === 'https:' ? https : http;
  const agent = new client.Agent({ keepAlive: true, ...(options.ca === undefined ? {} : { ca: options.ca }) });
  const observed: Observed[] = [];
  let origin = '';

  const server = http.createServer((request, response) => {
    const url = new URL(request.url ?? '/', target.origin);
    if (!request.url?.startsWith('/')) {
      problem(response, 400, 'The recorder takes origin-form requests only (GET /path); point the client at it as at the API itself.');
      return;
    }
    const chunks: Buffer[] = [];
    let size = 0;
    const upstream = client.request(url, { method: request.method, headers: forwardedHeaders(request, target), agent }, (answer) => {
      const headers = pairsOf(answer.rawHeaders).filter((h) => !HOP_BY_HOP.has(h.name.toLowerCase()));
      // A redirect within the target comes back through the recorder.
      for (const header of headers) {
        if (header.name.toLowerCase() === 'location' && header.value.startsWith(target.origin)) header.value = origin + header.value.slice(target.origin.length);
      }
      response.writeHead(answer.statusCode ?? 502, headers.flatMap((h) => [h.name, h.value]));
      answer.pipe(response);
      const text = size > 0 && size <= MAX_RECORDED_BODY ? Buffer.concat(chunks).toString('utf8') : undefined;
      const contentType = request.headers['content-type'];
      const entry: Observed = {
        method: request.method ?? 'GET',
        url,
        headers: pairsOf(request.rawHeaders),
        ...(text === undefined ? {} : { body: { ...(contentType === undefined ? {} : { mimeType: contentType }), text } }),
        response: { ...(answer.statusCode === undefined ? {} : { status: answer.statusCode }), ...(answer.headers['content-type'] === undefined ? {} : { contentType: answer.headers['content-type'] }) },
      };
      observed.push(entry);
      options.onObserved?.(entry);
    });
    upstream.on('error', (error) => problem(response, 502, `The target did not answer: ${error.message}`));
    request.on('data', (chunk: Buffer) => {
      size += chunk.length;
      if (size <= MAX_RECORDED_BODY) chunks.push(chunk);
    });
    request.on('error', () => upstream.destroy());
    request.pipe(upstream);
  });
  // A client that sends garbage gets Node's own 400; nothing reaches the target.
  server.on('clientError', (_error, socket) => socket.destroy());
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(options.port, options.host, resolve);
  });
  const address = server.address() as AddressInfo;
  origin = `http://${address.family === 'IPv6' ? `[${address.address}]` : address.address}:${address.port}`;
  return {
    url: origin,
    observed,
    close: async () => {
      server.closeAllConnections();
      agent.destroy();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}
