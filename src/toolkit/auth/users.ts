// Accounts: creation with the password policy, lookups, disabling, password changes. The
// stored hash never leaves this module except to the hasher; public shapes omit it.
import { randomUUID } from 'node:crypto';
import type { Kysely } from 'kysely';
import { HttpProblem } from '../errors/problem.ts';
import { checkPasswordPolicy, type PasswordHasher } from './passwords/index.ts';
import { DEFAULT_ROLES, isRole, type Roles } from './roles.ts';
import type { IdentityTables, UsersTable } from './schema.ts';

export interface PublicUser {
  id: string;
  username: string;
  email: string | null;
  role: string;
  createdAt: string;
}

export const USERNAME_PATTERN = /^[a-z0-9][a-z0-9._-]{2,63}$/;

/** The one form a username is stored and compared in. */
export function normalizeUsername(username: string): string {
  return username.normalize('NFKC').trim().toLowerCase();
}

export function toPublicUser(row: UsersTable): PublicUser {
  return { id: row.id, username: row.username, email: row.email, role: row.role, createdAt: new Date(row.created_at).toISOString() };
}

export interface NewUser {
  username: string;
  password: string;
  role: string;
  email?: string | null;
}

export function createUsers(options: { db: Kysely<IdentityTables>; hasher: PasswordHasher; roles?: Roles; now?: () => number }) {
  const { db, hasher } = options;
  const now = options.now ?? Date.now;

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
      const username = normalizeUsername(input.username);
      if (!USERNAME_PATTERN.test(username)) {
        throw new HttpProblem(400, { slug: 'invalid-username', title: 'Invalid username', detail: 'A username has 3 to 64 characters: letters a-z, digits, and . _ - (not first).' });
      }
      if (!isRole(input.role, options.roles ?? DEFAULT_ROLES)) throw new HttpProblem(400, { slug: 'invalid-role', title: 'Invalid role', detail: 'The role is not one of the configured roles.' });
      const email = input.email?.normalize('NFKC').trim().toLowerCase() ?? null;
      const weak = passwordProblem(input.password, username, email);
      if (weak) throw weak;
      const t = now();
      const row: UsersTable = { id: randomUUID(), username, email, password_hash: await hasher.hash(input.password), role: input.role, disabled: 0, created_at: t, updated_at: t };
      const inserted = await db.insertInto('users').values(row).onConflict((c) => c.column('username').doNothing()).executeTakeFirst();
      if (inserted.numInsertedOrUpdatedRows !== 1n) {
        throw new HttpProblem(409, { slug: 'username-taken', title: 'Username taken', detail: 'That username is already registered.' });
      }
      return row;
    },

    findByUsername(username: string): Promise<UsersTable | undefined> {
      return db.selectFrom('users').selectAll().where('username', '=', normalizeUsername(username)).executeTakeFirst();
    },

    findById(id: string): Promise<UsersTable | undefined> {
      return db.selectFrom('users').selectAll().where('id', '=', id).executeTakeFirst();
    },

    async setDisabled(id: string, disabled: boolean): Promise<boolean> {
      const result = await db.updateTable('users').set({ disabled: disabled ? 1 : 0, updated_at: now() }).where('id', '=', id).executeTakeFirst();
      return result.numUpdatedRows === 1n;
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
      const page = rows.slice(0, limit);
      return { users: page, next: rows.length > limit ? page[page.length - 1]!.username : null };
    },

    async setPasswordHash(id: string, passwordHash: string): Promise<void> {
      await db.updateTable('users').set({ password_hash: passwordHash, updated_at: now() }).where('id', '=', id).execute();
    },

    passwordProblem,
  };
}

export type Users = ReturnType<typeof createUsers>;
