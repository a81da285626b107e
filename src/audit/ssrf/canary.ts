// The SSRF canary: an HTTP listener the audited server is asked to fetch. Each probe gets its
// own random path, so a hit proves which parameter of which route made the server call out.
// It only ever listens on loopback. For a loopback target the probe URLs point at it directly;
// for a remote target the user gives --callback-url, an address that reaches this listener
// (a tunnel or port forward to the port in that URL): the auditor never picks a remote address.
import { randomBytes } from 'node:crypto';
import http from 'node:http';
import type { AddressInfo } from 'node:net';

export interface CanaryHit {
  path: string;
  method: string;
  headers: Record<string, string>;
  /** Milliseconds since the listener started. */
  at: number;
}

export interface Canary {
  /** A fresh URL for one probe; `hitsFor(url)` later says whether the server fetched it. */
  url(label: string): string;
  hitsFor(url: string): CanaryHit[];
  /** Resolves when `url` is hit, or after `ms` with the hits so far (maybe none). */
  waitFor(url: string, ms: number): Promise<CanaryHit[]>;
  close(): Promise<void>;
}

/** The callback URL's pieces, checked: http, no credentials, a port to listen on. */
export function parseCallbackUrl(raw: string): URL {
  const url = new URL(raw);
  if (url.protocol !== 'http:') throw new RangeError('the callback URL must be http:// (the listener speaks plain HTTP)');
  if (url.username !== '' || url.password !== '') throw new RangeError('put no credentials in the callback URL');
  url.search = '';
  url.hash = '';
  return url;
}

/**
 * Starts the listener on 127.0.0.1. Without `callbackUrl` it takes any free port and probe URLs
 * name it; with one, it listens on that URL's port and probe URLs start with that URL.
 */
export async function startCanary(callbackUrl?: URL): Promise<Canary> {
  const hits: CanaryHit[] = [];
  const waiters = new Set<{ path: string; resolve: () => void }>();
  const started = Date.now();
  const server = http.createServer((req, res) => {
    const path = new URL(req.url ?? '/', 'http://canary.invalid').pathname;
    const headers: Record<string, string> = {};
    for (const [name, value] of Object.entries(req.headers)) if (typeof value === 'string') headers[name] = value;
    hits.push({ path, method: req.method ?? 'GET', headers, at: Date.now() - started });
    for (const waiter of waiters) if (path.endsWith(waiter.path)) waiter.resolve();
    req.resume();
    res.writeHead(200, { 'content-type': 'text/plain; charset=utf-8', connection: 'close' });
    res.end('rampart-probe canary\n');
  });
  const port = callbackUrl === undefined ? 0 : Number(callbackUrl.port || '80');
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, '127.0.0.1', () => {
      server.off('error', reject);
      resolve();
    });
  });
  const base = callbackUrl === undefined ? `http://127.0.0.1:${(server.address() as AddressInfo).port}/` : callbackUrl.href.replace(/\/?$/, '/');
  const pathOf = (url: string): string => new URL(url).pathname.split('/').filter(Boolean).pop() ?? '';
  const matching = (url: string): CanaryHit[] => {
    const id = pathOf(url);
    return hits.filter((hit) => hit.path.endsWith(`/${id}`));
  };
  return {
    url: (label) => `${base}rampart-probe-${label.replace(/[^\w-]/g, '').slice(0, 24)}-${randomBytes(6).toString('hex')}`,
    hitsFor: matching,
    waitFor: async (url, ms) => {
      if (matching(url).length > 0) return matching(url);
      const id = `/${pathOf(url)}`;
      await new Promise<void>((resolve) => {
        const waiter = {
          path: id,
          resolve: () => {
            clearTimeout(timer);
            waiters.delete(waiter);
            resolve();
          },
        };
        const timer = setTimeout(waiter.resolve, ms);
        waiters.add(waiter);
      });
      return matching(url);
    },
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => {
          resolve();
        });
      }),
  };
}
