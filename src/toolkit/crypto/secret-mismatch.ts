// Keys kept in the database (signing keys, data keys) are sealed under keys derived from
// RAMPART_SECRET_KEY. When they do not open, the usual cause is not tampering but a second
// instance, a teammate or a CLI command with another secret on the same database (a
// development instance generates its own secret in its data directory). AES-GCM's own
// "unable to authenticate data" says none of that, so the opening code throws this instead.
import { unseal } from './seal.ts';

export class SecretMismatchError extends Error {
  constructor(what: string, options?: { cause?: unknown }) {
    super(
      `the ${what} stored in this database were sealed under another RAMPART_SECRET_KEY (or were altered), so this instance cannot open them. ` +
        'Every instance and CLI command that uses one database needs the same RAMPART_SECRET_KEY: set it to the value the first instance used ' +
        '(a development instance keeps the one it generated in <RAMPART_DATA_DIR>/secrets.json).',
      options,
    );
    this.name = 'SecretMismatchError';
  }
}

/** `unseal` for keys stored at rest: a failure is a SecretMismatchError naming `what`. */
export function unsealStoredKey(key: Uint8Array, sealed: string, associatedData: string, what: string): Buffer {
  try {
    return unseal(key, sealed, associatedData);
  } catch (error) {
    throw new SecretMismatchError(what, { cause: error });
  }
}
