// The security event trail: every login, failure, lockout, denial and key change becomes one
// row (queryable by admins) and one structured log line (for the log pipeline). Attackers can
// create events at will, so the table is bounded by age and by count.
import { randomBytes } from 'node:crypto';
import type { FastifyBaseLogger } from 'fastify';
import type { Kysely } from 'kysely';
import type { IdentityTables } from '../auth/schema.ts';
import { sanitizeDetail, truncate } from './detail.ts';
import type { EventDetail } from './detail.ts';

export const SECURITY_EVENT_TYPES = [
  'login_succeeded', 'login_failed', 'login_throttled', 'account_locked', 'token_refreshed',
  'refresh_token_reuse', 'token_revoked', 'logout', 'password_changed', 'user_created',
  'user_disabled', 'user_enabled', 'signing_key_rotated', 'access_denied', 'rate_limited',
  'api_key_created', 'api_key_deleted', 'api_key_rejected', 'session_created', 'session_ended',
  'csrf_rejected', 'role_changed', 'object_enumeration', 'admin_action', 'quota_exceeded',
  'upload_malware_rejected', 'rate_limit_degraded',
] as const;

export type SecurityEventType = (typeof SECURITY_EVENT_TYPES)[number];

export interface SecurityEventInput {
  type: SecurityEventType;
  principalId?: string | null;
  clientIp?: string | null;
  detail?: Record<string, string | number | boolean | null>;
}

export interface StoredSecurityEvent {
  id: string;
  type: SecurityEventType;
  /** Epoch milliseconds. */
  at: number;
  principalId: string | null;
  clientIp: string | null;
  detail: Record<string, string | number | boolean | null>;
}

export interface SecurityEventFilter {
  type?: SecurityEventType;
  principalId?: string;
  /** Inclusive lower bound on `at` (epoch ms). */
  since?: number;
  /** Exclusive upper bound on `at` (epoch ms). */
  until?: number;
  /** Default 50, at most 500. */
  limit?: number;
  /** Keyset cursor: the `at` and `id` of the last event of the previous page. */
  before?: { at: number; id: string };
}

export interface SecurityEvents {
  /** Stores the event and writes one log line. Never rejects: a failed write is logged at error level. */
  record(event: SecurityEventInput): Promise<void>;
  /** Newest first. */
  list(filter?: SecurityEventFilter): Promise<StoredSecurityEvent[]>;
  /** Deletes events older than maxAgeMs and all but the newest maxCount; returns how many were deleted. */
  prune(now?: number): Promise<number>;
}

export interface SecurityEventsOptions {
  db: Kysely<IdentityTables>;
  logger: FastifyBaseLogger;
  retention?: { maxAgeMs?: number; maxCount?: number };
  /** Prune after every N records (default 1000). */
  pruneEvery?: number;
  now?: () => number;
}

const DAY_MS = 86_400_000;
const DEFAULT_MAX_AGE_MS = 90 * DAY_MS;
const DEFAULT_MAX_COUNT = 100_000;
const DEFAULT_PRUNE_EVERY = 1000;
const DEFAULT_LIMIT = 50;
export const MAX_LIST_LIMIT = 500;
/** principalId and clientIp are bounded like detail strings. */
const MAX_FIELD = 200;

const KNOWN_TYPES: ReadonlySet<unknown> = new Set(SECURITY_EVENT_TYPES);
const isEventType = (value: unknown): value is SecurityEventType => KNOWN_TYPES.has(value);

/** Events that signal an attack or a misuse log at warn; the rest at info. */
const WARN_TYPES: ReadonlySet<SecurityEventType> = new Set<SecurityEventType>([
  'login_failed', 'login_throttled', 'account_locked', 'refresh_token_reuse', 'access_denied',
  'rate_limited', 'api_key_rejected', 'csrf_rejected', 'object_enumeration', 'upload_malware_rejected',
  'rate_limit_degraded',
]);

function assertPositiveInteger(value: unknown, name: string): void {
  if (!Number.isSafeInteger(value) || (value as number) <= 0) {
    throw new TypeError(`security events: ${name} must be a positive integer, received ${String(value)}`);
  }
}

function assertKnownKeys(object: object, allowed: readonly string[], name: string): void {
  for (const key of Object.keys(object)) {
    if (!allowed.includes(key)) {
      throw new TypeError(`security events: ${name} received an unsupported property \`${key}\`; expected one of ${allowed.join(', ')}`);
    }
  }
}

// Ids sort in creation order: 12 hex digits of epoch ms, a per-process sequence, then random
// bits. Two events in the same millisecond from one process keep their order for the cursor.
let sequence = 0;
function eventId(at: number): string {
  sequence = (sequence + 1) % 0x1000000;
  return at.toString(16).padStart(12, '0') + sequence.toString(16).padStart(6, '0') + randomBytes(8).toString('hex');
}

function bounded(value: string | null | undefined): string | null {
  return typeof value === 'string' ? truncate(value, MAX_FIELD) : null;
}

function parseDetail(text: string): EventDetail {
  try {
    return sanitizeDetail(JSON.parse(text));
  } catch {
    return {};
  }
}

export function createSecurityEvents(options: SecurityEventsOptions): SecurityEvents {
  const { db, logger, retention = {}, pruneEvery = DEFAULT_PRUNE_EVERY, now = Date.now } = options;
  assertKnownKeys(options, ['db', 'logger', 'retention', 'pruneEvery', 'now'], 'createSecurityEvents');
  assertKnownKeys(retention, ['maxAgeMs', 'maxCount'], 'retention');
  const { maxAgeMs = DEFAULT_MAX_AGE_MS, maxCount = DEFAULT_MAX_COUNT } = retention;
  assertPositiveInteger(maxAgeMs, 'retention.maxAgeMs');
  assertPositiveInteger(maxCount, 'retention.maxCount');
  assertPositiveInteger(pruneEvery, 'pruneEvery');

  let sinceLastPrune = 0;
  let pruning = false;

  async function prune(at: number = now()): Promise<number> {
    let deleted = 0;
    const byAge = await db.deleteFrom('security_events').where('at', '<', at - maxAgeMs).executeTakeFirst();
    deleted += Number(byAge.numDeletedRows);
    // The maxCount-th newest event; everything older than it goes (ties on `at` broken by id).
    const boundary = await db
      .selectFrom('security_events')
      .select(['at', 'id'])
      .orderBy('at', 'desc')
      .orderBy('id', 'desc')
      .offset(maxCount - 1)
      .limit(1)
      .executeTakeFirst();
    if (boundary !== undefined) {
      const byCount = await db
        .deleteFrom('security_events')
        .where((eb) => eb.or([
          eb('at', '<', boundary.at),
          eb.and([eb('at', '=', boundary.at), eb('id', '<', boundary.id)]),
        ]))
        .executeTakeFirst();
      deleted += Number(byCount.numDeletedRows);
    }
    return deleted;
  }

  async function pruneInBackground(): Promise<void> {
    if (pruning) return;
    pruning = true;
    try {
      await prune();
    } catch (error) {
      logger.error({ err: error }, 'security events could not be pruned');
    } finally {
      pruning = false;
    }
  }

  return {
    async record(event) {
      const type = event.type;
      if (!isEventType(type)) {
        // Reachable only from untyped callers; the value is shown bounded, as it may be anything.
        const shown: unknown = type;
        logger.error({ eventType: typeof shown === 'string' ? truncate(shown, MAX_FIELD) : typeof shown }, 'security event with an unknown type was not recorded');
        return;
      }
      const at = now();
      const principalId = bounded(event.principalId);
      const clientIp = bounded(event.clientIp);
      const detail = sanitizeDetail(event.detail);
      const line = { ...detail, event: type, principalId, clientIp };
      if (WARN_TYPES.has(type)) logger.warn(line, 'security event');
      else logger.info(line, 'security event');
      try {
        await db.insertInto('security_events')
          .values({ id: eventId(at), type, at, principal_id: principalId, client_ip: clientIp, detail: JSON.stringify(detail) })
          .execute();
      } catch (error) {
        // Never fail the request that caused the event, but never lose the failure silently.
        logger.error({ err: error, event: type }, 'security event could not be stored');
        return;
      }
      sinceLastPrune++;
      if (sinceLastPrune >= pruneEvery) {
        sinceLastPrune = 0;
        await pruneInBackground();
      }
    },

    async list(filter = {}) {
      const { type, principalId, since, until, limit = DEFAULT_LIMIT, before } = filter;
      if (!Number.isSafeInteger(limit) || limit < 1 || limit > MAX_LIST_LIMIT) {
        throw new RangeError(`security events: limit must be an integer from 1 to ${MAX_LIST_LIMIT}, received ${String(limit)}`);
      }
      for (const [name, value] of [['since', since], ['until', until], ['before.at', before?.at]] as const) {
        if (value !== undefined && !Number.isSafeInteger(value)) {
          throw new TypeError(`security events: ${name} must be an integer epoch time in milliseconds`);
        }
      }
      if (before !== undefined && typeof before.id !== 'string') {
        throw new TypeError('security events: before.id must be the id of the last event of the previous page');
      }
      let query = db.selectFrom('security_events').selectAll();
      if (type !== undefined) query = query.where('type', '=', type);
      if (principalId !== undefined) query = query.where('principal_id', '=', principalId);
      if (since !== undefined) query = query.where('at', '>=', since);
      if (until !== undefined) query = query.where('at', '<', until);
      if (before !== undefined) {
        query = query.where((eb) => eb.or([
          eb('at', '<', before.at),
          eb.and([eb('at', '=', before.at), eb('id', '<', before.id)]),
        ]));
      }
      const rows = await query.orderBy('at', 'desc').orderBy('id', 'desc').limit(limit).execute();
      return rows.map((row) => ({
        id: row.id,
        type: row.type as SecurityEventType,
        at: row.at,
        principalId: row.principal_id,
        clientIp: row.client_ip,
        detail: parseDetail(row.detail),
      }));
    },

    prune,
  };
}
