// The audited base URL, and how spec paths and revealed links map onto it.
import { isIP } from 'node:net';
import { AuditError } from './errors.ts';
import type { ApiSpec } from './spec/load.ts';

export class Target {
  /** The base URL as given (normalised). */
  readonly base: URL;
  /** Path prefix put before every spec path: the base URL's path, else the spec's server path. */
  readonly prefix: string;

  constructor(base: URL, spec?: ApiSpec) {
    this.base = base;
    const own = base.pathname.replace(/\/+$/, '');
    this.prefix = own !== '' ? own : serverPrefix(spec);
  }

  static parse(raw: string): URL {
    let url: URL;
    try {
      url = new URL(raw);
    } catch {
      throw new AuditError('TARGET_INVALID', `the target must be an http:// or https:// URL (got ${JSON.stringify(raw)})`);
    }
    if (url.protocol !== 'http:' && url.protocol !== 'https:') {
      throw new AuditError('TARGET_INVALID', `the target must be an http:// or https:// URL (got ${url.protocol} scheme)`);
    }
    if (url.username !== '' || url.password !== '') {
      throw new AuditError('TARGET_INVALID', 'put no credentials in the target URL: they would end up in reports');
    }
    url.hash = '';
    url.search = '';
    return url;
  }

  get origin(): string {
    return this.base.origin;
  }

  get secure(): boolean {
    return this.base.protocol === 'https:';
  }

  /** 127.0.0.0/8, ::1 and localhost: transport findings there are informational. */
  get loopback(): boolean {
    const host = this.base.hostname.replace(/^\[|\]$/g, '');
    if (host === 'localhost' || host.endsWith('.localhost')) return true;
    if (isIP(host) === 4) return host.startsWith('127.');
    return host === '::1';
  }

  /** Absolute URL of a path relative to the prefix (a spec path or a probe path). */
  url(path: string, query?: URLSearchParams): URL {
    const url = new URL(this.base.origin);
    url.pathname = `${this.prefix}${path.startsWith('/') ? path : `/${path}`}`;
    if (query !== undefined && [...query.keys()].length > 0) url.search = query.toString();
    return url;
  }

  /** The base URL itself (with its trailing slash when it has a path). */
  root(): URL {
    return new URL(this.base.href);
  }

  /** Same origin as the target? */
  sameOrigin(url: URL): boolean {
    return url.origin === this.base.origin;
  }

  /** Same origin and under the base path: what this audit may explore. */
  inScope(url: URL): boolean {
    if (!this.sameOrigin(url)) return false;
    return this.prefix === '' || url.pathname === this.prefix || url.pathname.startsWith(`${this.prefix}/`);
  }

  /** A path as reports name it: relative to the prefix when under it, else absolute. */
  routeOf(url: URL | string): string {
    const pathname = typeof url === 'string' ? url : url.pathname;
    if (this.prefix !== '' && (pathname === this.prefix || pathname.startsWith(`${this.prefix}/`))) {
      const rest = pathname.slice(this.prefix.length);
      return rest === '' ? '/' : rest;
    }
    return pathname;
  }
}

function serverPrefix(spec: ApiSpec | undefined): string {
  const first = spec?.servers[0];
  if (first === undefined || first.includes('{')) return '';
  try {
    return new URL(first, 'http://placeholder.invalid').pathname.replace(/\/+$/, '');
  } catch {
    return '';
  }
}
