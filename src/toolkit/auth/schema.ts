// The identity tables: their migration (dialect-neutral Kysely schema builder) and their row
// types. Times are integer epoch milliseconds and flags are integers, so both dialects read
// them back the same way.
import type { Kysely } from 'kysely';
import type { Migration } from 'kysely/migration';
import type { DataKeysTable } from '../crypto/field-keyring.ts';
import { canonicalizeUsernames } from './username-conflicts.ts';

export interface UsersTable {
  id: string;
  /** Lowercased NFKC form: the unique login name. */
  username: string;
  /**
   * Sealed at rest (`f1.<kid>.…`, see FieldKeyring; plaintext only in databases not yet opened
   * since 0003). Rows returned by Users carry it decrypted.
   */
  email: string | null;
  /** blindIndex('email', normalized email): equality lookups without the plaintext. */
  email_index: string | null;
  password_hash: string;
  role: string;
  disabled: number;
  /**
   * Bumped when every login of the user is revoked (password change, disable); access tokens
   * (`ver`) and sessions carry the version they were issued under. See UserState.
   */
  token_version: number;
  created_at: number;
  updated_at: number;
}

export interface RefreshTokensTable {
  /** SHA-256 of the opaque token (256 random bits, so an unkeyed hash is enough). */
  token_hash: string;
  family_id: string;
  user_id: string;
  scope: string;
  client_id: string;
  created_at: number;
  /** When the login that started this family happened: the absolute lifetime counts from it. */
  family_created_at: number;
  /** Set when this token was exchanged for the next one; a second use is reuse. */
  used_at: number | null;
  revoked_at: number | null;
}

export interface SigningKeysTable {
  kid: string;
  alg: string;
  public_jwk: string;
  /** The private key (or HMAC secret) encrypted with a key derived from RAMPART_SECRET_KEY. */
  private_key_enc: string;
  created_at: number;
  /** When a newer key replaced it for signing; it keeps verifying until tokens it signed expire. */
  retired_at: number | null;
}

export interface SecurityEventsTable {
  id: string;
  type: string;
  at: number;
  principal_id: string | null;
  client_ip: string | null;
  /** Small JSON object with event-specific fields; never secrets. */
  detail: string;
}

export interface ApiKeysTable {
  /** The key's public id (also inside the key text), for lookup without the secret. */
  id: string;
  user_id: string;
  name: string;
  scope: string;
  /** HMAC-SHA256 of the whole key with a key derived from RAMPART_SECRET_KEY (never unkeyed). */
  secret_hmac: string;
  created_at: number;
  expires_at: number | null;
  last_used_at: number | null;
  revoked_at: number | null;
}

/** Accounts whose stored name migration 0005 could not make canonical (see username-conflicts.ts). */
export interface UsernameConflictsTable {
  user_id: string;
  username: string;
  canonical: string;
  /** 'collision' | 'not-allowed' */
  reason: string;
}

export interface IdentityTables {
  users: UsersTable;
  refresh_tokens: RefreshTokensTable;
  signing_keys: SigningKeysTable;
  security_events: SecurityEventsTable;
  api_keys: ApiKeysTable;
  rampart_data_keys: DataKeysTable;
  username_conflicts: UsernameConflictsTable;
}

export const identityMigrations: Record<string, Migration> = {
  '0001_identity': {
    async up(db: Kysely<unknown>) {
      await db.schema
        .createTable('users')
        .addColumn('id', 'text', (c) => c.primaryKey())
        .addColumn('username', 'text', (c) => c.notNull().unique())
        .addColumn('email', 'text')
        .addColumn('password_hash', 'text', (c) => c.notNull())
        .addColumn('role', 'text', (c) => c.notNull())
        .addColumn('disabled', 'integer', (c) => c.notNull().defaultTo(0))
        .addColumn('created_at', 'bigint', (c) => c.notNull())
        .addColumn('updated_at', 'bigint', (c) => c.notNull())
        .execute();
      await db.schema
        .createTable('refresh_tokens')
        .addColumn('token_hash', 'text', (c) => c.primaryKey())
        .addColumn('family_id', 'text', (c) => c.notNull())
        .addColumn('user_id', 'text', (c) => c.notNull().references('users.id').onDelete('cascade'))
        .addColumn('scope', 'text', (c) => c.notNull())
        .addColumn('client_id', 'text', (c) => c.notNull())
        .addColumn('created_at', 'bigint', (c) => c.notNull())
        .addColumn('family_created_at', 'bigint', (c) => c.notNull())
        .addColumn('used_at', 'bigint')
        .addColumn('revoked_at', 'bigint')
        .execute();
      await db.schema.createIndex('refresh_tokens_family').on('refresh_tokens').column('family_id').execute();
      await db.schema.createIndex('refresh_tokens_user').on('refresh_tokens').column('user_id').execute();
      await db.schema
        .createTable('signing_keys')
        .addColumn('kid', 'text', (c) => c.primaryKey())
        .addColumn('alg', 'text', (c) => c.notNull())
        .addColumn('public_jwk', 'text', (c) => c.notNull())
        .addColumn('private_key_enc', 'text', (c) => c.notNull())
        .addColumn('created_at', 'bigint', (c) => c.notNull())
        .addColumn('retired_at', 'bigint')
        .execute();
      await db.schema
        .createTable('security_events')
        .addColumn('id', 'text', (c) => c.primaryKey())
        .addColumn('type', 'text', (c) => c.notNull())
        .addColumn('at', 'bigint', (c) => c.notNull())
        .addColumn('principal_id', 'text')
        .addColumn('client_ip', 'text')
        .addColumn('detail', 'text', (c) => c.notNull())
        .execute();
      await db.schema.createIndex('security_events_at').on('security_events').column('at').execute();
      await db.schema.createIndex('security_events_type_at').on('security_events').columns(['type', 'at']).execute();
      await db.schema.createIndex('security_events_principal_at').on('security_events').columns(['principal_id', 'at']).execute();
    },
  },
  '0002_api_keys': {
    async up(db: Kysely<unknown>) {
      await db.schema
        .createTable('api_keys')
        .addColumn('id', 'text', (c) => c.primaryKey())
        .addColumn('user_id', 'text', (c) => c.notNull().references('users.id').onDelete('cascade'))
        .addColumn('name', 'text', (c) => c.notNull())
        .addColumn('scope', 'text', (c) => c.notNull())
        .addColumn('secret_hmac', 'text', (c) => c.notNull())
        .addColumn('created_at', 'bigint', (c) => c.notNull())
        .addColumn('expires_at', 'bigint')
        .addColumn('last_used_at', 'bigint')
        .addColumn('revoked_at', 'bigint')
        .execute();
      await db.schema.createIndex('api_keys_user').on('api_keys').column('user_id').execute();
    },
  },
  // Field encryption: the sealed data keys, and the blind index that finds a user by email
  // now that the email column holds only ciphertext. Existing plaintext emails are sealed when
  // the identity opens (the migration has no root secret).
  '0003_field_encryption': {
    async up(db: Kysely<unknown>) {
      await db.schema
        .createTable('rampart_data_keys')
        .addColumn('kid', 'text', (c) => c.primaryKey())
        .addColumn('sealed_key', 'text', (c) => c.notNull())
        .addColumn('created_at', 'bigint', (c) => c.notNull())
        .execute();
      await db.schema.createIndex('rampart_data_keys_created').on('rampart_data_keys').columns(['created_at', 'kid']).execute();
      await db.schema.alterTable('users').addColumn('email_index', 'text').execute();
      await db.schema.createIndex('users_email_index').on('users').column('email_index').execute();
    },
  },
  // Revocation by a per-user counter instead of a "revoked before" clock mark: a mark in
  // milliseconds compared with `iat` in seconds refused tokens issued in the same second.
  '0004_token_version': {
    async up(db: Kysely<unknown>) {
      await db.schema.alterTable('users').addColumn('token_version', 'integer', (c) => c.notNull().defaultTo(0)).execute();
    },
  },
  // One canonical user name (RFC 8265 UsernameCaseMapped, username.ts) for lookup, throttle and
  // events. Stored names not in that form are rewritten when that is unambiguous; accounts that
  // collide are recorded for an operator (`rampart migrate` prints them, `rampart user rename`).
  '0005_canonical_usernames': {
    async up(db: Kysely<unknown>) {
      await db.schema
        .createTable('username_conflicts')
        .addColumn('user_id', 'text', (c) => c.primaryKey().references('users.id').onDelete('cascade'))
        .addColumn('username', 'text', (c) => c.notNull())
        .addColumn('canonical', 'text', (c) => c.notNull())
        .addColumn('reason', 'text', (c) => c.notNull())
        .execute();
      await canonicalizeUsernames(db);
    },
  },
};
