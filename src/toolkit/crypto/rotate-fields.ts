// Re-encrypts sealed columns under the newest data key, row by row, while the application keeps
// serving. Each row is replaced only if it still holds the ciphertext that was read (compare and
// set), so a write that lands in between is never lost: the row is read again instead.
import { sql, type Kysely } from 'kysely';
import type { AnyDatabase } from '../stores/database.ts';
import type { FieldCipher } from './field-keyring.ts';

/** A column holding FieldCipher ciphertexts bound to `{ table, column, rowId: row[idColumn] }`. */
export interface EncryptedColumn {
  table: string;
  idColumn: string;
  column: string;
}

export interface RotationCount {
  table: string;
  column: string;
  /** Rows re-encrypted (or, in a dry run, that would be). */
  rotated: number;
  /** Rows whose value does not decrypt (altered, moved, unknown key): left as they are. */
  failed: number;
}

export interface RotateOptions {
  /** Count what would change without writing. */
  dryRun?: boolean;
  /** Rows read per query (default 200). */
  batchSize?: number;
}

// Ids may be text or integers; a row id is always bound into the associated data as text.
type LooseTables = Record<string, Record<string, string | number | null>>;

const IDENTIFIER = /^[a-z_][a-z0-9_]{0,62}$/;
const MAX_ATTEMPTS = 5;

export async function rotateFieldKeys(database: AnyDatabase, cipher: FieldCipher, columns: readonly EncryptedColumn[], options: RotateOptions = {}): Promise<RotationCount[]> {
  const db = database.db as unknown as Kysely<LooseTables>;
  const counts: RotationCount[] = [];
  for (const column of columns) {
    for (const name of [column.table, column.idColumn, column.column]) {
      // Names come from code, but they end up in SQL as identifiers: accept only plain ones.
      if (!IDENTIFIER.test(name)) throw new TypeError(`rotateFieldKeys: ${JSON.stringify(name)} is not a plain SQL identifier`);
    }
    counts.push(await rotateColumn(db, cipher, column, options));
  }
  return counts;
}

async function rotateColumn(db: Kysely<LooseTables>, cipher: FieldCipher, target: EncryptedColumn, options: RotateOptions): Promise<RotationCount> {
  const { table, idColumn, column } = target;
  const batchSize = options.batchSize ?? 200;
  const count: RotationCount = { table, column, rotated: 0, failed: 0 };
  let after: string | undefined;
  for (;;) {
    const rows = await db
      .selectFrom(table)
      .select([sql<string | number>`${sql.ref(idColumn)}`.as('id'), sql<string | null>`${sql.ref(column)}`.as('value')])
      .where(sql.ref(column), 'is not', null)
      .$if(after !== undefined, (q) => q.where(sql.ref(idColumn), '>', after!))
      .orderBy(sql.ref(idColumn))
      .limit(batchSize)
      .execute();
    for (const row of rows) {
      const id = String(row.id);
      const outcome = await rotateRow(db, cipher, target, id, row.value, options.dryRun === true);
      if (outcome === 'rotated') count.rotated += 1;
      else if (outcome === 'failed') count.failed += 1;
    }
    if (rows.length < batchSize) return count;
    after = String(rows[rows.length - 1]!.id);
  }
}

async function rotateRow(db: Kysely<LooseTables>, cipher: FieldCipher, target: EncryptedColumn, id: string, first: string | null, dryRun: boolean): Promise<'rotated' | 'current' | 'failed'> {
  const { table, idColumn, column } = target;
  const context = { table, column, rowId: id };
  let value = first;
  for (let attempt = 0; attempt < MAX_ATTEMPTS; attempt += 1) {
    if (value === null || !cipher.needsRotation(value)) return 'current';
    let plaintext: string;
    try {
      plaintext = await cipher.decrypt(value, context);
    } catch {
      return 'failed';
    }
    if (dryRun) return 'rotated';
    const next = await cipher.encrypt(plaintext, context);
    const result = await db
      .updateTable(table)
      .set({ [column]: next })
      .where(sql.ref(idColumn), '=', id)
      .where(sql.ref(column), '=', value)
      .executeTakeFirst();
    if (result.numUpdatedRows === 1n) return 'rotated';
    // Written (or deleted) since we read it: look again.
    const again = await db.selectFrom(table).select(sql<string | null>`${sql.ref(column)}`.as('value')).where(sql.ref(idColumn), '=', id).executeTakeFirst();
    if (again === undefined) return 'current';
    value = again.value;
  }
  return 'failed';
}
