// Where uploads live: one directory, mode 0700, outside anything served. Files are written
// to a temporary name beside their final place (same file system, so the final rename is
// atomic) and only get a final, random name once every check has passed. Names on disk are
// UUIDs without an extension: nothing the client sent ever becomes part of a path.
import { randomUUID } from 'node:crypto';
import { chmodSync, lstatSync, mkdirSync, readdirSync, unlinkSync } from 'node:fs';
import { rename, unlink } from 'node:fs/promises';
import { join, resolve } from 'node:path';

const STORED_NAME = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;
/** Exactly the names tempPath() makes; nothing else in the directory is ever taken for one. */
const TEMP_NAME = /^\.upload-[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}\.part$/;

/**
 * How old a temporary file must be before startup removes it. Another instance may share the
 * directory and be receiving a file right now: its temporary file's mtime moves with every
 * chunk written, and a request lasts at most the server's request timeout (30 s by default)
 * plus a scan, so an hour without a write means the process that wrote it is gone.
 */
export const STALE_TEMP_AGE_MS = 60 * 60 * 1000;

export interface FileStorage {
  readonly dir: string;
  /** A fresh temporary path inside the directory. */
  tempPath(): string;
  /** Moves a checked temporary file to a new random name; returns that name. */
  keep(tempPath: string): Promise<string>;
  /** The path of a stored name; throws on anything that is not one of ours. */
  pathOf(storedName: string): string;
  /** Removes a file, stored or temporary; a file already gone is not an error. */
  remove(path: string): Promise<void>;
}

export function openFileStorage(dir: string): FileStorage {
  const root = resolve(dir);
  mkdirSync(root, { recursive: true, mode: 0o700 });
  // The directory may predate us, or be a symlink planted to redirect writes: refuse both
  // a non-directory and a link, and tighten the mode of one that exists.
  const stat = lstatSync(root);
  if (!stat.isDirectory()) throw new Error(`upload storage ${root} is not a directory`);
  chmodSync(root, 0o700);
  const pathOf = (storedName: string): string => {
    if (!STORED_NAME.test(storedName)) throw new Error('not a stored file name');
    return join(root, storedName);
  };
  return {
    dir: root,
    tempPath: () => join(root, tempName()),
    async keep(tempPath) {
      const name = randomUUID();
      await rename(tempPath, pathOf(name));
      return name;
    },
    pathOf,
    async remove(path) {
      try {
        await unlink(path);
      } catch (error) {
        if ((error as NodeJS.ErrnoException).code !== 'ENOENT') throw error;
      }
    },
  };
}

const tempName = (): string => `.upload-${randomUUID()}.part`;

/**
 * Removes temporary files left by a process that died mid-upload: only regular files named
 * like tempPath()'s and unmodified for maxAgeMs. Stored files, links and anything else stay.
 * Returns how many were removed.
 */
export function removeStaleTempFiles(dir: string, maxAgeMs: number = STALE_TEMP_AGE_MS, now: number = Date.now()): number {
  let removed = 0;
  for (const name of readdirSync(dir)) {
    if (!TEMP_NAME.test(name)) continue;
    const path = join(dir, name);
    try {
      const stat = lstatSync(path);
      if (!stat.isFile() || now - stat.mtimeMs < maxAgeMs) continue;
      unlinkSync(path);
      removed++;
    } catch (error) {
      // Gone meanwhile (another instance cleaning up, or finishing): nothing to do.
      if ((error as NodeJS.ErrnoException).code !== 'ENOENT') throw error;
    }
  }
  return removed;
}
