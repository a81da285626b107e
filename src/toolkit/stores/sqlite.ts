// Opens an embedded SQLite database with the settings a web server needs, wrapped in Kysely.
import { closeSync, mkdirSync, openSync } from 'node:fs';
import { dirname } from 'node:path';
import { Kysely, sql } from 'kysely';
import type { Database } from './database.ts';
import { NodeSqliteDialect } from './sqlite-dialect.ts';
import { assertPositiveInteger } from './validate.ts';

export interface SqliteOptions {
  /** A file path, or ':memory:' for a private in-memory database. */
  filename: string;
  /**
   * How long a statement waits for another process's write lock before failing with
   * SQLITE_BUSY (default 5000 ms). The wait does not block the event loop. A server wants it
   * short (an answer of 503 soon beats a long wait).
   */
  busyTimeoutMs?: number;
  /** How long a query waits for this process's one connection (default 5000 ms). */
  queueTimeoutMs?: number;
  /** Prepared statements kept for reuse (default 200). */
  statementCacheSize?: number;
}

// Loaded when a database is opened, not when the package is imported: a static import of a
// built-in that older Node lacks fails at link time, before the entry's version check can
// say which Node is needed.
const { DatabaseSync } = process.getBuiltinModule('node:sqlite');

export function openSqlite<DB>(options: SqliteOptions): Database<DB> {
  const { filename, busyTimeoutMs = 5000, queueTimeoutMs = 5000, statementCacheSize = 200 } = options;
  assertPositiveInteger(busyTimeoutMs, 'busyTimeoutMs'); // also keeps the pragma text a plain integer
  assertPositiveInteger(queueTimeoutMs, 'queueTimeoutMs');
  assertPositiveInteger(statementCacheSize, 'statementCacheSize');
  if (filename !== ':memory:') {
    // The database holds password hashes and tokens: only this user may read it. Mode applies
    // only to what we create; an existing directory or file keeps the mode its owner chose.
    mkdirSync(dirname(filename), { recursive: true, mode: 0o700 });
    closeSync(openSync(filename, 'a', 0o600)); // SQLite gives -wal/-shm the same mode
  }
  const database = new DatabaseSync(filename);
  try {
    // WAL: readers do not block the writer. NORMAL is durable in WAL mode except on power
    // loss, where the last commits may roll back (never corrupt). Opening may wait for
    // another process (busy_timeout sleeps on this thread, which is fine at boot); after
    // that SQLite answers SQLITE_BUSY at once and the connection waits without blocking.
    database.exec(`
      pragma busy_timeout = ${busyTimeoutMs};
      pragma journal_mode = wal;
      pragma synchronous = normal;
      pragma foreign_keys = on;
      pragma busy_timeout = 0;
    `);
  } catch (error) {
    database.close();
    throw error;
  }
  const db = new Kysely<DB>({
    dialect: new NodeSqliteDialect({ database, lockTimeoutMs: queueTimeoutMs, busyTimeoutMs, statementCacheSize }),
  });
  return {
    db,
    dialect: 'sqlite',
    async ping() {
      await sql`select 1`.execute(db);
    },
    async close() {
      await db.destroy();
      // Kysely skips destroy when no query ever ran; the handle is ours to close either way.
      if (database.isOpen) database.close();
    },
  };
}
