// What the application role (DATABASE_URL's, on PostgreSQL) may do to the toolkit's own tables,
// and why. An app's grants add its tables to these (see createRampart's `grants`). Nothing
// grants DROP, ALTER, TRUNCATE, CREATE or REFERENCES: only owners can change the schema.
import type { TableGrants } from '../stores/index.ts';

export const identityGrants: TableGrants = {
  // Bookkeeping of `rampart migrate`: serving only reads it, to refuse to start while a
  // migration is pending. The lock table is the migrating role's alone.
  rampart_migration: ['select'],
  rampart_migration_lock: [],

  // Identity (toolkit). Accounts are disabled, never deleted.
  users: ['select', 'insert', 'update'],
  // Rotation marks tokens used or revoked; rows are not deleted.
  refresh_tokens: ['select', 'insert', 'update'],
  // `keys rotate` adds a key and retires the previous one.
  signing_keys: ['select', 'insert', 'update'],
  // The trail is appended to and pruned by age and count; an event is never rewritten.
  security_events: ['select', 'insert', 'delete'],
  // Revocation and last use are updates; keys are not deleted.
  api_keys: ['select', 'insert', 'update'],
  // `rotate-keys` adds data keys; a data key is never changed or removed.
  rampart_data_keys: ['select', 'insert'],
  // Written by migration 0005; an operator's rename resolves (deletes) a conflict.
  username_conflicts: ['select', 'delete'],
};
