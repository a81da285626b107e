// `rampart user add|disable|enable`: operator account management. Passwords are read from
// standard input, never from the command line.
import { Command } from 'commander';
import { describeUsernameConflicts, HttpProblem, type Identity } from '../toolkit/index.ts';
import { readStdinSecret, withIdentity } from './context.ts';

const OPERATOR = { id: null, clientIp: null };

/** withIdentity, with a refusal (an HttpProblem: bad name, weak password…) printed as its detail. */
function asOperator(work: (identity: Identity) => Promise<void>): Promise<void> {
  return withIdentity(async (identity) => {
    try {
      await work(identity);
    } catch (error) {
      if (error instanceof HttpProblem) throw new Error(error.detail, { cause: error });
      throw error;
    }
  });
}

export function userCommand(): Command {
  const user = new Command('user').description('manage user accounts');
  user
    .command('add <username>')
    .description('create a user; the password is read from standard input')
    .requiredOption('--role <role>', 'the user\'s role (admin, user, readonly, or one from RAMPART_ROLES)')
    .option('--email <email>', 'the user\'s email address')
    .action(async (username: string, options: { role: string; email?: string }) => {
      const password = await readStdinSecret();
      await asOperator(async (identity) => {
        const created = await identity.createUser({ username, password, role: options.role, email: options.email ?? null }, OPERATOR);
        console.log(`user ${created.username} created (id ${created.id}, role ${created.role})`);
      });
    });
  user
    .command('rename <id> <new-name>')
    .description('give an account a new name (resolves a user-name conflict; the account keeps its id, password and data)')
    .action(async (id: string, newName: string) => {
      await asOperator(async (identity) => {
        const renamed = await identity.renameUser(id, newName, OPERATOR);
        if (renamed === undefined) throw new Error(`no user with id ${id}`);
        console.log(`user ${id} renamed from ${JSON.stringify(renamed.from)} to ${renamed.to}`);
      });
    });
  user
    .command('conflicts')
    .description('list accounts whose stored names collide under the canonical user-name form')
    .action(async () => {
      await withIdentity(async (identity) => {
        console.log(describeUsernameConflicts(await identity.usernameConflicts()));
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
