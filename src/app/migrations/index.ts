// The reference service's migrations, in name order: the toolkit's identity tables first,
// then the service's own. Written with Kysely's schema builder so they run unchanged on
// node:sqlite and PostgreSQL.
import { identityMigrations, type Migration } from '../../toolkit/index.ts';
import { catalog } from './0100_catalog.ts';
import { money } from './0101_money.ts';
import { files } from './0102_files.ts';
import { webhooks } from './0103_webhooks.ts';
import { idempotencyClaims } from './0104_idempotency_claims.ts';

export const migrations: Record<string, Migration> = {
  ...identityMigrations,
  '0100_catalog': catalog,
  '0101_money': money,
  '0102_files': files,
  '0103_webhooks': webhooks,
  '0104_idempotency_claims': idempotencyClaims,
};
