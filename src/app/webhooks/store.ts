// Webhooks and their deliveries as the routes see them. Every query carries the owner, so
// another user's webhook is simply not found. The signing secret is generated here, sealed
// with the field keyring bound to the row, and returned in plain text exactly once.
import { randomUUID } from 'node:crypto';
import type { Kysely } from 'kysely';
import { generateWebhookSecret, type FieldCipher } from '../../toolkit/index.ts';
import type { DeliveryStatus, WebhookEvent, WebhookTables } from './tables.ts';

export interface WebhookView {
  id: string;
  url: string;
  events: WebhookEvent[];
  createdAt: string;
}

export interface DeliveryView {
  id: string;
  event: string;
  status: DeliveryStatus;
  attempts: number;
  nextAttemptAt: string | null;
  lastStatus: number | null;
  lastError: string | null;
  responseExcerpt: string | null;
  createdAt: string;
  deliveredAt: string | null;
}

export const SECRET_FIELD = { table: 'webhooks', column: 'secret' } as const;

type Row = WebhookTables['webhooks'];
type DeliveryRow = WebhookTables['webhook_deliveries'];

const view = (row: Row): WebhookView => ({ id: row.id, url: row.url, events: row.events.split(',') as WebhookEvent[], createdAt: new Date(row.created_at).toISOString() });
const deliveryView = (row: DeliveryRow): DeliveryView => ({
  id: row.id,
  event: row.event,
  status: row.status,
  attempts: row.attempts,
  nextAttemptAt: row.status === 'pending' ? new Date(row.next_attempt_at).toISOString() : null,
  lastStatus: row.last_status,
  lastError: row.last_error,
  responseExcerpt: row.response_excerpt,
  createdAt: new Date(row.created_at).toISOString(),
  deliveredAt: row.delivered_at === null ? null : new Date(row.delivered_at).toISOString(),
});

export function createWebhookStore(db: Kysely<WebhookTables>, cipher: FieldCipher, now: () => number = Date.now) {
  const own = (ownerId: string) => db.selectFrom('webhooks').selectAll().where('owner_id', '=', ownerId);

  return {
    /** Creates the webhook unless the owner already has `limit`; undefined when over the limit. */
    async create(ownerId: string, url: string, events: readonly WebhookEvent[], limit: number): Promise<(WebhookView & { secret: string }) | undefined> {
      const id = randomUUID();
      const secret = generateWebhookSecret();
      const sealed = await cipher.encrypt(secret, { ...SECRET_FIELD, rowId: id });
      const row: Row = { id, owner_id: ownerId, url, events: [...new Set(events)].join(','), secret: sealed, created_at: now() };
      const created = await db.transaction().execute(async (trx) => {
        // Lock the owner's row so parallel creates cannot both pass the count (PostgreSQL).
        await (trx as unknown as Kysely<{ users: { id: string } }>).selectFrom('users').select('id').where('id', '=', ownerId).forUpdate().execute();
        const { count } = await trx.selectFrom('webhooks').select((eb) => eb.fn.countAll<number | string>().as('count')).where('owner_id', '=', ownerId).executeTakeFirstOrThrow();
        if (Number(count) >= limit) return false;
        await trx.insertInto('webhooks').values(row).execute();
        return true;
      });
      return created ? { ...view(row), secret } : undefined;
    },

    async list(ownerId: string): Promise<WebhookView[]> {
      const rows = await own(ownerId).orderBy('created_at', 'desc').orderBy('id', 'desc').execute();
      return rows.map(view);
    },

    async byId(id: string, ownerId: string): Promise<WebhookView | undefined> {
      const row = await own(ownerId).where('id', '=', id).executeTakeFirst();
      return row && view(row);
    },

    /** Deletes the webhook and its queued deliveries; false when the owner has no such webhook. */
    async remove(id: string, ownerId: string): Promise<boolean> {
      return db.transaction().execute(async (trx) => {
        const found = await trx.selectFrom('webhooks').select('id').where('id', '=', id).where('owner_id', '=', ownerId).executeTakeFirst();
        if (found === undefined) return false;
        await trx.deleteFrom('webhook_deliveries').where('webhook_id', '=', id).execute();
        await trx.deleteFrom('webhooks').where('id', '=', id).where('owner_id', '=', ownerId).execute();
        return true;
      });
    },

    /** The newest deliveries of the owner's webhook; undefined when the webhook is not theirs. */
    async deliveries(id: string, ownerId: string, limit: number): Promise<DeliveryView[] | undefined> {
      if ((await this.byId(id, ownerId)) === undefined) return undefined;
      const rows = await db.selectFrom('webhook_deliveries').selectAll().where('webhook_id', '=', id).orderBy('created_at', 'desc').orderBy('id', 'desc').limit(limit).execute();
      return rows.map(deliveryView);
    },
  };
}

export type WebhookStore = ReturnType<typeof createWebhookStore>;
