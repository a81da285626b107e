// Real HTTP on loopback for tests: a request helper with full control over headers (Host
// included), a raw-socket helper for what clients are not supposed to send, and a log
// capture to search what the server wrote.
import { request as httpRequest, type IncomingHttpHeaders } from 'node:http';
import { request as httpsRequest } from 'node:https';
import { connect } from 'node:net';
import { Writable } from 'node:stream';

export interface Response {
  status: number;
  headers: IncomingHttpHeaders;
  /** Header names as sent, lowercased, once per occurrence (to prove "present once"). */
  rawHeaderNames: string[];
  body: string;
  json: () => unknown;
}

export interface RequestOptions {
  method?: string;
  headers?: Record<string, string | string[]>;
  body?: string | Buffer;
  /** Sets the Host header exactly (or omits it when null). */
  host?: string | null;
  tls?: { ca?: string | Buffer; rejectUnauthorized?: boolean };
}

export function request(base: string, path: string, options: RequestOptions = {}): Promise<Response> {
  const url = new URL(base);
  const headers: Record<string, string | string[]> = { ...options.headers };
  if (options.host !== null) headers.host = options.host ?? url.host;
  if (options.body !== undefined) headers['content-length'] = String(Buffer.byteLength(options.body));
  const send = url.protocol === 'https:' ? httpsRequest : httpRequest;
  return new Promise((resolve, reject) => {
    const req = send(
      {
        hostname: url.hostname.replace(/^\[|\]$/g, ''),
        port: url.port,
        method: options.method ?? 'GET',
        path,
        headers,
        setHost: false,
        agent: false,
        ...(options.tls ?? {}),
      },
      (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (chunk: Buffer) => chunks.push(chunk));
        res.on('end', () => {
          const body = Buffer.concat(chunks).toString('utf8');
          resolve({
            status: res.statusCode ?? 0,
            headers: res.headers,
            rawHeaderNames: res.rawHeaders.filter((_, i) => i % 2 === 0).map((h) => h.toLowerCase()),
            body,
            json: (): unknown => JSON.parse(body) as unknown,
          });
        });
      },
    );
    req.on('error', reject);
    if (options.body !== undefined) req.write(options.body);
    req.end();
  });
}

export interface RawResponse {
  status: number;
  head: string;
  body: string;
  headers: Record<string, string[]>;
}

/** Writes bytes on a fresh socket and reads until the server closes it. */
export function rawRequest(port: number, data: string | Buffer, timeoutMs = 5000): Promise<RawResponse> {
  return new Promise((resolve, reject) => {
    const socket = connect(port, '127.0.0.1');
    const chunks: Buffer[] = [];
    const timer = setTimeout(() => {
      socket.destroy();
      reject(new Error('raw request timed out'));
    }, timeoutMs);
    socket.on('data', (chunk) => chunks.push(chunk));
    socket.on('error', () => undefined);
    socket.on('close', () => {
      clearTimeout(timer);
      resolve(parseRaw(Buffer.concat(chunks).toString('latin1')));
    });
    socket.write(data);
  });
}

export function parseRaw(text: string): RawResponse {
  const split = text.indexOf('\r\n\r\n');
  const head = split === -1 ? text : text.slice(0, split);
  const body = split === -1 ? '' : text.slice(split + 4);
  const [statusLine = '', ...lines] = head.split('\r\n');
  const headers: Record<string, string[]> = {};
  for (const line of lines) {
    const colon = line.indexOf(':');
    const name = line.slice(0, colon).trim().toLowerCase();
    (headers[name] ??= []).push(line.slice(colon + 1).trim());
  }
  return { status: Number(statusLine.split(' ')[1] ?? 0), head, body, headers };
}

/** A pino destination that keeps every line written, to search logs in tests. */
export class LogCapture extends Writable {
  readonly lines: string[] = [];
  override _write(chunk: Buffer, _encoding: BufferEncoding, callback: () => void): void {
    this.lines.push(...chunk.toString('utf8').split('\n').filter((line) => line !== ''));
    callback();
  }
  get text(): string {
    return this.lines.join('\n');
  }
  entries(): Record<string, unknown>[] {
    return this.lines.map((line) => JSON.parse(line) as Record<string, unknown>);
  }
}
