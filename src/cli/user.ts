// `rampart user add|disable|enable`: operator account management. Passwords are read from
// standard input, never from the command line.
import { Command } from 'commander';
import { HttpProblem } from '../toolkit/index.ts';
import { readStdinSecret, withIdentity } from './context.ts';

const OPERATOR = { id: null, clientIp: null };

export function userCommand(): Command {
  const user = new Command('user').description('manage user accounts');
  user
    .command('add <username>')
    .description('create a user; the password is read from standard input')
    .requiredOption('--role <role>', 'the user\'s role (admin, user, readonly, or one from RAMPART_ROLES)')
    .option('--email <email>', 'the user\'s email address')
    .action(async (username: string, options: { role: string; email?: string }) => {
      const password = await readStdinSecret();
      await withIdentity(async (identity) => {
        try {
          const created = await identity.createUser({ username, password, role: options.role, email: options.email ?? null }, OPERATOR);
          console.log(`user ${created.username} created (id ${created.id}, role ${created.role})`);
        } catch (error) {
          if (error instanceof HttpProblem) throw new Error(error.detail, { cause: error });
          throw error;
        }
      });
    });
  for (const [name, disabled] of [['disable', true], ['enable', false]] as const) {
    user
      .command(`${name} <username>`)
      .description(disabled ? 'disable a user: their tokens and sessions stop working at once' : 'enable a disabled user')
      .action(async (username: string) => {
        await withIdentity(async (identity) => {
          const found = await identity.users.findByUsername(username);
          if (found === undefined) throw new Error(`no user named ${username}`);
          await identity.setDisabled(found.id, disabled, OPERATOR);
          console.log(`user ${found.username} ${disabled ? 'disabled' : 'enabled'}`);
        });
      });
  }
  return user;
}

export function keysCommand(): Command {
  const keys = new Command('keys').description('manage access-token signing keys');
  keys
    .command('rotate')
    .description('make a new signing key; the old one verifies until its last token expires')
    .action(async () => {
      await withIdentity(async (identity) => {
        const key = await identity.keyring.rotate();
        await identity.events.record({ type: 'signing_key_rotated', detail: { kid: key.kid } });
        console.log(`new signing key ${key.kid} (${key.alg})`);
      });
    });
  return keys;
}
