// Field encryption at rest (envelope encryption). Random 32-byte data keys live in
// `rampart_data_keys`, each sealed under a key-encryption key derived from the root secret;
// values are sealed with AES-256-GCM under the newest data key, carry its key id, and are bound
// to their table, column and row by the associated data, so a copied ciphertext does not open.
// Instances learn of keys added elsewhere (`rampart rotate-keys`) without restarting: an
// unknown kid reloads the keys once, and the newest kid is re-read every few seconds.
import { createHmac, createSecretKey, randomBytes, type KeyObject } from 'node:crypto';
import type { Kysely } from 'kysely';
import type { AnyDatabase } from '../stores/database.ts';
import { deriveKey } from './derive.ts';
import { FieldDecryptError } from './field-errors.ts';
import { seal, unseal } from './seal.ts';
import { unsealStoredKey } from './secret-mismatch.ts';

export { FieldDecryptError, type FieldDecryptErrorCode } from './field-errors.ts';

export interface FieldContext {
  table: string;
  column: string;
  rowId: string;
}

export interface FieldCipher {
  /** Sealed under the current (newest) data key: `f1.<kid>.<base64url(iv|ct|tag)>`; AAD = table/column/rowId. */
  encrypt(plaintext: string, context: FieldContext): Promise<string>;
  /** Throws FieldDecryptError when altered, moved to another row/column, or its key is unknown even after reloading keys. */
  decrypt(ciphertext: string, context: FieldContext): Promise<string>;
  /** True when the ciphertext is not under the current key (rotation will re-encrypt it). */
  needsRotation(ciphertext: string): boolean;
  /** Deterministic keyed HMAC-SHA256 (base64url) for equality lookups; key derived per purpose from the root secret, not rotated with data keys. */
  blindIndex(purpose: string, value: string): string;
}

export interface FieldKeyring extends FieldCipher {
  /** Adds a new data key, which becomes the current one here at once (elsewhere within seconds). */
  rotate(): Promise<{ kid: string }>;
  /** Reads the data keys again from the database. */
  reload(): Promise<void>;
  /** The kid new values are sealed under. */
  currentKid(): string;
}

export interface DataKeysTable {
  kid: string;
  /** The data key sealed under deriveKey(rootSecret, 'data-keys') with the kid as associated data. */
  sealed_key: string;
  created_at: number;
}

interface KeyTables {
  rampart_data_keys: DataKeysTable;
}

export interface FieldKeyringOptions {
  database: AnyDatabase;
  rootSecret: Uint8Array;
  /** How often, at most, encrypt() checks for a newer key (default 3000 ms). */
  refreshIntervalMs?: number;
  now?: () => number;
}

const PREFIX = 'f1';
const KID_PATTERN = /^[A-Za-z0-9_-]{1,64}$/;
const PAYLOAD_PATTERN = /^[A-Za-z0-9_-]+$/;
// base64url of at least iv (12) + tag (16) bytes, and at most a generous column value.
const MIN_PAYLOAD_CHARS = 38;
const MAX_CIPHERTEXT_CHARS = 1_000_000;

/** Opens (and on first use creates) the data keys; the `rampart_data_keys` migration must have run. */
export async function openFieldKeyring(options: FieldKeyringOptions): Promise<FieldKeyring> {
  // Configuration enforces 32+ bytes in production; an empty secret is never acceptable.
  if (options.rootSecret.length === 0) throw new Error('field encryption needs a root secret (RAMPART_SECRET_KEY)');
  const db = options.database.db as unknown as Kysely<KeyTables>;
  const now = options.now ?? Date.now;
  const refreshIntervalMs = options.refreshIntervalMs ?? 3000;
  const keyEncryptionKey = deriveKey(options.rootSecret, 'data-keys');
  const indexKeys = new Map<string, KeyObject>();

  let keys = new Map<string, Buffer>();
  let current: { kid: string } | undefined;
  let lastCheck = 0;
  let loading: Promise<void> | undefined;
  let queued: Promise<void> | undefined;
  let checking: Promise<void> | undefined;

  const newestFirst = (q: ReturnType<typeof selectKeys>) => q.orderBy('created_at', 'desc').orderBy('kid', 'desc');
  function selectKeys() {
    return db.selectFrom('rampart_data_keys');
  }

  async function loadNow(): Promise<void> {
    const rows = await newestFirst(selectKeys()).selectAll().execute();
    const next = new Map<string, Buffer>();
    for (const row of rows) next.set(row.kid, unsealStoredKey(keyEncryptionKey, row.sealed_key, row.kid, 'field-encryption data keys'));
    keys = next;
    current = rows[0] === undefined ? undefined : { kid: rows[0].kid };
    lastCheck = now();
  }

  function startLoad(): Promise<void> {
    loading = loadNow().finally(() => {
      loading = undefined;
    });
    return loading;
  }

  /** A load that starts after this call; callers arriving during a load share the next one. */
  function load(): Promise<void> {
    if (loading === undefined) return startLoad();
    queued ??= loading
      .catch(() => undefined)
      .then(() => {
        queued = undefined;
        return startLoad();
      });
    return queued;
  }

  async function addKey(): Promise<{ kid: string }> {
    const kid = randomBytes(9).toString('base64url');
    const newest = await newestFirst(selectKeys()).select('created_at').limit(1).executeTakeFirst();
    // Strictly newer than every existing key, even within the same millisecond or with skewed clocks.
    const createdAt = Math.max(now(), newest === undefined ? 0 : newest.created_at + 1);
    const sealedKey = seal(keyEncryptionKey, randomBytes(32), kid);
    await db.insertInto('rampart_data_keys').values({ kid, sealed_key: sealedKey, created_at: createdAt }).execute();
    await load();
    return { kid };
  }

  /** Cheap check (one indexed row) whether another process added a newer key. */
  async function checkNewest(): Promise<void> {
    const newest = await newestFirst(selectKeys()).select('kid').limit(1).executeTakeFirst();
    lastCheck = now();
    if (newest !== undefined && newest.kid !== current?.kid) await load();
  }

  async function currentKey(): Promise<{ kid: string; key: Buffer }> {
    if (now() - lastCheck >= refreshIntervalMs) {
      checking ??= checkNewest().finally(() => {
        checking = undefined;
      });
      await checking;
    }
    if (current === undefined) await addKey();
    const kid = current!.kid;
    return { kid, key: keys.get(kid)! };
  }

  await load();
  if (current === undefined) await addKey();

  return {
    async encrypt(plaintext, context) {
      if (typeof plaintext !== 'string') throw new TypeError('encrypt() takes a string');
      const { kid, key } = await currentKey();
      const sealed = seal(key, Buffer.from(plaintext, 'utf8'), associatedData(context, kid));
      return `${PREFIX}.${kid}.${sealed.slice(sealed.indexOf('.') + 1)}`;
    },

    async decrypt(ciphertext, context) {
      const parsed = parse(ciphertext);
      if (parsed === undefined) throw new FieldDecryptError('ERR_FIELD_MALFORMED', 'not a field ciphertext');
      let key = keys.get(parsed.kid);
      if (key === undefined) {
        // A key added by another process since we loaded: read the keys once more.
        await load();
        key = keys.get(parsed.kid);
      }
      if (key === undefined) throw new FieldDecryptError('ERR_FIELD_UNKNOWN_KEY', 'the ciphertext names a key this keyring does not have');
      try {
        return unseal(key, `v1.${parsed.payload}`, associatedData(context, parsed.kid)).toString('utf8');
      } catch {
        throw new FieldDecryptError('ERR_FIELD_AUTHENTICATION', 'the ciphertext was altered or belongs to another field');
      }
    },

    needsRotation(ciphertext) {
      const parsed = parse(ciphertext);
      return parsed === undefined || parsed.kid !== current?.kid;
    },

    blindIndex(purpose, value) {
      let key = indexKeys.get(purpose);
      if (key === undefined) {
        // A KeyObject once per purpose: given a Buffer, createHmac would rebuild one per call.
        key = createSecretKey(deriveKey(options.rootSecret, `blind-index/${purpose}`));
        indexKeys.set(purpose, key);
      }
      return createHmac('sha256', key).update(value, 'utf8').digest('base64url');
    },

    rotate: addKey,
    reload: load,
    currentKid() {
      if (current === undefined) throw new Error('no data key');
      return current.kid;
    },
  };
}

/** Unambiguous encoding of where the value belongs, plus the kid its header names. */
function associatedData(context: FieldContext, kid: string): string {
  return JSON.stringify(['rampart/field/v1', context.table, context.column, context.rowId, kid]);
}

function parse(ciphertext: unknown): { kid: string; payload: string } | undefined {
  if (typeof ciphertext !== 'string' || ciphertext.length > MAX_CIPHERTEXT_CHARS) return undefined;
  const parts = ciphertext.split('.');
  if (parts.length !== 3 || parts[0] !== PREFIX) return undefined;
  const [, kid, payload] = parts as [string, string, string];
  if (!KID_PATTERN.test(kid) || payload.length < MIN_PAYLOAD_CHARS || !PAYLOAD_PATTERN.test(payload)) return undefined;
  return { kid, payload };
}
