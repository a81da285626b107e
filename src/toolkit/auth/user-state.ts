// The disabled-user, current-role and token-version check that every authenticated request
// makes, from the database: a cache of at most one second per user bounds the cost, and changes
// made through this process (disable, role change, revocation) forget the cached entry at once.
import type { Kysely } from 'kysely';
import { bindParameters } from '../stores/bind.ts';
import type { IdentityTables } from './schema.ts';

const MAX_AGE_MS = 1000;
const MAX_ENTRIES = 10_000;

export interface ActiveUser {
  username: string;
  role: string;
  /**
   * Bumped by every "revoke all of this user's logins" (password change, disable). A token or
   * session carries the version it was issued under and is valid only while it is still the
   * current one: a counter, never a clock, so nothing issued in the same millisecond (or
   * second) as a revocation is judged by the time it was made.
   */
  tokenVersion: number;
}

export interface UserState {
  /** The user's role and token version, or undefined when the user is disabled or gone. */
  active(userId: string): Promise<ActiveUser | undefined>;
  forget(userId: string): void;
}

export function createUserState(db: Kysely<IdentityTables>, now: () => number): UserState {
  const cache = new Map<string, { user: ActiveUser | undefined; at: number }>();
  // Runs on most authenticated requests: compiled once, each call binds its user id (building
  // and compiling the query through Kysely every time was a few µs of every request).
  const lookup = db.selectFrom('users').select(['disabled', 'username', 'role', 'token_version']).where('id', '=', '').compile();
  return {
    async active(userId) {
      const t = now();
      let state = cache.get(userId);
      if (state === undefined || t - state.at > MAX_AGE_MS) {
        const [row] = (await db.executeQuery(bindParameters(lookup, [userId]))).rows;
        const user = row === undefined || row.disabled !== 0 ? undefined : { username: row.username, role: row.role, tokenVersion: row.token_version };
        state = { user, at: t };
        if (cache.size >= MAX_ENTRIES) cache.delete(cache.keys().next().value!);
        cache.set(userId, state);
      }
      return state.user;
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
