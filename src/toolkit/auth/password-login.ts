// The password check every login shares (token endpoint, session login): throttled per
// account and address, identical failures for unknown user, wrong password and disabled
// account, a dummy argon2 verify for unknown users, re-hash of weaker hashes on success.
// The login name is a username, never an email: emails are contact data that anyone may type
// at registration (they are not verified, so not unique), and a login by email would let a
// stranger who registers the victim's address break the victim's login, or learn that it exists.
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
  return async function checkPassword(username: string, password: string, clientIp: string): Promise<UsersTable> {
    try {
      await throttle.check(username, clientIp);
    } catch (error) {
      await events.record({ type: 'login_throttled', clientIp, detail: { username: attempted(username) } });
      throw error;
    }
    const user = await users.findByUsername(username);
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
