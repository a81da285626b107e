// The one way checks talk to a target. Every request is paced (--rate), counted against one
// budget (--max-requests), bounded in time and in body size, and never follows a redirect to
// another host. A throttled (429/503) or failed answer comes back marked as such, so no check
// can mistake it for the target's behaviour.
import http from 'node:http';
import https from 'node:https';
import { Pacer, Semaphore, sleep } from './pacer.ts';

export interface HttpRequestSpec {
  method: string;
  url: URL | string;
  headers?: Record<string, string>;
  body?: string | Buffer;
  /** Why this request is sent; shown by --dry-run. */
  purpose?: string;
  timeoutMs?: number;
  maxBodyBytes?: number;
  /** `retry` (default): back off and retry a 429/503. `observe`: hand the throttled answer back at once. */
  onThrottle?: 'retry' | 'observe';
  /** Follow redirects on the same host, at most this many hops (default 0: never). */
  maxRedirects?: number;
  /** For the safety policy (safety/policy.ts): one of a burst. */
  burst?: boolean;
  /** For the safety policy: the check built a body the route's own schema refuses. */
  unacceptableBody?: boolean;
  /** For the safety policy: clean-up or a restore of what the audit changed. */
  restore?: boolean;
  /** For the safety policy: the audit registering an account of its own. */
  register?: boolean;
}

export interface HttpResponse {
  status: number;
  /** Lower-case names; repeated headers joined with ", " (Set-Cookie with "\n"). */
  headers: Record<string, string>;
  body: Buffer;
  /** The body decoded as UTF-8 (lossy). */
  text: string;
  /** The body was longer than the cap and was cut. */
  truncated: boolean;
  durationMs: number;
}

export interface SentRequest {
  method: string;
  url: string;
  headers: Record<string, string>;
  body?: string | Buffer;
}

export type HttpResult =
  | { outcome: 'ok'; request: SentRequest; response: HttpResponse; redirectBlocked?: string }
  | { outcome: 'throttled'; request: SentRequest; response?: HttpResponse; error: string }
  | { outcome: 'failed'; request: SentRequest; error: string }
  | { outcome: 'skipped'; request: SentRequest; error: string; reason: 'budget' | 'stopped' | 'unsafe' };

export type UsableResult = Extract<HttpResult, { outcome: 'ok' }>;

/** True for an answer a check may base a conclusion on: an HTTP response that was not throttled. */
export function usable(result: HttpResult): result is UsableResult {
  return result.outcome === 'ok';
}

export interface HttpClientOptions {
  ratePerSecond: number;
  maxRequests: number;
  timeoutMs: number;
  maxBodyBytes?: number;
  /** Longest wait honoured for one Retry-After; a longer one ends that request as throttled. */
  maxRetryWaitMs?: number;
  maxRetries?: number;
  /** After this many requests in a row end throttled, the client stops sending. */
  throttleStopAfter?: number;
  concurrency?: number;
  /** PEM certificate authorities to trust for https targets, in addition to the system's. */
  ca?: string | Buffer;
  /** Accept any TLS certificate (test targets with self-signed certificates). */
  insecure?: boolean;
  /** Record requests without sending them; every answer is an empty 200 marked dry-run. */
  dryRun?: boolean;
  userAgent?: string;
  onSent?: (request: SentRequest, purpose: string | undefined) => void;
  /** Every HTTP answer received (throttled ones included), whichever check asked: passive checks read them. */
  onAnswer?: (result: UsableResult, purpose: string | undefined) => void;
  /** Every exchange sent, answered or not (--log-requests). */
  onExchange?: (result: HttpResult, purpose: string | undefined) => void;
}

export interface ClientStats {
  sent: number;
  throttled: number;
  failed: number;
  skipped: number;
  stopReason?: string;
}

const REDIRECTS = new Set([301, 302, 303, 307, 308]);
const DEFAULT_BODY_CAP = 2 * 1024 * 1024;

class RequestTimeout extends Error {
  constructor(ms: number) {
    super(`no complete answer within ${formatSeconds(ms)}`);
  }
}

function formatSeconds(ms: number): string {
  return `${Number((ms / 1000).toFixed(2))} s`;
}

function flattenHeaders(raw: http.IncomingHttpHeaders): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [name, value] of Object.entries(raw)) {
    if (value === undefined) continue;
    out[name] = Array.isArray(value) ? value.join(name === 'set-cookie' ? '\n' : ', ') : value;
  }
  return out;
}

/** Seconds or an HTTP date; undefined when absent or unreadable. */
export function parseRetryAfter(value: string | undefined, now = Date.now()): number | undefined {
  if (value === undefined) return undefined;
  const trimmed = value.trim();
  if (/^\d+$/.test(trimmed)) return Number(trimmed) * 1000;
  const date = Date.parse(trimmed);
  return Number.isNaN(date) ? undefined : Math.max(0, date - now);
}

/** A message a user can act on, from a socket or TLS error. Never a stack. */
export function describeNetworkError(error: unknown): string {
  if (error instanceof RequestTimeout) return error.message;
  const code = (error as { code?: unknown }).code;
  const message = error instanceof Error ? error.message : String(error);
  switch (code) {
    case 'ECONNREFUSED':
      return 'connection refused';
    case 'ENOTFOUND':
    case 'EAI_AGAIN':
      return 'host name not found';
    case 'ECONNRESET':
    case 'EPIPE':
      return 'connection closed by the target';
    case 'EHOSTUNREACH':
    case 'ENETUNREACH':
      return 'host unreachable';
    case 'DEPTH_ZERO_SELF_SIGNED_CERT':
    case 'SELF_SIGNED_CERT_IN_CHAIN':
    case 'UNABLE_TO_VERIFY_LEAF_SIGNATURE':
    case 'UNABLE_TO_GET_ISSUER_CERT_LOCALLY':
    case 'CERT_HAS_EXPIRED':
    case 'ERR_TLS_CERT_ALTNAME_INVALID':
      return `TLS certificate not trusted (${code}): pass --ca <file> with its authority, or --insecure for a test target`;
    default:
      if (typeof code === 'string' && code.startsWith('HPE_')) return `malformed HTTP answer (${code})`;
      if (message === 'socket hang up') return 'connection closed by the target';
      if (typeof code === 'string' && code.startsWith('ERR_SSL')) return `TLS handshake failed (${code})`;
      return typeof code === 'string' ? code : 'request failed';
  }
}

export class HttpClient {
  readonly #options: Required<Omit<HttpClientOptions, 'ca' | 'onSent' | 'onAnswer' | 'onExchange'>> & Pick<HttpClientOptions, 'ca' | 'onSent' | 'onAnswer' | 'onExchange'>;
  readonly #pacer: Pacer;
  readonly #slots: Semaphore;
  readonly #httpAgent: http.Agent;
  readonly #httpsAgent: https.Agent;
  readonly stats: ClientStats = { sent: 0, throttled: 0, failed: 0, skipped: 0 };
  #throttledInARow = 0;
  #stopped: string | undefined;

  constructor(options: HttpClientOptions) {
    this.#options = {
      maxBodyBytes: DEFAULT_BODY_CAP,
      maxRetryWaitMs: 30_000,
      maxRetries: 2,
      throttleStopAfter: 3,
      concurrency: 8,
      insecure: false,
      dryRun: false,
      userAgent: 'rampart-audit',
      ...options,
    };
    this.#pacer = new Pacer(options.ratePerSecond);
    this.#slots = new Semaphore(this.#options.concurrency);
    this.#httpAgent = new http.Agent({ keepAlive: true, maxSockets: this.#options.concurrency });
    this.#httpsAgent = new https.Agent({
      keepAlive: true,
      maxSockets: this.#options.concurrency,
      ...(options.ca === undefined ? {} : { ca: options.ca }),
      rejectUnauthorized: !this.#options.insecure,
    });
  }

  get dryRun(): boolean {
    return this.#options.dryRun;
  }

  get remaining(): number {
    return Math.max(0, this.#options.maxRequests - this.stats.sent);
  }

  /** Why the client stopped sending, if it did (budget spent, target throttling everything). */
  get stopReason(): string | undefined {
    return this.#stopped;
  }

  close(): void {
    this.#httpAgent.destroy();
    this.#httpsAgent.destroy();
  }

  async send(spec: HttpRequestSpec): Promise<HttpResult> {
    let url = new URL(spec.url);
    const originalHost = url.hostname;
    let method = spec.method.toUpperCase();
    let body = spec.body;
    let redirectsLeft = spec.maxRedirects ?? 0;
    for (;;) {
      const result = await this.#sendWithRetries({ ...spec, method, url, body });
      if (result.outcome !== 'ok' || redirectsLeft <= 0 || !REDIRECTS.has(result.response.status)) return result;
      const location = result.response.headers.location;
      if (location === undefined) return result;
      let next: URL;
      try {
        next = new URL(location, url);
      } catch {
        return result;
      }
      if (next.hostname !== originalHost || (next.protocol !== 'http:' && next.protocol !== 'https:')) {
        return { ...result, redirectBlocked: next.href };
      }
      redirectsLeft--;
      url = next;
      if (result.response.status === 303 || ((result.response.status === 301 || result.response.status === 302) && method === 'POST')) {
        method = 'GET';
        body = undefined;
      }
    }
  }

  async #sendWithRetries(spec: HttpRequestSpec & { url: URL }): Promise<HttpResult> {
    const headers: Record<string, string> = {
      'user-agent': this.#options.userAgent,
      accept: 'application/json, */*;q=0.8',
      ...lowerKeys(spec.headers ?? {}),
    };
    const request: SentRequest = {
      method: spec.method,
      url: spec.url.href,
      headers,
      ...(spec.body === undefined ? {} : { body: spec.body }),
    };
    const mode = spec.onThrottle ?? 'retry';
    for (let attempt = 0; ; attempt++) {
      if (this.#stopped !== undefined) {
        this.stats.skipped++;
        return { outcome: 'skipped', request, error: this.#stopped, reason: this.#stopped.startsWith('request budget') ? 'budget' : 'stopped' };
      }
      if (this.stats.sent >= this.#options.maxRequests) {
        this.#stopped = `request budget of ${this.#options.maxRequests} spent`;
        continue;
      }
      await this.#slots.acquire();
      let result: HttpResult;
      try {
        await this.#pacer.acquire();
        if (this.stats.sent >= this.#options.maxRequests) {
          this.#stopped = `request budget of ${this.#options.maxRequests} spent`;
          continue;
        }
        this.stats.sent++;
        this.#options.onSent?.(request, spec.purpose);
        result = this.#options.dryRun ? dryRunAnswer(request) : await this.#exchange(spec, request);
        if (!this.#options.dryRun) this.#options.onExchange?.(result, spec.purpose);
      } finally {
        this.#slots.release();
      }
      if (result.outcome === 'failed') {
        this.stats.failed++;
        return result;
      }
      if (result.outcome !== 'ok') return result;
      if (!this.#options.dryRun) this.#options.onAnswer?.(result, spec.purpose);
      const status = result.response.status;
      if (status !== 429 && status !== 503) {
        this.#throttledInARow = 0;
        return result;
      }
      const retryAfter = parseRetryAfter(result.response.headers['retry-after']);
      const throttled = (error: string): HttpResult => ({ outcome: 'throttled', request, response: result.response, error });
      if (mode === 'observe') return throttled(`throttled (${status})`);
      const wait = retryAfter ?? 1000 * 2 ** attempt;
      this.#pacer.pauseUntil(Date.now() + Math.min(wait, this.#options.maxRetryWaitMs));
      if (attempt >= this.#options.maxRetries || wait > this.#options.maxRetryWaitMs) {
        this.stats.throttled++;
        if (++this.#throttledInARow >= this.#options.throttleStopAfter) {
          this.#stopped = `the target throttled ${this.#throttledInARow} requests in a row (${status}), even after backing off (lower --rate or raise --max-retry-wait)`;
        }
        return throttled(`throttled (${status}) after ${attempt + 1} attempt${attempt === 0 ? '' : 's'}`);
      }
      await sleep(Math.min(wait, this.#options.maxRetryWaitMs));
    }
  }

  #exchange(spec: HttpRequestSpec & { url: URL }, request: SentRequest): Promise<HttpResult> {
    const timeoutMs = spec.timeoutMs ?? this.#options.timeoutMs;
    const cap = spec.maxBodyBytes ?? this.#options.maxBodyBytes;
    const started = performance.now();
    return new Promise<HttpResult>((resolve) => {
      let settled = false;
      const finish = (result: HttpResult): void => {
        if (settled) return;
        settled = true;
        clearTimeout(timer);
        resolve(result);
      };
      const fail = (error: unknown): void => {
        finish({ outcome: 'failed', request, error: describeNetworkError(error) });
      };
      const secure = spec.url.protocol === 'https:';
      const headers = { ...request.headers };
      if (spec.body !== undefined) headers['content-length'] = String(Buffer.byteLength(spec.body));
      let req: http.ClientRequest;
      try {
        req = (secure ? https : http).request(spec.url, {
          method: spec.method,
          headers,
          agent: secure ? this.#httpsAgent : this.#httpAgent,
        });
      } catch (error) {
        // Node refuses some header values or methods before sending anything.
        fail(error);
        return;
      }
      const timer = setTimeout(() => {
        req.destroy(new RequestTimeout(timeoutMs));
      }, timeoutMs);
      req.on('error', fail);
      req.on('response', (res) => {
        const chunks: Buffer[] = [];
        let size = 0;
        let truncated = false;
        const done = (): void => {
          const body = Buffer.concat(chunks);
          finish({
            outcome: 'ok',
            request,
            response: {
              status: res.statusCode ?? 0,
              headers: flattenHeaders(res.headers),
              body,
              text: body.toString('utf8'),
              truncated,
              durationMs: performance.now() - started,
            },
          });
        };
        res.on('data', (chunk: Buffer) => {
          if (truncated) return;
          if (size + chunk.length > cap) {
            chunks.push(chunk.subarray(0, cap - size));
            size = cap;
            truncated = true;
            done();
            res.destroy();
            return;
          }
          chunks.push(chunk);
          size += chunk.length;
        });
        res.on('end', done);
        res.on('error', fail);
        res.on('aborted', () => {
          fail(Object.assign(new Error('aborted'), { code: 'ECONNRESET' }));
        });
      });
      req.end(spec.body);
    });
  }
}

function lowerKeys(headers: Record<string, string>): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [name, value] of Object.entries(headers)) out[name.toLowerCase()] = value;
  return out;
}

function dryRunAnswer(request: SentRequest): HttpResult {
  const body = Buffer.alloc(0);
  return {
    outcome: 'ok',
    request,
    response: { status: 200, headers: {}, body, text: '', truncated: false, durationMs: 0 },
  };
}
