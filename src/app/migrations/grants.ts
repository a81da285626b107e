// What the application role (DATABASE_URL's, on PostgreSQL) may do to each table, and why.
// `rampart migrate` applies exactly this list as the owner after every run: a privilege not
// here is revoked, and a table not here stops the run. Nothing grants DROP, ALTER, TRUNCATE,
// CREATE or REFERENCES: only owners can change the schema. Operator commands that run with
// DATABASE_URL (`rampart user`, `keys rotate`, `rotate-keys`) live within the same list.
import type { TableGrants } from '../../toolkit/index.ts';

export const grants: TableGrants = {
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

  // Catalog: products are deleted softly (an update), orders are cancelled (an update).
  products: ['select', 'insert', 'update'],
  orders: ['select', 'insert', 'update'],

  // Money: balances change; deposits, transfers and the ledger are append-only.
  accounts: ['select', 'insert', 'update'],
  deposits: ['select', 'insert'],
  transfers: ['select', 'insert'],
  ledger_entries: ['select', 'insert'],
  // Claimed, answered, taken over, and expired keys removed.
  idempotency_keys: ['select', 'insert', 'update', 'delete'],

  // Files are uploaded and deleted, never changed.
  files: ['select', 'insert', 'delete'],

  // Webhooks: `rotate-keys` re-seals their secrets (an update); deliveries are a queue.
  webhooks: ['select', 'insert', 'update', 'delete'],
  webhook_deliveries: ['select', 'insert', 'update', 'delete'],
};
