// Opaque keyset cursors: the sort key of the last row of a page, as base64url JSON. Clients
// only hand them back; anything that is not a cursor this API issued is a 400 problem.
import { sql, type SelectQueryBuilder, type SqlBool } from 'kysely';
import { HttpProblem, RESOURCE_ID_PATTERN } from '../../toolkit/index.ts';

export const BAD_CURSOR = new HttpProblem(400, { slug: 'invalid-cursor', title: 'Invalid cursor', detail: 'The cursor is not one this API issued.' });

const BASE64URL = /^[A-Za-z0-9_-]+$/;
const ID = new RegExp(RESOURCE_ID_PATTERN);

export interface Position<K extends string | number> {
  key: K;
  id: string;
}

/**
 * One page of an owned list, newest first: rows of `query` (a single table with `created_at`
 * and `id` columns) strictly older than `before`, one extra row fetched to tell whether more
 * follow. Values are bound; only the two fixed column names are written into the SQL.
 */
export async function newestFirst<DB, TB extends keyof DB, R>(
  query: SelectQueryBuilder<DB, TB, R>,
  limit: number,
  before: Position<number> | undefined,
): Promise<{ rows: R[]; more: boolean }> {
  const after = before === undefined ? query : query.where(sql<SqlBool>`(created_at < ${before.key} or (created_at = ${before.key} and id < ${before.id}))`);
  return pageOf(await newestFirstQuery(after, limit).execute(), limit);
}

/** The page query: newest first, one row more than the page holds. */
export function newestFirstQuery<DB, TB extends keyof DB, R>(query: SelectQueryBuilder<DB, TB, R>, limit: number): SelectQueryBuilder<DB, TB, R> {
  return query.orderBy(sql`created_at`, 'desc').orderBy(sql`id`, 'desc').limit(limit + 1);
}

/** The page and whether more rows follow it, from the `limit + 1` rows fetched. */
export function pageOf<R>(rows: R[], limit: number): { rows: R[]; more: boolean } {
  return { rows: rows.slice(0, limit), more: rows.length > limit };
}

export function encodeCursor(position: Position<string | number>): string {
  return Buffer.from(JSON.stringify([position.key, position.id])).toString('base64url');
}

export function decodeCursor(cursor: string, keyType: 'string'): Position<string>;
export function decodeCursor(cursor: string, keyType: 'number'): Position<number>;
export function decodeCursor(cursor: string, keyType: 'string' | 'number'): Position<string | number> {
  if (!BASE64URL.test(cursor)) throw BAD_CURSOR;
  let value: unknown;
  try {
    value = JSON.parse(Buffer.from(cursor, 'base64url').toString('utf8'));
  } catch {
    throw BAD_CURSOR;
  }
  if (!Array.isArray(value) || value.length !== 2) throw BAD_CURSOR;
  const [key, id] = value as unknown[];
  const keyOk = keyType === 'number' ? Number.isSafeInteger(key) : typeof key === 'string';
  if (!keyOk || typeof id !== 'string' || !ID.test(id)) throw BAD_CURSOR;
  return { key: key as string | number, id };
}
