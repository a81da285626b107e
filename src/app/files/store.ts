// Files, owned by the user who uploaded them. Every query carries the owner, so another
// user's file is simply not found. Storing is one transaction: the owner's row is locked, the
// quota checked against what is already stored, the file moved to its final name and its row
// written — two concurrent uploads cannot both squeeze under the quota, and a refused or
// failed upload leaves neither a row nor a file.
import { randomUUID } from 'node:crypto';
import type { Kysely } from 'kysely';
import type { FileStorage, ReceivedUpload } from '../../toolkit/index.ts';
import { newestFirst, type Position } from '../catalog/cursor.ts';
import type { FileTables } from './tables.ts';

export interface FileRecord {
  id: string;
  ownerId: string;
  name: string;
  mediaType: string;
  size: number;
  sha256: string;
  /** The name on disk; internal, never in a response. */
  storageName: string;
  createdAt: string;
}

export interface FileQuota {
  bytes: number;
  count: number;
}

type Row = FileTables['files'];

const record = (row: Row): FileRecord => ({
  id: row.id,
  ownerId: row.owner_id,
  name: row.name,
  mediaType: row.media_type,
  size: row.size,
  sha256: row.sha256,
  storageName: row.storage_name,
  createdAt: new Date(row.created_at).toISOString(),
});

export function createFiles(db: Kysely<FileTables>, storage: FileStorage, quota: FileQuota, now: () => number = Date.now) {
  const own = (ownerId: string) => db.selectFrom('files').selectAll().where('owner_id', '=', ownerId);

  return {
    /** Stores a checked upload for its owner; 'quota-exceeded' (and nothing kept) past the quota. */
    async create(ownerId: string, upload: ReceivedUpload): Promise<FileRecord | 'quota-exceeded'> {
      let stored: string | undefined;
      try {
        return await db.transaction().execute(async (trx) => {
          await trx.selectFrom('users').select('id').where('id', '=', ownerId).forUpdate().executeTakeFirst();
          const usage = await trx
            .selectFrom('files')
            .select((eb) => [eb.fn.countAll<number | string>().as('count'), eb.fn.coalesce(eb.fn.sum<number | string>('size'), eb.lit(0)).as('bytes')])
            .where('owner_id', '=', ownerId)
            .executeTakeFirstOrThrow();
          if (Number(usage.count) + 1 > quota.count || Number(usage.bytes) + upload.size > quota.bytes) return 'quota-exceeded' as const;
          stored = await upload.keep();
          const row: Row = {
            id: randomUUID(),
            owner_id: ownerId,
            name: upload.name,
            media_type: upload.mediaType,
            size: upload.size,
            sha256: upload.sha256,
            storage_name: stored,
            created_at: now(),
          };
          await trx.insertInto('files').values(row).execute();
          return record(row);
        });
      } catch (error) {
        // The row did not commit: the file it would have described must not stay either.
        if (stored !== undefined) await storage.remove(storage.pathOf(stored));
        throw error;
      } finally {
        if (stored === undefined) await upload.discard();
      }
    },

    /** One page of the owner's files, newest first, and whether more follow. */
    async list(ownerId: string, limit: number, before: Position<number> | undefined): Promise<{ items: FileRecord[]; more: boolean }> {
      const { rows, more } = await newestFirst(own(ownerId), limit, before);
      return { items: rows.map(record), more };
    },

    async byId(id: string, ownerId: string): Promise<FileRecord | undefined> {
      const row = await own(ownerId).where('id', '=', id).executeTakeFirst();
      return row && record(row);
    },

    /** Deletes the owner's file (row, then bytes); false when there is none with this id. */
    async remove(id: string, ownerId: string): Promise<boolean> {
      const row = await db.deleteFrom('files').where('id', '=', id).where('owner_id', '=', ownerId).returning('storage_name').executeTakeFirst();
      if (row === undefined) return false;
      await storage.remove(storage.pathOf(row.storage_name));
      return true;
    },
  };
}

export type Files = ReturnType<typeof createFiles>;

export function filePosition(file: FileRecord): Position<number> {
  return { key: Date.parse(file.createdAt), id: file.id };
}
