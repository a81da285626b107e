// The `rampart` command, loaded by main.ts once the Node version is known to fit. Errors are
// one clear message and a non-zero exit, never a stack: 1 = refused (configuration, boot), 2 = usage.
import { Command, CommanderError } from 'commander';
import { readFileSync } from 'node:fs';
import { serveCommand } from './serve.ts';
import { migrateCommand } from './migrate.ts';
import { configCommand } from './config.ts';
import { keysCommand, userCommand } from './user.ts';
import { routesCommand } from './routes.ts';
import { seedCommand } from './seed.ts';
import { rotateKeysCommand } from './rotate-keys.ts';
import { createAuditCommand } from '../audit/command.ts';
import { APP_ENV } from './app-target.ts';

const pkg = JSON.parse(readFileSync(new URL('../../package.json', import.meta.url), 'utf8')) as { version: string };

export function buildProgram(): Command {
  const program = new Command('rampart')
    .description('Secure-by-default HTTP APIs, and the auditor that proves an API is secure.')
    .version(pkg.version)
    .showHelpAfterError('(run `rampart --help` for usage)')
    .option('--app <module>', 'act on your own app: a module exporting buildApp(options) (and its migrations, grants, encryptedColumns); also RAMPART_APP or "rampart": { "app": … } in package.json')
    .exitOverride();
  // Before any command: the commands find the app through the environment (src/cli/app-target.ts).
  program.hook('preAction', () => {
    const { app } = program.opts<{ app?: string }>();
    if (app !== undefined) process.env[APP_ENV] = app;
  });
  program.addCommand(serveCommand());
  program.addCommand(migrateCommand());
  program.addCommand(configCommand());
  program.addCommand(userCommand());
  program.addCommand(keysCommand());
  program.addCommand(routesCommand());
  program.addCommand(seedCommand());
  program.addCommand(rotateKeysCommand());
  program.addCommand(createAuditCommand());
  // addCommand does not copy these settings to subcommands; usage errors must not exit early.
  const settle = (command: Command): void => {
    command.exitOverride().showHelpAfterError('(run `rampart --help` for usage)');
    command.commands.forEach(settle);
  };
  program.commands.forEach(settle);
  return program;
}

// A reader that went away (`rampart audit … | head`) is not an error worth a stack trace.
for (const stream of [process.stdout, process.stderr]) {
  stream.on('error', (error: NodeJS.ErrnoException) => {
    if (error.code === 'EPIPE') process.exit(process.exitCode ?? 0);
    throw error;
  });
}

try {
  await buildProgram().parseAsync(process.argv);
} catch (error) {
  if (error instanceof CommanderError) {
    // Help and version exit 0; usage errors were already printed by commander (or by audit,
    // which may have set its own code).
    process.exitCode ??= error.exitCode === 0 ? 0 : 2;
    if (process.exitCode !== 0 && error.exitCode !== 0) process.exitCode = 2;
  } else {
    process.stderr.write(`rampart: ${error instanceof Error ? error.message : String(error)}\n`);
    process.exitCode = 1;
  }
}
