// The test runner (test/run.ts, `npm run test:unit`) always ends: a file that never finishes is
// killed at its deadline with everything it started, a file whose `after` hook throws before
// closing a server fails instead of hanging, and the other files still run and pass.
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, test } from 'node:test';
import { fileURLToPath } from 'node:url';

const RUNNER = fileURLToPath(new URL('../run.ts', import.meta.url));
const dir = mkdtempSync(join(tmpdir(), 'rampart-runner-'));
after(() => rmSync(dir, { recursive: true, force: true }));

/** Running, as opposed to gone or a zombie waiting for init to reap it. */
function running(pid: number): boolean {
  try {
    return !/^\d+ \(.*\) [ZX]/.test(readFileSync(`/proc/${pid}/stat`, 'utf8'));
  } catch {
    return false;
  }
}

test('a stuck file is killed at its deadline with what it started; a throwing after hook fails; the rest passes', () => {
  const pidFile = join(dir, 'grandchild.pid');
  writeFileSync(join(dir, 'fine.test.ts'), "import { test } from 'node:test';\ntest('fine', () => {});\n");
  writeFileSync(
    join(dir, 'throwing-after.test.ts'),
    "import { after, before, test } from 'node:test';\nimport http from 'node:http';\nlet server;\n" +
      "before(async () => { server = http.createServer(); await new Promise((r) => server.listen(0, '127.0.0.1', r)); });\n" +
      "test('ok', () => {});\nafter(() => { throw new Error('cleanup failed before closing the server'); });\n",
  );
  writeFileSync(
    join(dir, 'stuck.test.ts'),
    "import { spawn } from 'node:child_process';\nimport { writeFileSync } from 'node:fs';\n" +
      `const child = spawn('sleep', ['300'], { stdio: 'ignore' });\nwriteFileSync(${JSON.stringify(pidFile)}, String(child.pid));\n` +
      'await new Promise(() => setInterval(() => {}, 1000));\n',
  );
  const started = Date.now();
  const ran = spawnSync(process.execPath, [RUNNER, dir], { encoding: 'utf8', env: { ...process.env, RAMPART_TEST_FILE_TIMEOUT_S: '4' }, timeout: 60_000 });
  const ms = Date.now() - started;
  assert.equal(ran.status, 1, ran.stdout + ran.stderr);
  assert.match(ran.stdout, /✔ .*fine\.test\.ts \(1 passed/);
  assert.match(ran.stdout, /✖ .*throwing-after\.test\.ts/);
  assert.match(ran.stdout, /✖ .*stuck\.test\.ts \(killed after 4 s/);
  assert.match(ran.stdout, /failed files:\n(.*\n)*.*stuck\.test\.ts \(timed out\)/);
  assert.ok(ms < 45_000, `the run took ${ms} ms`);
  const grandchild = Number(readFileSync(pidFile, 'utf8'));
  assert.equal(running(grandchild), false, 'a process the stuck file started is still running');
});
