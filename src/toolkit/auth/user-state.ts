// The disabled-user and current-role check that every authenticated request makes, from the
// database: a cache of at most one second per user bounds the cost, and changes made through
// this process (disable, role change) forget the cached entry at once.
import type { Kysely } from 'kysely';
import type { IdentityTables } from './schema.ts';

const MAX_AGE_MS = 1000;
const MAX_ENTRIES = 10_000;

export interface UserState {
  /** The user's role, or undefined when the user is disabled or gone. */
  activeRole(userId: string): Promise<string | undefined>;
  forget(userId: string): void;
}

export function createUserState(db: Kysely<IdentityTables>, now: () => number): UserState {
  const cache = new Map<string, { disabled: boolean; role: string; at: number }>();
  return {
    async activeRole(userId) {
      const t = now();
      let state = cache.get(userId);
      if (state === undefined || t - state.at > MAX_AGE_MS) {
        const row = await db.selectFrom('users').select(['disabled', 'role']).where('id', '=', userId).executeTakeFirst();
        state = { disabled: row === undefined || row.disabled !== 0, role: row?.role ?? '', at: t };
        if (cache.size >= MAX_ENTRIES) cache.delete(cache.keys().next().value!);
        cache.set(userId, state);
      }
      return state.disabled ? undefined : state.role;
    },
    forget(userId) {
      cache.delete(userId);
    },
  };
}

/** Effective scopes: what the credential was granted, narrowed to what the role holds now. */
export function narrowScopes(granted: string, roleScopes: readonly string[]): string[] {
  return granted.split(' ').filter((scope) => scope !== '' && roleScopes.includes(scope));
}
