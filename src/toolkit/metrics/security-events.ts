// Security events reach metrics where they are recorded: every part of an identity (logins,
// sessions, API keys, toolkit layers reporting through the application) records through the
// one SecurityEvents object, so counting at its `record` counts them all.
import type { SecurityEvents } from '../events/index.ts';
import type { Metrics } from './metrics.ts';

const COUNTED = Symbol('rampart.metrics.counted');

/**
 * Counts every event recorded through `events` from now on. The object is changed in place,
 * because the identity's parts hold this very object; counting twice is refused.
 */
export function countSecurityEvents(events: SecurityEvents, metrics: Metrics): void {
  if (COUNTED in events) throw new TypeError('countSecurityEvents: these security events are already counted');
  const record = events.record.bind(events);
  Object.assign(events, {
    [COUNTED]: true,
    record(event: Parameters<SecurityEvents['record']>[0]): Promise<void> {
      metrics.countSecurityEvent(event.type);
      return record(event);
    },
  });
}
