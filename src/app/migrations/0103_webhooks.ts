// Webhooks and their delivery queue. The queue is a table, so a restart loses nothing: rows
// stay `pending` until a dispatcher delivers them or gives up (`failed`). `next_attempt_at`
// doubles as the lease: a claimed row is pushed into the future until its attempt finishes,
// and a dispatcher that dies mid-attempt lets it come due again.
import type { Kysely } from 'kysely';
import type { Migration } from '../../toolkit/index.ts';

export const webhooks: Migration = {
  async up(db: Kysely<unknown>) {
    await db.schema
      .createTable('webhooks')
      .addColumn('id', 'text', (c) => c.primaryKey())
      .addColumn('owner_id', 'text', (c) => c.notNull().references('users.id').onDelete('restrict'))
      .addColumn('url', 'text', (c) => c.notNull())
      // Comma-separated event names, from a fixed list.
      .addColumn('events', 'text', (c) => c.notNull())
      // The signing secret, sealed with the field keyring (bound to this row's id).
      .addColumn('secret', 'text', (c) => c.notNull())
      .addColumn('created_at', 'bigint', (c) => c.notNull())
      .execute();
    await db.schema.createIndex('webhooks_owner_created').on('webhooks').columns(['owner_id', 'created_at', 'id']).execute();
    await db.schema
      .createTable('webhook_deliveries')
      .addColumn('id', 'text', (c) => c.primaryKey())
      .addColumn('webhook_id', 'text', (c) => c.notNull().references('webhooks.id').onDelete('cascade'))
      .addColumn('event', 'text', (c) => c.notNull())
      // The exact body every attempt sends, fixed when the event happened.
      .addColumn('payload', 'text', (c) => c.notNull())
      .addColumn('status', 'text', (c) => c.notNull())
      .addColumn('attempts', 'integer', (c) => c.notNull().defaultTo(0))
      .addColumn('next_attempt_at', 'bigint', (c) => c.notNull())
      .addColumn('lease_owner', 'text')
      .addColumn('last_status', 'integer')
      .addColumn('last_error', 'text')
      .addColumn('response_excerpt', 'text')
      .addColumn('created_at', 'bigint', (c) => c.notNull())
      .addColumn('delivered_at', 'bigint')
      .execute();
    await db.schema.createIndex('webhook_deliveries_due').on('webhook_deliveries').columns(['status', 'next_attempt_at']).execute();
    await db.schema.createIndex('webhook_deliveries_webhook').on('webhook_deliveries').columns(['webhook_id', 'created_at', 'id']).execute();
  },
};
