// The notes table: each note belongs to the user who wrote it.
import type { Migration } from 'rampart';

export interface Tables {
  notes: { id: string; owner_id: string; title: string; body: string; created_at: number };
}

export const migrations: Record<string, Migration> = {
  '0100_notes': {
    async up(db) {
      await db.schema
        .createTable('notes')
        .addColumn('id', 'text', (c) => c.primaryKey())
        .addColumn('owner_id', 'text', (c) => c.notNull().references('users.id'))
        .addColumn('title', 'text', (c) => c.notNull())
        .addColumn('body', 'text', (c) => c.notNull())
        .addColumn('created_at', 'bigint', (c) => c.notNull())
        .execute();
      await db.schema.createIndex('notes_owner').on('notes').column('owner_id').execute();
    },
  },
};
