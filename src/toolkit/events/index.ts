// The security event trail: record, list (newest first, keyset pages) and bounded retention.
export { createSecurityEvents, SECURITY_EVENT_TYPES, MAX_LIST_LIMIT } from './security-events.ts';
export type {
  SecurityEventType,
  SecurityEventInput,
  StoredSecurityEvent,
  SecurityEventFilter,
  SecurityEvents,
  SecurityEventsOptions,
} from './security-events.ts';
export { MAX_DETAIL_KEYS, MAX_DETAIL_STRING } from './detail.ts';
