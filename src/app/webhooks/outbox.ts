// The outbox: an event becomes one delivery row per subscribed webhook, written with the
// caller's own transaction handle, so the order or transfer and its deliveries commit
// together or not at all. Only SQL here — the dispatcher sends them later.
import { randomUUID } from 'node:crypto';
import type { Kysely } from 'kysely';
import type { WebhookEvent, WebhookTables } from './tables.ts';

/** What receivers get: the event id is the delivery-independent identity of what happened. */
export interface EventPayload {
  id: string;
  type: WebhookEvent;
  createdAt: string;
  data: object;
}

/** Queues `type` for every webhook of `ownerId` subscribed to it. Call inside the write's transaction. */
export async function enqueueEvent(trx: object, ownerId: string, type: WebhookEvent, data: object, now = Date.now()): Promise<void> {
  // Any Kysely or Transaction over a schema that includes the webhook tables.
  const db = trx as Kysely<WebhookTables>;
  const hooks = await db.selectFrom('webhooks').select(['id', 'events']).where('owner_id', '=', ownerId).execute();
  const subscribed = hooks.filter((hook) => hook.events.split(',').includes(type));
  if (subscribed.length === 0) return;
  const payload: EventPayload = { id: randomUUID(), type, createdAt: new Date(now).toISOString(), data };
  const body = JSON.stringify(payload);
  await db
    .insertInto('webhook_deliveries')
    .values(subscribed.map((hook) => ({ id: randomUUID(), webhook_id: hook.id, event: type, payload: body, status: 'pending' as const, attempts: 0, next_attempt_at: now, lease_owner: null, last_status: null, last_error: null, response_excerpt: null, created_at: now, delivered_at: null })))
    .execute();
}
