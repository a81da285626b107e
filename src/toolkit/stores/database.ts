// The one entry point for SQL: configuration picks the dialect, the rest of the code only
// sees a Kysely instance. No URL → SQLite file in dataDir; postgres:// → PostgreSQL.
import { join } from 'node:path';
import type { Kysely } from 'kysely';
import { openPostgres } from './postgres.ts';
import type { PostgresOptions } from './postgres.ts';
import { openSqlite, type SqliteOptions } from './sqlite.ts';
import { parseUrl, unsupportedScheme } from './url.ts';

export type DatabaseDialect = 'sqlite' | 'postgres';

export interface Database<DB> {
  readonly db: Kysely<DB>;
  readonly dialect: DatabaseDialect;
  /** Resolves when the database answers a trivial query; use at boot and in health checks. */
  ping(): Promise<void>;
  /** Waits for the running query or transaction, then releases every connection. */
  close(): Promise<void>;
}

/**
 * A database of any schema: what the toolkit takes where it reads and writes only its own
 * tables (identity, field keys), so a user's typed `Database<MyTables>` is accepted as it is.
 */
// eslint-disable-next-line @typescript-eslint/no-explicit-any -- Kysely<DB> is invariant in DB: no other type accepts every Database<DB>.
export type AnyDatabase = Database<any>;

export interface OpenDatabaseOptions {
  /** postgres:// or postgresql:// for PostgreSQL; sqlite::memory: for a throwaway database. */
  databaseUrl?: string | undefined;
  /** Where the SQLite file (rampart.db) lives; created with mode 0700 if missing. */
  dataDir: string;
  /** Pool and timeout settings when the URL selects PostgreSQL. */
  postgres?: Omit<PostgresOptions, 'url'>;
  /** Lock and timeout settings when SQLite is used. */
  sqlite?: Omit<SqliteOptions, 'filename'>;
}

const SUPPORTED = ['postgres:', 'postgresql:', 'sqlite::memory:'] as const;

export function openDatabase<DB>(options: OpenDatabaseOptions): Database<DB> {
  const { databaseUrl, dataDir } = options;
  if (databaseUrl === undefined || databaseUrl === '') {
    return openSqlite<DB>({ ...options.sqlite, filename: join(dataDir, 'rampart.db') });
  }
  if (databaseUrl === 'sqlite::memory:') return openSqlite<DB>({ ...options.sqlite, filename: ':memory:' });
  const parsed = parseUrl(databaseUrl, 'database URL');
  if (parsed.protocol === 'postgres:' || parsed.protocol === 'postgresql:') {
    return openPostgres<DB>({ ...options.postgres, url: databaseUrl });
  }
  throw unsupportedScheme('database URL', parsed, SUPPORTED);
}
