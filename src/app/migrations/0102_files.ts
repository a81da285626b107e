// Uploaded files, owned by the user who uploaded them. The bytes live on disk under
// `storage_name` (a random UUID, unique); `name` is the client's name, sanitized, kept only to
// show and to offer in Content-Disposition. `media_type` is what the content was detected as.
import { sql, type Kysely } from 'kysely';
import type { Migration } from '../../toolkit/index.ts';

export const files: Migration = {
  async up(db: Kysely<unknown>) {
    await db.schema
      .createTable('files')
      .addColumn('id', 'text', (c) => c.primaryKey())
      .addColumn('owner_id', 'text', (c) => c.notNull().references('users.id').onDelete('restrict'))
      .addColumn('name', 'text', (c) => c.notNull())
      .addColumn('media_type', 'text', (c) => c.notNull())
      .addColumn('size', 'bigint', (c) => c.notNull().check(sql`size > 0`))
      .addColumn('sha256', 'text', (c) => c.notNull())
      .addColumn('storage_name', 'text', (c) => c.notNull().unique())
      .addColumn('created_at', 'bigint', (c) => c.notNull())
      .execute();
    await db.schema.createIndex('files_owner_created').on('files').columns(['owner_id', 'created_at', 'id']).execute();
  },
};
