// Products and orders. Ids are random UUIDs as text, times are epoch milliseconds, money is
// integer minor units (EUR cents); the database itself refuses out-of-range prices and
// quantities. Products are deleted softly (deleted_at), so orders keep their history.
import { sql, type Kysely } from 'kysely';
import type { Migration } from '../../toolkit/index.ts';

export const catalog: Migration = {
  async up(db: Kysely<unknown>) {
    await db.schema
      .createTable('products')
      .addColumn('id', 'text', (c) => c.primaryKey())
      .addColumn('name', 'text', (c) => c.notNull())
      .addColumn('name_folded', 'text', (c) => c.notNull())
      .addColumn('description', 'text', (c) => c.notNull())
      .addColumn('price', 'bigint', (c) => c.notNull().check(sql`price > 0 and price <= 1000000000`))
      .addColumn('currency', 'text', (c) => c.notNull())
      .addColumn('created_at', 'bigint', (c) => c.notNull())
      .addColumn('updated_at', 'bigint', (c) => c.notNull())
      .addColumn('deleted_at', 'bigint')
      .execute();
    await db.schema.createIndex('products_name_id').on('products').columns(['name', 'id']).execute();
    await db.schema
      .createTable('orders')
      .addColumn('id', 'text', (c) => c.primaryKey())
      .addColumn('owner_id', 'text', (c) => c.notNull().references('users.id').onDelete('restrict'))
      .addColumn('product_id', 'text', (c) => c.notNull().references('products.id').onDelete('restrict'))
      .addColumn('quantity', 'integer', (c) => c.notNull().check(sql`quantity between 1 and 100`))
      .addColumn('unit_price', 'bigint', (c) => c.notNull().check(sql`unit_price > 0`))
      .addColumn('total', 'bigint', (c) => c.notNull().check(sql`total > 0`))
      .addColumn('currency', 'text', (c) => c.notNull())
      .addColumn('status', 'text', (c) => c.notNull().check(sql`status in ('placed', 'cancelled')`))
      .addColumn('created_at', 'bigint', (c) => c.notNull())
      .addColumn('cancelled_at', 'bigint')
      .execute();
    await db.schema.createIndex('orders_owner_created').on('orders').columns(['owner_id', 'created_at', 'id']).execute();
  },
};
