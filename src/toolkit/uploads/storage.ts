// Where uploads live: one directory, mode 0700, outside anything served. Files are written
// to a temporary name beside their final place (same file system, so the final rename is
// atomic) and only get a final, random name once every check has passed. Names on disk are
// UUIDs without an extension: nothing the client sent ever becomes part of a path.
import { randomUUID } from 'node:crypto';
import { chmodSync, lstatSync, mkdirSync } from 'node:fs';
import { rename, unlink } from 'node:fs/promises';
import { join, resolve } from 'node:path';

const STORED_NAME = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;

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
    tempPath: () => join(root, `.upload-${randomUUID()}.part`),
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
