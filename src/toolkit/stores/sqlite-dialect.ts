// A Kysely dialect over node:sqlite (Kysely ships none for it). The driver hands the single
// connection to one holder at a time: a transaction owns it from BEGIN to COMMIT and every
// other query queues, so two requests never interleave inside one transaction and a queued
// query never sees another's uncommitted writes. Kysely's SqliteDriver has no lock; its
// RuntimeDriver adds one for single-connection adapters, but that one waits forever.
import type { DatabaseSync } from 'node:sqlite';
import { CompiledQuery, SqliteAdapter, SqliteIntrospector, SqliteQueryCompiler } from 'kysely';
import type {
  DatabaseConnection, DatabaseIntrospector, Dialect, DialectAdapter, Driver, Kysely,
  QueryCompiler, SelectModifierNode, TransactionSettings,
} from 'kysely';
import { StoreError } from './errors.ts';
import { Mutex } from './mutex.ts';
import { NodeSqliteConnection } from './sqlite-connection.ts';

export interface NodeSqliteDialectConfig {
  /** An open database; the driver owns it from here on and closes it on destroy. */
  database: DatabaseSync;
  /** How long a query waits for the connection before failing with ERR_STORE_BUSY. */
  lockTimeoutMs: number;
  /** How long a statement waits, without blocking the event loop, for another process's write lock. */
  busyTimeoutMs: number;
  /** Prepared statements kept for reuse. */
  statementCacheSize: number;
}

class NodeSqliteAdapter extends SqliteAdapter {
  // SQLite runs DDL inside transactions, so a failed migration leaves nothing half-applied.
  override get supportsTransactionalDdl(): boolean {
    return true;
  }
  // Kysely would otherwise queue callers in its own lock, which has no deadline; our driver
  // serialises access itself (see NodeSqliteDriver), so the deadline applies.
  override get supportsMultipleConnections(): boolean {
    return true;
  }
}

class NodeSqliteQueryCompiler extends SqliteQueryCompiler {
  // SQLite has no row locks and rejects FOR UPDATE. A transaction here already holds the only
  // connection and the write lock (BEGIN IMMEDIATE), so dropping the clause keeps its meaning
  // and lets `.forUpdate()` code run unchanged on both dialects.
  protected override visitSelectModifier(node: SelectModifierNode): void {
    if (node.modifier === undefined || node.modifier === 'Distinct') super.visitSelectModifier(node);
  }
}

class NodeSqliteDriver implements Driver {
  readonly #config: NodeSqliteDialectConfig;
  readonly #mutex = new Mutex();
  readonly #connection: NodeSqliteConnection;

  constructor(config: NodeSqliteDialectConfig) {
    this.#config = config;
    this.#connection = new NodeSqliteConnection(config.database, config.statementCacheSize, config.busyTimeoutMs);
  }

  async init(): Promise<void> {
    // The database is opened (and its pragmas set) by openSqlite, so errors surface at open.
  }

  async acquireConnection(): Promise<DatabaseConnection> {
    await this.#mutex.lock(this.#config.lockTimeoutMs);
    if (!this.#config.database.isOpen) {
      this.#mutex.unlock();
      throw new StoreError('ERR_STORE_CLOSED', 'database is closed', { dependency: 'database' });
    }
    return this.#connection;
  }

  releaseConnection(): Promise<void> {
    this.#mutex.unlock();
    return Promise.resolve();
  }

  async beginTransaction(connection: DatabaseConnection, settings: TransactionSettings): Promise<void> {
    // IMMEDIATE takes the write lock up front, so another process (a CLI migration) makes us
    // wait (see NodeSqliteConnection) instead of failing mid-transaction. SQLite is always
    // serializable.
    const begin = settings.accessMode === 'read only' ? 'begin' : 'begin immediate';
    await connection.executeQuery(CompiledQuery.raw(begin));
  }

  async commitTransaction(connection: DatabaseConnection): Promise<void> {
    await connection.executeQuery(CompiledQuery.raw('commit'));
  }

  async rollbackTransaction(connection: DatabaseConnection): Promise<void> {
    // Some errors (I/O, full disk) end the transaction already; a second ROLLBACK would throw
    // and hide the original error.
    if (this.#config.database.isTransaction) await connection.executeQuery(CompiledQuery.raw('rollback'));
  }

  async savepoint(connection: DatabaseConnection, name: string): Promise<void> {
    await connection.executeQuery(CompiledQuery.raw(`savepoint ${quoteId(name)}`));
  }

  async rollbackToSavepoint(connection: DatabaseConnection, name: string): Promise<void> {
    await connection.executeQuery(CompiledQuery.raw(`rollback to ${quoteId(name)}`));
  }

  async releaseSavepoint(connection: DatabaseConnection, name: string): Promise<void> {
    await connection.executeQuery(CompiledQuery.raw(`release ${quoteId(name)}`));
  }

  async destroy(): Promise<void> {
    // Let the holder finish; if it never does, close anyway (SQLite rolls back on close).
    await this.#mutex.lock(this.#config.lockTimeoutMs).catch(() => undefined);
    if (this.#config.database.isOpen) this.#config.database.close();
    this.#mutex.unlock(); // later callers get ERR_STORE_CLOSED, not a wait
  }
}

function quoteId(name: string): string {
  return `"${name.replaceAll('"', '""')}"`;
}

export class NodeSqliteDialect implements Dialect {
  readonly #config: NodeSqliteDialectConfig;

  constructor(config: NodeSqliteDialectConfig) {
    this.#config = config;
  }

  createDriver(): Driver {
    return new NodeSqliteDriver(this.#config);
  }

  createQueryCompiler(): QueryCompiler {
    return new NodeSqliteQueryCompiler();
  }

  createAdapter(): DialectAdapter {
    return new NodeSqliteAdapter();
  }

  createIntrospector(db: Kysely<unknown>): DatabaseIntrospector {
    return new SqliteIntrospector(db);
  }
}
