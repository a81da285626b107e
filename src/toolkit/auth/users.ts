// Accounts: creation with the password policy, lookups, disabling, password changes. The
// stored hash never leaves this module except to the hasher; public shapes omit it. Emails are
// sealed at rest (bound to their row) and found through a keyed blind index; rows leave this
// module with the email decrypted.
import { randomUUID } from 'node:crypto';
import type { Kysely } from 'kysely';
import type { FieldCipher, FieldContext } from '../crypto/field-keyring.ts';
import type { EncryptedColumn } from '../crypto/rotate-fields.ts';
import { HttpProblem } from '../errors/problem.ts';
import { checkPasswordPolicy, type PasswordHasher } from './passwords/index.ts';
import { DEFAULT_ROLES, isRole, type Roles } from './roles.ts';
import type { IdentityTables, UsersTable } from './schema.ts';
import { canonicalUsername, validUsername } from './username.ts';

export interface PublicUser {
  id: string;
  username: string;
  email: string | null;
  role: string;
  createdAt: string;
}

/** The one form a username is stored and compared in (RFC 8265 UsernameCaseMapped; see username.ts). */
export const normalizeUsername = canonicalUsername;

/** The one form an email is stored, indexed and compared in. */
export function normalizeEmail(email: string): string {
  return email.normalize('NFKC').trim().toLowerCase();
}

/** Where users' emails are sealed: the table/column/row every ciphertext is bound to. */
export const USER_EMAIL_COLUMN = { table: 'users', idColumn: 'id', column: 'email' } as const;
/** The identity's sealed columns, for rotateFieldKeys (an app adds its own). */
export const identityEncryptedColumns: readonly EncryptedColumn[] = [USER_EMAIL_COLUMN];
const emailContext = (rowId: string): FieldContext => ({ table: USER_EMAIL_COLUMN.table, column: USER_EMAIL_COLUMN.column, rowId });
/** A lookup that matches more accounts than this by one email is refused, not scanned. */
const MAX_EMAIL_MATCHES = 5;

const INVALID_USERNAME = new HttpProblem(400, { slug: 'invalid-username', title: 'Invalid username', detail: 'A username has 3 to 64 characters: letters a-z, digits, and . _ - (not first).' });
const USERNAME_TAKEN = new HttpProblem(409, { slug: 'username-taken', title: 'Username taken', detail: 'That username is already registered.' });

export function toPublicUser(row: UsersTable): PublicUser {
  return { id: row.id, username: row.username, email: row.email, role: row.role, createdAt: new Date(row.created_at).toISOString() };
}

export interface NewUser {
  username: string;
  password: string;
  role: string;
  email?: string | null;
}

export function createUsers(options: { db: Kysely<IdentityTables>; hasher: PasswordHasher; cipher: FieldCipher; roles?: Roles; now?: () => number }) {
  const { db, hasher, cipher } = options;
  const now = options.now ?? Date.now;

  /** The row as callers see it: email decrypted (throws FieldDecryptError when it does not open). */
  async function open(row: UsersTable): Promise<UsersTable> {
    if (row.email === null) return row;
    return { ...row, email: await cipher.decrypt(row.email, emailContext(row.id)) };
  }
  const openRow = (row: UsersTable | undefined): Promise<UsersTable | undefined> => (row === undefined ? Promise.resolve(undefined) : open(row));

  function passwordProblem(password: string, username: string, email: string | null): HttpProblem | undefined {
    const result = checkPasswordPolicy(password, { username, email });
    if (result.ok) return undefined;
    return new HttpProblem(400, {
      slug: 'weak-password',
      title: 'Password not accepted',
      detail: 'The password does not meet the password policy; `reasons` says why.',
      extensions: { reasons: result.reasons },
    });
  }

  return {
    async create(input: NewUser): Promise<UsersTable> {
      const username = validUsername(input.username);
      if (username === undefined) throw INVALID_USERNAME;
      if (!isRole(input.role, options.roles ?? DEFAULT_ROLES)) throw new HttpProblem(400, { slug: 'invalid-role', title: 'Invalid role', detail: 'The role is not one of the configured roles.' });
      const email = input.email == null ? null : normalizeEmail(input.email);
      const weak = passwordProblem(input.password, username, email);
      if (weak) throw weak;
      const t = now();
      const id = randomUUID();
      const sealed = email === null ? { email: null, email_index: null } : { email: await cipher.encrypt(email, emailContext(id)), email_index: cipher.blindIndex('email', email) };
      const row: UsersTable = { id, username, ...sealed, password_hash: await hasher.hash(input.password), role: input.role, disabled: 0, token_version: 0, created_at: t, updated_at: t };
      const inserted = await db.insertInto('users').values(row).onConflict((c) => c.column('username').doNothing()).executeTakeFirst();
      if (inserted.numInsertedOrUpdatedRows !== 1n) throw USERNAME_TAKEN;
      return { ...row, email };
    },

    /** The account a login name reaches: only through its canonical form, and only when that is an allowed name. */
    async findByUsername(username: string): Promise<UsersTable | undefined> {
      const canonical = validUsername(username);
      if (canonical === undefined) return undefined;
      return openRow(await db.selectFrom('users').selectAll().where('username', '=', canonical).executeTakeFirst());
    },

    /** Accounts registered with this email (emails are not unique), through the blind index. */
    async findByEmail(email: string): Promise<UsersTable[]> {
      const rows = await db.selectFrom('users').selectAll().where('email_index', '=', cipher.blindIndex('email', normalizeEmail(email))).limit(MAX_EMAIL_MATCHES + 1).execute();
      if (rows.length > MAX_EMAIL_MATCHES) return [];
      const opened = await Promise.all(rows.map(open));
      // The index is a keyed hash: confirm on the decrypted value all the same.
      return opened.filter((row) => row.email === normalizeEmail(email));
    },

    async findById(id: string): Promise<UsersTable | undefined> {
      return openRow(await db.selectFrom('users').selectAll().where('id', '=', id).executeTakeFirst());
    },

    /**
     * Seals emails still stored in plaintext (databases from before field encryption). Each row
     * is updated only if unchanged since it was read; safe to run at every start.
     */
    async sealLegacyEmails(): Promise<number> {
      const rows = await db.selectFrom('users').select(['id', 'email']).where('email', 'is not', null).where('email_index', 'is', null).execute();
      let sealed = 0;
      for (const row of rows) {
        const plain = normalizeEmail(row.email!);
        const result = await db
          .updateTable('users')
          .set({ email: await cipher.encrypt(plain, emailContext(row.id)), email_index: cipher.blindIndex('email', plain) })
          .where('id', '=', row.id)
          .where('email', '=', row.email)
          .where('email_index', 'is', null)
          .executeTakeFirst();
        if (result.numUpdatedRows === 1n) sealed += 1;
      }
      return sealed;
    },

    /** Disabling also revokes every login (the token version moves on), so enabling revives none. */
    async setDisabled(id: string, disabled: boolean): Promise<boolean> {
      const result = await db
        .updateTable('users')
        .set((eb) => ({ disabled: disabled ? 1 : 0, updated_at: now(), ...(disabled ? { token_version: eb('token_version', '+', 1) } : {}) }))
        .where('id', '=', id)
        .executeTakeFirst();
      return result.numUpdatedRows === 1n;
    },

    /** Gives an account a new (canonical) name, e.g. to resolve a conflict from migration 0005. */
    async rename(id: string, newName: string): Promise<{ from: string; to: string } | undefined> {
      const to = validUsername(newName);
      if (to === undefined) throw INVALID_USERNAME;
      const before = await db.selectFrom('users').select('username').where('id', '=', id).executeTakeFirst();
      if (before === undefined) return undefined;
      const holder = await db.selectFrom('users').select('id').where('username', '=', to).executeTakeFirst();
      if (holder !== undefined && holder.id !== id) throw USERNAME_TAKEN;
      await db.transaction().execute(async (trx) => {
        await trx.updateTable('users').set({ username: to, updated_at: now() }).where('id', '=', id).execute();
        await trx.deleteFrom('username_conflicts').where('user_id', '=', id).execute();
      });
      return { from: before.username, to };
    },

    async setRole(id: string, role: string): Promise<boolean> {
      const result = await db.updateTable('users').set({ role, updated_at: now() }).where('id', '=', id).executeTakeFirst();
      return result.numUpdatedRows === 1n;
    },

    /** A page of users in username order, after the given username (keyset pagination). */
    async list(limit: number, after: string | undefined): Promise<{ users: UsersTable[]; next: string | null }> {
      const rows = await db
        .selectFrom('users')
        .selectAll()
        .$if(after !== undefined, (q) => q.where('username', '>', after!))
        .orderBy('username')
        .limit(limit + 1)
        .execute();
      const page = await Promise.all(rows.slice(0, limit).map(open));
      return { users: page, next: rows.length > limit ? page[page.length - 1]!.username : null };
    },

    /** `revokeLogins`: a password change, after which no earlier token or session works (a re-hash keeps them). */
    async setPasswordHash(id: string, passwordHash: string, revokeLogins = false): Promise<void> {
      await db
        .updateTable('users')
        .set((eb) => ({ password_hash: passwordHash, updated_at: now(), ...(revokeLogins ? { token_version: eb('token_version', '+', 1) } : {}) }))
        .where('id', '=', id)
        .execute();
    },

    passwordProblem,
  };
}

export type Users = ReturnType<typeof createUsers>;
