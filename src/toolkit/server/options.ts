// What createServer accepts, its defaults, and the checks that refuse unsafe combinations.
// Options are validated once, at construction, and every problem is reported together.
import type { DestinationStream } from 'pino';
import type { KeyValueStore } from '../stores/index.ts';
import type { Authenticator } from '../policy/principal.ts';
import { parseProxyList } from './proxy.ts';
import { publicAddressInEntry } from './public-ranges.ts';
import { checkOrigins } from '../cors/origins.ts';
import type { SecurityEventReporter } from '../policy/events.ts';
import type { EnumerationLimit } from '../policy/ownership.ts';
import type { Metrics } from '../metrics/metrics.ts';

export type Mode = 'development' | 'production';

export interface Limits {
  bodyBytes: number;
  jsonDepth: number;
  headerCount: number;
  headerBytes: number;
  urlLength: number;
  paramLength: number;
  requestTimeoutMs: number;
  headersTimeoutMs: number;
  keepAliveTimeoutMs: number;
  /** 0 turns load shedding off. */
  maxEventLoopDelayMs: number;
  /** How often the event-loop delay is sampled for load shedding. */
  loadSampleIntervalMs: number;
}

export interface RateLimitDefaults {
  limit: number;
  windowSeconds: number;
  maxClients: number;
}

export interface ServerOptions {
  /** Development behaviour only when exactly 'development'; the default is production. */
  mode: Mode;
  allowedHosts: string[];
  trustedProxies: string[];
  /**
   * DANGEROUS: production refuses trusted-proxy ranges that hold public addresses unless this is
   * true (for a CDN whose published ranges are public). Whoever sits in a trusted range chooses
   * the client address that rate limits, lockouts and logs see.
   */
  dangerouslyTrustPublicProxies: boolean;
  cors: { origins: string[]; credentials: boolean };
  tls: { cert: string | Buffer; key: string | Buffer } | undefined;
  limits: Limits;
  rateLimit: RateLimitDefaults;
  /** Operator overrides of named route limits (e.g. raise `transfers` for a load test). */
  rateLimitOverrides: Record<string, { limit: number; windowSeconds: number }>;
  logLevel: string;
  /** Where log lines go (defaults to stdout); tests pass a stream to read them back. */
  logDestination: DestinationStream | undefined;
  /** Shared counters; in-memory and bounded when not given. */
  keyValueStore: KeyValueStore | undefined;
  /** Turn credentials into a principal; tried in order. The identity issues add the real ones. */
  authenticators: Authenticator[];
  /** Owned-resource 404s per principal per window before 429 (object enumeration). */
  enumeration: EnumerationLimit;
  /** Where toolkit layers report security events (rate limiting, enumeration); the server's log (warn, "security event") when not given. */
  onSecurityEvent: SecurityEventReporter | undefined;
  /** Prometheus metrics fed by every response and rate-limit refusal; none when not given. */
  metrics: Metrics | undefined;
  /**
   * While the shared keyValueStore is unreachable: `memory` counts rate limits (and the
   * enumeration limit) in this process, with a `rate_limit_degraded` event once per outage;
   * `refuse` answers 503. Nothing else that uses the store ever degrades.
   */
  rateLimitFallback: 'memory' | 'refuse';
  /**
   * What readiness checks and the outage log probes, by name (`database`, `redis`): each
   * resolves when its dependency answers. Faults name the same dependencies.
   */
  dependencies: Readonly<Record<string, () => Promise<void>>>;
}

export type ServerOptionsInput = Partial<Omit<ServerOptions, 'limits' | 'rateLimit' | 'cors' | 'enumeration'>> & {
  enumeration?: Partial<EnumerationLimit>;
  limits?: Partial<Limits>;
  rateLimit?: Partial<RateLimitDefaults>;
  cors?: Partial<ServerOptions['cors']>;
};

export const DEFAULT_LIMITS: Limits = {
  bodyBytes: 1024 * 1024,
  jsonDepth: 32,
  headerCount: 100,
  headerBytes: 16 * 1024,
  urlLength: 4096,
  paramLength: 200,
  requestTimeoutMs: 30_000,
  headersTimeoutMs: 10_000,
  keepAliveTimeoutMs: 5_000,
  maxEventLoopDelayMs: 1000,
  loadSampleIntervalMs: 1000,
};

export const DEFAULT_RATE_LIMIT: RateLimitDefaults = { limit: 100, windowSeconds: 60, maxClients: 100_000 };

export function resolveServerOptions(input: ServerOptionsInput): ServerOptions {
  return {
    mode: input.mode ?? 'production',
    allowedHosts: input.allowedHosts ?? [],
    trustedProxies: input.trustedProxies ?? [],
    dangerouslyTrustPublicProxies: input.dangerouslyTrustPublicProxies ?? false,
    cors: { origins: input.cors?.origins ?? [], credentials: input.cors?.credentials ?? false },
    tls: input.tls,
    limits: { ...DEFAULT_LIMITS, ...input.limits },
    rateLimit: { ...DEFAULT_RATE_LIMIT, ...input.rateLimit },
    rateLimitOverrides: input.rateLimitOverrides ?? {},
    logLevel: input.logLevel ?? 'info',
    logDestination: input.logDestination,
    keyValueStore: input.keyValueStore,
    authenticators: input.authenticators ?? [],
    enumeration: { limit: 20, windowSeconds: 300, ...input.enumeration },
    onSecurityEvent: input.onSecurityEvent,
    metrics: input.metrics,
    rateLimitFallback: input.rateLimitFallback ?? 'memory',
    dependencies: input.dependencies ?? {},
  };
}

/** Every reason these options are unsafe or unusable; empty when they are fine. */
export function checkServerOptions(options: ServerOptions): string[] {
  const problems: string[] = [];
  if ((options.mode as string) !== 'development' && (options.mode as string) !== 'production') {
    problems.push(`mode must be 'development' or 'production', not "${options.mode as string}"`);
  }
  const proxyProblems = parseProxyList(options.trustedProxies).problems;
  problems.push(...proxyProblems);
  if (options.mode === 'production' && proxyProblems.length === 0 && !options.dangerouslyTrustPublicProxies) problems.push(...publicProxyProblems(options.trustedProxies));
  problems.push(...checkOrigins(options.cors.origins));
  for (const host of options.allowedHosts) {
    if (!/^(\[[0-9a-f:.]+\]|[a-z0-9.-]+)$/i.test(host)) {
      problems.push(`RAMPART_ALLOWED_HOSTS: "${host}" is not a host name (no schemes, ports, paths or wildcards)`);
    }
  }
  for (const [name, value] of Object.entries(options.limits)) {
    const allowZero = name === 'maxEventLoopDelayMs';
    if (!Number.isSafeInteger(value) || value < (allowZero ? 0 : 1)) problems.push(`limit ${name} must be a positive integer, not ${value}`);
  }
  for (const [name, value] of Object.entries({ ...options.rateLimit, enumerationLimit: options.enumeration.limit, enumerationWindowSeconds: options.enumeration.windowSeconds })) {
    if (!Number.isSafeInteger(value) || value < 1) problems.push(`rate limit ${name} must be a positive integer, not ${value}`);
  }
  // The type says so; the environment (and plain JavaScript callers) may not.
  if (!(['memory', 'refuse'] as const).includes(options.rateLimitFallback)) {
    problems.push(`RAMPART_RATE_LIMIT_FALLBACK must be memory or refuse, not "${options.rateLimitFallback}"`);
  }
  if (options.mode === 'production') {
    if (options.allowedHosts.length === 0) {
      problems.push('RAMPART_ALLOWED_HOSTS is required in production: the host names clients use to reach this API');
    }
    if (options.tls === undefined && options.trustedProxies.length === 0) {
      problems.push('production refuses plain HTTP: set RAMPART_TLS_CERT_FILE and RAMPART_TLS_KEY_FILE, or RAMPART_TRUSTED_PROXIES for a TLS-terminating proxy');
    }
  }
  return problems;
}

function publicProxyProblems(entries: readonly string[]): string[] {
  return entries.flatMap((entry) => {
    const example = publicAddressInEntry(entry);
    if (example === undefined) return [];
    return [
      `RAMPART_TRUSTED_PROXIES: "${entry.trim()}" contains public addresses (${example}, for one): a client there could write its own X-Forwarded-For and choose ` +
        'the address that rate limits, lockouts and logs see. List only your proxies\' own addresses or private ranges (e.g. 10.0.0.5, 10.0.0.0/8, fd00::/8); ' +
        'if your proxy really reaches you from public addresses (a CDN\'s published ranges), list exactly those and set RAMPART_DANGEROUSLY_TRUST_PUBLIC_PROXIES=true',
    ];
  });
}
