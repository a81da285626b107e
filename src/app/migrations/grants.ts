// What the application role (DATABASE_URL's, on PostgreSQL) may do to each table, and why.
// `rampart migrate` applies exactly this list as the owner after every run: a privilege not
// here is revoked, and a table not here stops the run. Nothing grants DROP, ALTER, TRUNCATE,
// CREATE or REFERENCES: only owners can change the schema. Operator commands that run with
// DATABASE_URL (`rampart user`, `keys rotate`, `rotate-keys`) live within the same list.
import { identityGrants, type TableGrants } from '../../toolkit/index.ts';

export const grants: TableGrants = {
  // The toolkit's tables: migration bookkeeping and identity.
  ...identityGrants,

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
