// The product catalog. Everyone browses products that are not deleted, in (name, id) order
// with keyset pages; admins create, change and delete them. Deleting is soft (deleted_at),
// so orders keep pointing at what was bought; a deleted product is gone for everyone else.
import { randomUUID } from 'node:crypto';
import { sql, type Kysely, type SqlBool } from 'kysely';
import type { Position } from './cursor.ts';
import { containsPattern, foldName } from './search.ts';
import { CURRENCY, type CatalogTables } from './tables.ts';

export interface ProductView {
  id: string;
  name: string;
  description: string;
  price: number;
  currency: string;
  createdAt: string;
  updatedAt: string;
}

export interface NewProduct {
  name: string;
  description: string;
  price: number;
}

export interface ProductQuery {
  limit: number;
  after?: Position<string>;
  search?: string;
}

type Row = CatalogTables['products'];

const view = (row: Row): ProductView => ({
  id: row.id,
  name: row.name,
  description: row.description,
  price: row.price,
  currency: row.currency,
  createdAt: new Date(row.created_at).toISOString(),
  updatedAt: new Date(row.updated_at).toISOString(),
});

export function createProducts(db: Kysely<CatalogTables>, now: () => number = Date.now) {
  const live = () => db.selectFrom('products').selectAll().where('deleted_at', 'is', null);

  return {
    /** One page of live products and whether more follow. */
    async list(query: ProductQuery): Promise<{ items: ProductView[]; more: boolean }> {
      const { limit, after, search } = query;
      const rows = await live()
        .$if(search !== undefined, (q) => q.where(sql<SqlBool>`${sql.ref('name_folded')} like ${containsPattern(search!)} escape '\\'`))
        .$if(after !== undefined, (q) => q.where((eb) => eb.or([eb('name', '>', after!.key), eb.and([eb('name', '=', after!.key), eb('id', '>', after!.id)])])))
        .orderBy('name')
        .orderBy('id')
        .limit(limit + 1)
        .execute();
      return { items: rows.slice(0, limit).map(view), more: rows.length > limit };
    },

    async byId(id: string): Promise<ProductView | undefined> {
      const row = await live().where('id', '=', id).executeTakeFirst();
      return row && view(row);
    },

    async create(input: NewProduct): Promise<ProductView> {
      const t = now();
      const row: Row = { id: randomUUID(), name: input.name, name_folded: foldName(input.name), description: input.description, price: input.price, currency: CURRENCY, created_at: t, updated_at: t, deleted_at: null };
      await db.insertInto('products').values(row).execute();
      return view(row);
    },

    /** Changes a live product; undefined when there is none with this id. */
    async update(id: string, change: Partial<NewProduct>): Promise<ProductView | undefined> {
      const row = await db
        .updateTable('products')
        .set({
          ...(change.name === undefined ? {} : { name: change.name, name_folded: foldName(change.name) }),
          ...(change.description === undefined ? {} : { description: change.description }),
          ...(change.price === undefined ? {} : { price: change.price }),
          updated_at: now(),
        })
        .where('id', '=', id)
        .where('deleted_at', 'is', null)
        .returningAll()
        .executeTakeFirst();
      return row && view(row);
    },

    /** Soft delete; false when there is no live product with this id. */
    async remove(id: string): Promise<boolean> {
      const t = now();
      const result = await db.updateTable('products').set({ deleted_at: t, updated_at: t }).where('id', '=', id).where('deleted_at', 'is', null).executeTakeFirst();
      return result.numUpdatedRows === 1n;
    },
  };
}

export type Products = ReturnType<typeof createProducts>;
