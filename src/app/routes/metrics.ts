// GET /metrics for Prometheus: readable with the service Basic credential or by admins
// (`metrics:read`). Security events are counted where the identity records them, which also
// covers the toolkit's own (rate limits, enumeration) reported through onSecurityEvent.
import { countSecurityEvents, metricsRoute, type Identity, type Metrics, type RampartServer } from '../../toolkit/index.ts';

export function metricsRoutes(app: RampartServer, metrics: Metrics, identity: Identity): void {
  countSecurityEvents(identity.events, metrics);
  metricsRoute(app, metrics);
}
