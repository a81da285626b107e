// The README's test command starts with .ci/setup (package.json "pretest"), and .ci/run uses
// the same script. Here: with everything present it changes nothing and says so in one line
// (idempotent); with a prerequisite missing and no way to install it, it fails at once with
// one line naming the package and the command that installs it — never a hang, never a wall
// of text.
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { chmodSync, mkdtempSync, rmSync, symlinkSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, test } from 'node:test';
import { fileURLToPath } from 'node:url';

const SETUP = fileURLToPath(new URL('../../.ci/setup', import.meta.url));
const dirs: string[] = [];
after(() => {
  for (const dir of dirs) rmSync(dir, { recursive: true, force: true });
});

function setup(env: NodeJS.ProcessEnv, asUser?: string): { code: number | null; stdout: string; stderr: string; ms: number } {
  const started = Date.now();
  const command = asUser === undefined ? ['bash', [SETUP]] as const : ['/usr/sbin/runuser', ['-u', asUser, '--', '/usr/bin/bash', SETUP]] as const;
  const ran = spawnSync(command[0], command[1], { env, encoding: 'utf8', timeout: 60_000 });
  return { code: ran.status, stdout: ran.stdout, stderr: ran.stderr, ms: Date.now() - started };
}

/** A PATH with the shell's basic tools and nothing the tests need (no apt-get, no chromium). */
function barePath(): string {
  const dir = mkdtempSync(join(tmpdir(), 'rampart-bare-path-'));
  dirs.push(dir);
  chmodSync(dir, 0o755); // readable by the unprivileged user of the last test
  for (const tool of ['bash', 'id', 'sort', 'seq', 'sleep', 'cat', 'mkdir']) symlinkSync(`/usr/bin/${tool}`, join(dir, tool));
  return dir;
}

describe('.ci/setup (the first step of npm test and .ci/run)', () => {
  test('with everything installed and running, a second run changes nothing and says so in one line', () => {
    const first = setup(process.env);
    assert.equal(first.code, 0, first.stderr);
    const second = setup(process.env);
    assert.equal(second.code, 0, second.stderr);
    assert.equal(second.stdout, 'test prerequisites: ready (nothing to do)\n');
  });

  test('root without apt-get: fails within seconds, one line naming what is missing and how to install it', () => {
    const ran = setup({ PATH: barePath() });
    assert.equal(ran.code, 1);
    assert.equal(ran.stdout, '');
    const lines = ran.stderr.trimEnd().split('\n');
    assert.equal(lines.length, 1, ran.stderr);
    assert.match(lines[0]!, /^npm test: missing Debian packages: .*\bchromium\b.*; install them with: sudo apt-get install -y .*\bchromium\b/);
    assert.match(lines[0]!, /\bpostgresql\b/);
    assert.ok(ran.ms < 10_000, `took ${ran.ms} ms`);
  });

  test('not root: never tries to install, fails with the same one line', () => {
    const ran = setup({ PATH: barePath() }, 'nobody');
    assert.equal(ran.code, 1);
    assert.equal(ran.stderr.trimEnd().split('\n').length, 1, ran.stderr);
    assert.match(ran.stderr, /^npm test: missing Debian packages: .*; install them with: sudo apt-get install -y /);
  });
});
