// The test command: every test file in its own `node --test` process, two at a time, each with
// a hard deadline. node:test alone cannot promise that a run ends: a file whose `after` hook
// throws before closing a server keeps its process alive forever, and `--test-timeout` only
// bounds tests, not files. Here every file runs in its own process group, which is killed when
// the file is done (fixture servers it spawned go with it) or when its deadline passes.
//
//   node test/run.ts [files or directories…]   (default: every test/**/*.test.ts)
//   RAMPART_TEST_FILE_TIMEOUT_S (default 600), RAMPART_TEST_CONCURRENCY (default 2)
import { spawn } from 'node:child_process';
import { globSync, statSync } from 'node:fs';
import { relative } from 'node:path';

const FILE_TIMEOUT_MS = Number(process.env['RAMPART_TEST_FILE_TIMEOUT_S'] ?? 600) * 1000;
// A single test or hook may not take longer than this (node:test's own per-test timeout).
const TEST_TIMEOUT_MS = Math.min(FILE_TIMEOUT_MS, 300_000);
const CONCURRENCY = Math.max(1, Number(process.env['RAMPART_TEST_CONCURRENCY'] ?? 2));

interface Outcome {
  file: string;
  ok: boolean;
  timedOut: boolean;
  ms: number;
  counts: Record<string, number>;
  output: string;
}

function testFiles(args: string[]): string[] {
  const roots = args.length > 0 ? args : ['test'];
  const files = roots.flatMap((root) => (statSync(root).isDirectory() ? globSync(`${root}/**/*.test.ts`) : [root]));
  return [...new Set(files)].sort();
}

// Detached groups do not get the terminal's Ctrl-C: pass it on, so nothing is left running.
const running = new Set<number>();
for (const signal of ['SIGINT', 'SIGTERM'] as const) {
  process.once(signal, () => {
    for (const pid of running) killGroup(pid);
    process.exit(130);
  });
}

function killGroup(pid: number): void {
  try {
    process.kill(-pid, 'SIGKILL');
  } catch {
    // the group is already gone
  }
}

// Without NODE_TEST_CONTEXT: set when this runner itself runs under node:test, it would make each
// child talk the runner's internal protocol instead of reporting.
const childEnv: NodeJS.ProcessEnv = { ...process.env, FORCE_COLOR: '0' };
delete childEnv['NODE_TEST_CONTEXT'];

function runFile(file: string): Promise<Outcome> {
  const started = Date.now();
  return new Promise((resolve) => {
    const child = spawn(process.execPath, ['--test', '--test-force-exit', `--test-timeout=${TEST_TIMEOUT_MS}`, '--test-reporter=spec', file], {
      detached: true, // its own process group: killing -pid reaches everything it started
      stdio: ['ignore', 'pipe', 'pipe'],
      env: childEnv,
    });
    let output = '';
    child.stdout.on('data', (chunk: Buffer) => (output += chunk.toString()));
    child.stderr.on('data', (chunk: Buffer) => (output += chunk.toString()));
    const pid = child.pid!;
    running.add(pid);
    let timedOut = false;
    const deadline = setTimeout(() => {
      timedOut = true;
      killGroup(pid);
    }, FILE_TIMEOUT_MS);
    child.on('close', (code) => {
      clearTimeout(deadline);
      killGroup(pid); // fixture processes the file left behind
      running.delete(pid);
      const counts: Record<string, number> = {};
      for (const match of output.matchAll(/^ℹ (tests|pass|fail|cancelled|skipped|todo) (\d+)$/gm)) counts[match[1]!] = Number(match[2]);
      resolve({ file, ok: code === 0 && !timedOut, timedOut, ms: Date.now() - started, counts, output });
    });
  });
}

async function main(): Promise<number> {
  const files = testFiles(process.argv.slice(2));
  const started = Date.now();
  const queue = [...files];
  const outcomes: Outcome[] = [];
  const worker = async (): Promise<void> => {
    for (let file = queue.shift(); file !== undefined; file = queue.shift()) {
      const outcome = await runFile(file);
      outcomes.push(outcome);
      const seconds = (outcome.ms / 1000).toFixed(1);
      const summary = `${outcome.counts['pass'] ?? 0} passed${outcome.counts['fail'] ? `, ${outcome.counts['fail']} failed` : ''}${outcome.counts['cancelled'] ? `, ${outcome.counts['cancelled']} cancelled` : ''}`;
      if (outcome.ok) {
        process.stdout.write(`✔ ${relative('.', file)} (${summary}, ${seconds} s)\n`);
      } else {
        process.stdout.write(`\n✖ ${relative('.', file)} (${outcome.timedOut ? `killed after ${FILE_TIMEOUT_MS / 1000} s` : summary}, ${seconds} s)\n${outcome.output}\n`);
      }
    }
  };
  await Promise.all(Array.from({ length: Math.min(CONCURRENCY, files.length) }, worker));
  const failed = outcomes.filter((o) => !o.ok);
  const total = (key: string): number => outcomes.reduce((sum, o) => sum + (o.counts[key] ?? 0), 0);
  process.stdout.write(
    `\n${files.length} files, ${total('tests')} tests: ${total('pass')} passed, ${total('fail')} failed, ${total('cancelled')} cancelled, ${total('skipped')} skipped in ${((Date.now() - started) / 1000).toFixed(0)} s\n`,
  );
  if (failed.length > 0) process.stdout.write(`failed files:\n${failed.map((o) => `  ${relative('.', o.file)}${o.timedOut ? ' (timed out)' : ''}`).join('\n')}\n`);
  return failed.length > 0 || files.length === 0 ? 1 : 0;
}

process.exitCode = await main();
