// Prometheus metrics: the registry, the per-request hooks createServer installs, the
// security-event counter and the /metrics route.
export { createMetrics, DEFAULT_LATENCY_BUCKETS, UNMATCHED_ROUTE } from './metrics.ts';
export type { Metrics, MetricsOptions } from './metrics.ts';
export { requestObserver, observeUnmatched } from './hooks.ts';
export { countSecurityEvents } from './security-events.ts';
export { metricsRoute, METRICS_SCOPE } from './route.ts';
export type { MetricsRouteOptions } from './route.ts';
