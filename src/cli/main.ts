#!/usr/bin/env node
// The `rampart` command's entry. It checks the Node version before anything else is loaded:
// on an older Node the program's own imports would fail at link time with an error about a
// missing built-in, not about the version.
import { nodeVersionProblem } from '../toolkit/runtime/node-version.ts';

const problem = nodeVersionProblem();
if (problem === undefined) {
  await import('./program.ts');
} else {
  process.stderr.write(`${problem}\n`);
  process.exitCode = 1;
}
