// One node:sqlite connection as Kysely sees it. Statements are prepared once and reused
// (bounded LRU), and parameters are converted to what SQLite can bind, the same way `pg`
// converts them, so application code binds the same values on both dialects.
/* eslint-disable @typescript-eslint/require-await --
   node:sqlite is synchronous; async turns its throws into the rejections Kysely expects */
import type { DatabaseSync, SQLInputValue, StatementSync } from 'node:sqlite';
import { SelectQueryNode } from 'kysely';
import type { CompiledQuery, DatabaseConnection, QueryResult } from 'kysely';
import { StoreError } from './errors.ts';

interface Prepared {
  statement: StatementSync;
  /** Statements that yield columns (SELECT, RETURNING, some PRAGMAs) are read with all(). */
  returnsRows: boolean;
}

/** Pauses between attempts while another process holds the write lock. */
const BUSY_PAUSES_MS = [5, 10, 20, 40, 80, 100];
const SQLITE_BUSY = 5;

/** SQLITE_BUSY, or one of its extended codes (the primary code is the low byte). */
export function isSqliteBusy(error: unknown): boolean {
  const errcode = (error as { errcode?: unknown } | null)?.errcode;
  return (error as { code?: unknown } | null)?.code === 'ERR_SQLITE_ERROR' && typeof errcode === 'number' && (errcode & 0xff) === SQLITE_BUSY;
}

export class NodeSqliteConnection implements DatabaseConnection {
  readonly #db: DatabaseSync;
  readonly #cache = new Map<string, Prepared>();
  readonly #cacheSize: number;
  readonly #busyTimeoutMs: number;

  constructor(db: DatabaseSync, cacheSize: number, busyTimeoutMs: number) {
    this.#db = db;
    this.#cacheSize = cacheSize;
    this.#busyTimeoutMs = busyTimeoutMs;
  }

  /**
   * Another process holding the write lock (a CLI command, a backup) makes a statement wait
   * here, in pauses that leave the event loop free — SQLite's own busy handler would sleep on
   * this thread and stall every request — and fail with SQLITE_BUSY after busyTimeoutMs.
   * Inside a transaction we already hold the lock (BEGIN IMMEDIATE), so nothing is retried.
   */
  async executeQuery<R>(compiled: CompiledQuery): Promise<QueryResult<R>> {
    for (let attempt = 0, waited = 0; ; attempt += 1) {
      try {
        return this.#execute<R>(compiled);
      } catch (error) {
        if (!isSqliteBusy(error) || this.#db.isTransaction || waited >= this.#busyTimeoutMs) throw error;
        const pause = Math.min(BUSY_PAUSES_MS[Math.min(attempt, BUSY_PAUSES_MS.length - 1)]!, this.#busyTimeoutMs - waited);
        await new Promise((resolve) => setTimeout(resolve, pause));
        waited += pause;
      }
    }
  }

  #execute<R>(compiled: CompiledQuery): QueryResult<R> {
    const { statement, returnsRows } = this.#prepare(compiled.sql);
    const parameters = bindable(compiled.parameters);
    if (returnsRows) return { rows: statement.all(...parameters) as R[] };
    const { changes, lastInsertRowid } = statement.run(...parameters);
    return { rows: [], numAffectedRows: BigInt(changes), insertId: BigInt(lastInsertRowid) };
  }

  async *streamQuery<R>(compiled: CompiledQuery): AsyncIterableIterator<QueryResult<R>> {
    if (!SelectQueryNode.is(compiled.query)) {
      throw new StoreError('ERR_STORE_INVALID_ARGUMENT', 'only SELECT queries can be streamed');
    }
    // Not from the cache: running a cached statement elsewhere would reset this iterator.
    const statement = this.#db.prepare(compiled.sql);
    for (const row of statement.iterate(...bindable(compiled.parameters))) {
      yield { rows: [row as R] };
    }
  }

  #prepare(sql: string): Prepared {
    const hit = this.#cache.get(sql);
    if (hit !== undefined) {
      // Re-insert so Map order is least-recently-used first.
      this.#cache.delete(sql);
      this.#cache.set(sql, hit);
      return hit;
    }
    const statement = this.#db.prepare(sql);
    const prepared = { statement, returnsRows: statement.columns().length > 0 };
    if (this.#cache.size >= this.#cacheSize) {
      const oldest = this.#cache.keys().next().value;
      if (oldest !== undefined) this.#cache.delete(oldest);
    }
    this.#cache.set(sql, prepared);
    return prepared;
  }
}

/**
 * node:sqlite binds null, numbers, bigints, strings and byte arrays; it throws on Date and
 * undefined, and would read a plain object in first position as *named* parameters. We map
 * them as `pg` does: undefined → NULL, boolean → 1/0, Date → ISO-8601 text, plain object →
 * JSON text. Arrays have no SQLite equivalent (pg makes them SQL arrays), so they are refused.
 */
function bindable(values: readonly unknown[]): SQLInputValue[] {
  const out = new Array<SQLInputValue>(values.length);
  for (let i = 0; i < values.length; i++) out[i] = toSqlite(values[i], i);
  return out;
}

function toSqlite(value: unknown, index: number): SQLInputValue {
  switch (typeof value) {
    case 'string':
    case 'number':
    case 'bigint':
      return value;
    case 'boolean':
      return value ? 1 : 0;
    case 'undefined':
      return null;
    case 'object':
      if (value === null || ArrayBuffer.isView(value)) return value as SQLInputValue;
      if (value instanceof Date) {
        if (Number.isNaN(value.getTime())) break;
        return value.toISOString();
      }
      if (Array.isArray(value)) break;
      return JSON.stringify(value);
    default:
      break;
  }
  throw new StoreError(
    'ERR_STORE_INVALID_ARGUMENT',
    `query parameter ${index + 1} (${Array.isArray(value) ? 'array' : typeof value}) cannot be bound in SQLite`,
  );
}
