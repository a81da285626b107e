// The password check every login shares (token endpoint, session login): throttled per
// account and address, identical failures for unknown user, wrong password and disabled
// account, a dummy argon2 verify for unknown users, re-hash of weaker hashes on success.
// The login name is a username or, when it contains '@', an email found by its blind index.
import type { SecurityEvents } from '../events/index.ts';
import { BAD_CREDENTIALS } from './oauth-error.ts';
import type { PasswordHasher } from './passwords/index.ts';
import type { UsersTable } from './schema.ts';
import type { LoginThrottle } from './throttle.ts';
import type { Users } from './users.ts';
import { validUsername } from './username.ts';

/**
 * The canonical name, as the throttle and the lookup see it. Only names that could be
 * usernames are recorded: people type passwords into the wrong field.
 */
function attempted(username: string): string {
  return validUsername(username) ?? '(not a username)';
}

export function createPasswordLogin(deps: { users: Users; hasher: PasswordHasher; throttle: LoginThrottle; events: SecurityEvents }) {
  const { users, hasher, throttle, events } = deps;
  /**
   * The account an email names, when exactly one does (emails are not unique: an email shared
   * by several accounts cannot log in, their usernames can). The account lock then counts
   * against its username, so naming it by email does not double the attempts allowed.
   */
  async function byEmail(email: string): Promise<{ user: UsersTable | undefined; key: string }> {
    const matches = await users.findByEmail(email);
    return matches.length === 1 ? { user: matches[0], key: matches[0]!.username } : { user: undefined, key: email };
  }

  return async function checkPassword(login: string, password: string, clientIp: string): Promise<UsersTable> {
    const resolved = typeof login === 'string' && login.includes('@') ? await byEmail(login) : undefined;
    const username = resolved?.key ?? login;
    try {
      await throttle.check(username, clientIp);
    } catch (error) {
      await events.record({ type: 'login_throttled', clientIp, detail: { username: attempted(username) } });
      throw error;
    }
    const user = resolved === undefined ? await users.findByUsername(username) : resolved.user;
    const valid = user === undefined ? await hasher.verifyDummy(password) : await hasher.verify(user.password_hash, password);
    if (user === undefined || !valid || user.disabled !== 0) {
      const { locked } = await throttle.fail(username, clientIp);
      const principalId = user?.id ?? null;
      await events.record({ type: 'login_failed', principalId, clientIp, detail: { username: attempted(username) } });
      if (locked) await events.record({ type: 'account_locked', principalId, clientIp, detail: { username: attempted(username) } });
      throw BAD_CREDENTIALS();
    }
    await throttle.succeed(username);
    if (hasher.needsRehash(user.password_hash)) await users.setPasswordHash(user.id, await hasher.hash(password));
    return user;
  };
}
