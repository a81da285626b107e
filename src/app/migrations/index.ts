// The reference service's migrations, in name order: the toolkit's identity tables first,
// then the service's own. Written with Kysely's schema builder so they run unchanged on
// node:sqlite and PostgreSQL.
import { identityMigrations, type Migration } from '../../toolkit/index.ts';

export const migrations: Record<string, Migration> = { ...identityMigrations };
