// Each attempt that holds an idempotency key carries its own claim token, so the transaction
// that records the answer can check it still holds the key (see money/idempotency.ts).
import type { Kysely } from 'kysely';
import type { Migration } from '../../toolkit/index.ts';

export const idempotencyClaims: Migration = {
  async up(db: Kysely<unknown>) {
    await db.schema.alterTable('idempotency_keys').addColumn('claim', 'text').execute();
  },
};
