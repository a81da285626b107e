// Stored user names that are not in the canonical form (username.ts), from databases written
// before it or by other code. Migration 0005 rewrites each one whose canonical form is an
// allowed name that no other account maps to; the rest — two accounts that collide under the
// canonical form, or a name with no allowed canonical form — cannot be decided by a program
// (which account is "the" bob?), so they are recorded in `username_conflicts` for an operator.
// Until renamed, such an account cannot log in by name (no spelling reaches it), which fails
// closed: nobody gets another account's lock, events or password attempts.
import type { Kysely } from 'kysely';
import type { IdentityTables } from './schema.ts';
import { canonicalUsername, validUsername } from './username.ts';

export interface UsernameConflict {
  userId: string;
  /** The name as stored. */
  username: string;
  /** Its canonical form (not an allowed name when `reason` is 'not-allowed'). */
  canonical: string;
  reason: 'collision' | 'not-allowed';
}

/** The migration's work: rewrite what can be rewritten, record the rest. Returns what was recorded. */
export async function canonicalizeUsernames(db: Kysely<IdentityTables>): Promise<UsernameConflict[]> {
  const rows = await db.selectFrom('users').select(['id', 'username']).execute();
  const byCanonical = new Map<string, { id: string; username: string }[]>();
  for (const row of rows) {
    const key = canonicalUsername(row.username);
    byCanonical.set(key, [...(byCanonical.get(key) ?? []), row]);
  }
  const conflicts: UsernameConflict[] = [];
  for (const [canonical, holders] of byCanonical) {
    const allowed = validUsername(canonical) === canonical;
    // The holder already in canonical form keeps its name; the others collide with it.
    const owner = holders.find((row) => row.username === canonical && allowed);
    const others = holders.filter((row) => row !== owner);
    if (owner === undefined && others.length === 1 && allowed) {
      await db.updateTable('users').set({ username: canonical }).where('id', '=', others[0]!.id).execute();
      continue;
    }
    for (const row of others) conflicts.push({ userId: row.id, username: row.username, canonical, reason: allowed ? 'collision' : 'not-allowed' });
  }
  if (conflicts.length > 0) {
    await db.insertInto('username_conflicts').values(conflicts.map((c) => ({ user_id: c.userId, username: c.username, canonical: c.canonical, reason: c.reason }))).execute();
  }
  return conflicts;
}

/** The conflicts still open (an account renamed since is no longer one). */
export async function listUsernameConflicts(db: Kysely<IdentityTables>): Promise<UsernameConflict[]> {
  const rows = await db.selectFrom('username_conflicts').selectAll().orderBy('canonical').orderBy('user_id').execute();
  return rows.map((row) => ({ userId: row.user_id, username: row.username, canonical: row.canonical, reason: row.reason as UsernameConflict['reason'] }));
}

/** What `rampart migrate` and `rampart user conflicts` print: each account, and how to resolve it. */
export function describeUsernameConflicts(conflicts: readonly UsernameConflict[]): string {
  if (conflicts.length === 0) return 'user names: every account has its canonical name';
  const lines = conflicts.map((c) =>
    c.reason === 'collision'
      ? `  ${c.userId}  ${JSON.stringify(c.username)} collides with another account as "${c.canonical}"`
      : `  ${c.userId}  ${JSON.stringify(c.username)} has no allowed canonical form`,
  );
  return [
    `user names: ${conflicts.length} account(s) cannot log in by name until renamed (RFC 8265 canonical form, see docs/identity.md, "User names"):`,
    ...lines,
    'Resolve each with: rampart user rename <id> <new-name>   (the account keeps its id, password, keys and data;',
    'tell its owner the new name). Until then no spelling of the name reaches that account.',
  ].join('\n');
}
