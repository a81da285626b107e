// Prometheus metrics for a Rampart server: request counts and latencies by route pattern,
// method and status, security events by type, and rate-limit refusals by policy. Labels are
// bounded by construction: route patterns (never raw URLs, whose ids would make one series per
// resource), an `unmatched` bucket for URLs no route answers, HTTP methods, status codes,
// the known event types and the declared rate-limit policy names.
import { METHODS } from 'node:http';
import { collectDefaultMetrics, Counter, Histogram, Registry } from 'prom-client';
import { SECURITY_EVENT_TYPES } from '../events/index.ts';

/** Seconds; from a cached read (1 ms) to a slow upstream, argon2 login (~50 ms) in between. */
export const DEFAULT_LATENCY_BUCKETS: readonly number[] = [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10];

/** The route label of requests whose URL matches no route (404s, probes, scanners). */
export const UNMATCHED_ROUTE = 'unmatched';

export interface MetricsOptions {
  /** Histogram buckets in seconds, ascending. */
  latencyBuckets?: readonly number[];
  /** Node.js process metrics (CPU, memory, event-loop lag, GC): on unless false. */
  processMetrics?: boolean;
}

export interface Metrics {
  /** Media type of what `render()` returns (Prometheus text exposition 0.0.4). */
  readonly contentType: string;
  /** One finished request. `route` is the route pattern, or null when no route matched. */
  observeRequest(method: string, route: string | null, status: number, seconds: number): void;
  /** One request refused by a rate limit, by the limit's policy name. */
  countRateLimitRefusal(policy: string): void;
  /** One security event; types outside the known list are not counted (unbounded labels). */
  countSecurityEvent(type: string): void;
  /** The exposition text. */
  render(): Promise<string>;
}

const KNOWN_METHODS: ReadonlySet<string> = new Set(METHODS);
const KNOWN_EVENTS: ReadonlySet<string> = new Set(SECURITY_EVENT_TYPES);
const OPTION_KEYS = ['latencyBuckets', 'processMetrics'];

export function createMetrics(options: MetricsOptions = {}): Metrics {
  for (const key of Object.keys(options)) {
    if (!OPTION_KEYS.includes(key)) throw new TypeError(`createMetrics received an unsupported option \`${key}\`; expected one of ${OPTION_KEYS.join(', ')}`);
  }
  const buckets = [...(options.latencyBuckets ?? DEFAULT_LATENCY_BUCKETS)];
  if (buckets.length === 0 || buckets.some((b, i) => !Number.isFinite(b) || b <= 0 || (i > 0 && b <= buckets[i - 1]!))) {
    throw new TypeError('createMetrics: latencyBuckets must be positive, finite and strictly ascending');
  }

  // A registry of our own: never prom-client's global one, so two servers never share series.
  const registry = new Registry();
  const requests = new Histogram({
    name: 'rampart_http_request_duration_seconds',
    help: 'Time from receiving a request to finishing its response, by route pattern, method and status. Its _count is the request count.',
    labelNames: ['method', 'route', 'status'] as const,
    buckets,
    registers: [registry],
  });
  const refusals = new Counter({
    name: 'rampart_rate_limit_refusals_total',
    help: 'Requests refused with 429 by a rate limit, by policy name.',
    labelNames: ['policy'] as const,
    registers: [registry],
  });
  const events = new Counter({
    name: 'rampart_security_events_total',
    help: 'Security events recorded, by type.',
    labelNames: ['type'] as const,
    registers: [registry],
  });
  // Known series start at zero, so rate() and absence alerts work before the first event.
  refusals.inc({ policy: 'default' }, 0);
  for (const type of SECURITY_EVENT_TYPES) events.inc({ type }, 0);
  if (options.processMetrics !== false) collectDefaultMetrics({ register: registry });

  return {
    contentType: registry.contentType,
    observeRequest(method, route, status, seconds) {
      requests.observe({ method: KNOWN_METHODS.has(method) ? method : 'OTHER', route: route ?? UNMATCHED_ROUTE, status }, seconds);
    },
    countRateLimitRefusal(policy) {
      refusals.inc({ policy });
    },
    countSecurityEvent(type) {
      if (KNOWN_EVENTS.has(type)) events.inc({ type });
    },
    render: () => registry.metrics(),
  };
}
