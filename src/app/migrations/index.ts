// The reference service's migrations, in name order. Written with Kysely's schema builder
// so they run unchanged on node:sqlite and PostgreSQL.
import type { Migration } from '../../toolkit/index.ts';

export const migrations: Record<string, Migration> = {};
