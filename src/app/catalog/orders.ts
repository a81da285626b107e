// Orders, owned by the user who placed them. Every query carries the owner, so another
// user's order is simply not found. The server fixes everything but the product and the
// quantity: id, owner, unit price and total from the product at the time, status `placed`.
import { randomUUID } from 'node:crypto';
import type { Kysely } from 'kysely';
import { bindParameters } from '../../toolkit/index.ts';
import { enqueueEvent } from '../webhooks/outbox.ts';
import { newestFirst, newestFirstQuery, pageOf, type Position } from './cursor.ts';
import type { CatalogTables, OrderStatus } from './tables.ts';

/** An order as the data layer sees it; `ownerId` is internal and left out of responses. */
export interface OrderRecord {
  id: string;
  ownerId: string;
  productId: string;
  quantity: number;
  unitPrice: number;
  total: number;
  currency: string;
  status: OrderStatus;
  createdAt: string;
  cancelledAt: string | null;
}

type Row = CatalogTables['orders'];

const record = (row: Row): OrderRecord => ({
  id: row.id,
  ownerId: row.owner_id,
  productId: row.product_id,
  quantity: row.quantity,
  unitPrice: row.unit_price,
  total: row.total,
  currency: row.currency,
  status: row.status,
  createdAt: new Date(row.created_at).toISOString(),
  cancelledAt: row.cancelled_at === null ? null : new Date(row.cancelled_at).toISOString(),
});

export function createOrders(db: Kysely<CatalogTables>, now: () => number = Date.now) {
  const own = (ownerId: string) => db.selectFrom('orders').selectAll().where('owner_id', '=', ownerId);
  // The first page of a listing is the hot read: its SQL is compiled once, each call binds the
  // owner and the row count (the same query newestFirst builds, without building it again).
  const firstPage = newestFirstQuery(own(''), 0).compile();

  return {
    /** Places an order for a live product; undefined when there is none with this id. */
    async place(ownerId: string, productId: string, quantity: number): Promise<OrderRecord | undefined> {
      const product = await db.selectFrom('products').select(['price', 'currency']).where('id', '=', productId).where('deleted_at', 'is', null).executeTakeFirst();
      if (product === undefined) return undefined;
      const row: Row = {
        id: randomUUID(),
        owner_id: ownerId,
        product_id: productId,
        quantity,
        unit_price: product.price,
        total: product.price * quantity,
        currency: product.currency,
        status: 'placed',
        created_at: now(),
        cancelled_at: null,
      };
      const order = record(row);
      // Outbox: the order and its webhook deliveries commit together.
      await db.transaction().execute(async (trx) => {
        await trx.insertInto('orders').values(row).execute();
        // The payload is the order as its owner sees it: JSON drops the undefined owner id.
        await enqueueEvent(trx, ownerId, 'order.created', { ...order, ownerId: undefined }, row.created_at);
      });
      return order;
    },

    /** One page of the owner's orders, newest first, and whether more follow. */
    async list(ownerId: string, limit: number, before: Position<number> | undefined): Promise<{ items: OrderRecord[]; more: boolean }> {
      const { rows, more } =
        before === undefined ? pageOf((await db.executeQuery(bindParameters(firstPage, [ownerId, limit + 1]))).rows, limit) : await newestFirst(own(ownerId), limit, before);
      return { items: rows.map(record), more };
    },

    async byId(id: string, ownerId: string): Promise<OrderRecord | undefined> {
      const row = await own(ownerId).where('id', '=', id).executeTakeFirst();
      return row && record(row);
    },

    /**
     * Cancels a placed order in one conditional update (two cancels cannot both win).
     * 'not-placed' when the owner's order exists in another status; undefined when not found.
     */
    async cancel(id: string, ownerId: string): Promise<OrderRecord | 'not-placed' | undefined> {
      const row = await db
        .updateTable('orders')
        .set({ status: 'cancelled', cancelled_at: now() })
        .where('id', '=', id)
        .where('owner_id', '=', ownerId)
        .where('status', '=', 'placed')
        .returningAll()
        .executeTakeFirst();
      if (row !== undefined) return record(row);
      return (await this.byId(id, ownerId)) === undefined ? undefined : 'not-placed';
    },
  };
}

export type Orders = ReturnType<typeof createOrders>;

/** The sort key of an order in its owner's list. */
export function orderPosition(order: OrderRecord): Position<number> {
  return { key: Date.parse(order.createdAt), id: order.id };
}
