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

export class NodeSqliteConnection implements DatabaseConnection {
  readonly #db: DatabaseSync;
  readonly #cache = new Map<string, Prepared>();
  readonly #cacheSize: number;

  constructor(db: DatabaseSync, cacheSize: number) {
    this.#db = db;
    this.#cacheSize = cacheSize;
  }

  async executeQuery<R>(compiled: CompiledQuery): Promise<QueryResult<R>> {
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
