#!/usr/bin/env node
// Runs `audit` on its own (tests spawn this). The full CLI mounts createAuditCommand() as
// `rampart audit`.
import { Command, CommanderError } from 'commander';
import { createAuditCommand } from './command.ts';

// A reader that went away (`| head`) is not an error worth a stack trace.
for (const stream of [process.stdout, process.stderr]) {
  stream.on('error', (error: NodeJS.ErrnoException) => {
    if (error.code === 'EPIPE') process.exit(process.exitCode ?? 0);
    throw error;
  });
}

const program = new Command('rampart').exitOverride().addCommand(createAuditCommand());
try {
  await program.parseAsync(process.argv);
} catch (error) {
  // The audit command already printed the problem and set the exit status.
  if (!(error instanceof CommanderError)) throw error;
  process.exitCode ??= error.exitCode;
}
