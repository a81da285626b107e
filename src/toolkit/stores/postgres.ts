// PostgreSQL through a bounded `pg` pool. The pool is lazy: nothing connects until the
// first query, so call ping() at boot to fail fast on a wrong URL.
import { Kysely, PostgresDialect, sql } from 'kysely';
import { Pool, TypeOverrides } from 'pg';
import type { Database } from './database.ts';
import { StoreError } from './errors.ts';
import { redactUrl } from './url.ts';
import { assertPositiveInteger } from './validate.ts';

export interface PostgresOptions {
  /** postgres:// or postgresql:// connection URL. */
  url: string;
  /** Most connections this process opens (default 10). */
  maxConnections?: number;
  /** The server cancels any statement running longer (default 10000 ms). */
  statementTimeoutMs?: number;
  /** Waiting for a free pooled connection or a new one fails after this (default 5000 ms). */
  connectionTimeoutMs?: number;
  /** Errors on idle pooled connections (server restart, network cut), e.g. for logging. */
  onError?: (error: Error) => void;
}

const INT8_OID = 20;

// pg returns int8 (bigint, count(*)) as text; SQLite returns numbers. Numbers on both keep
// application code dialect-neutral; values beyond 2^53 fail loudly, as node:sqlite does.
function parseInt8(text: string): number {
  const n = Number(text);
  if (!Number.isSafeInteger(n)) {
    throw new StoreError('ERR_STORE_INVALID_ARGUMENT', 'int8 value exceeds Number.MAX_SAFE_INTEGER');
  }
  return n;
}

export function openPostgres<DB>(options: PostgresOptions): Database<DB> {
  const { url, maxConnections = 10, statementTimeoutMs = 10_000, connectionTimeoutMs = 5000, onError } = options;
  assertPositiveInteger(maxConnections, 'maxConnections');
  assertPositiveInteger(statementTimeoutMs, 'statementTimeoutMs');
  assertPositiveInteger(connectionTimeoutMs, 'connectionTimeoutMs');
  // Per-pool overrides: the global pg.types would change parsing for every other pg user.
  const types = new TypeOverrides();
  types.setTypeParser(INT8_OID, 'text', parseInt8);
  const pool = new Pool({
    connectionString: url,
    max: maxConnections,
    statement_timeout: statementTimeoutMs,
    connectionTimeoutMillis: connectionTimeoutMs,
    application_name: 'rampart',
    types,
  });
  // An idle client that loses its server emits 'error' on the pool; unhandled, it would
  // crash the process. The next query gets a fresh connection or a rejected promise.
  pool.on('error', (error) => {
    onError?.(error);
  });
  // A client checked out of the pool (inside a transaction, between two statements) has no
  // 'error' listener of the pool's: a server that dies then would crash the process with an
  // unhandled 'error'. Each client gets its own; the statement in flight fails on its own, and
  // the broken client is discarded when released.
  pool.on('connect', (client) => {
    client.on('error', () => undefined);
  });
  const db = new Kysely<DB>({ dialect: new PostgresDialect({ pool }) });
  const where = redactUrl(url);
  let closed = false;
  return {
    db,
    dialect: 'postgres',
    async ping() {
      try {
        await sql`select 1`.execute(db);
      } catch (error) {
        throw new StoreError('ERR_STORE_UNAVAILABLE', `postgres at ${where} did not answer`, { cause: error, dependency: 'database' });
      }
    },
    async close() {
      if (closed) return;
      closed = true;
      await db.destroy();
      // Kysely ends the pool only if a query ever ran.
      if (!pool.ended) await pool.end();
    },
  };
}
