// `rampart serve --workers N`: refused without REDIS_URL (each worker would count alone), and
// with Redis two workers share one port and one count — four failed logins for one account,
// each on a new connection (the cluster hands connections to the workers in turn, so each
// worker sees two), lock the account at a limit of three only because the count is shared.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { request } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { ChildProcess } from 'node:child_process';
import { runCli, startCli, waitForOutput } from '../helpers/cli.ts';
import { REDIS_URL } from '../toolkit/stores/services.ts';
import { freePort } from '../../bench/service/processes.ts';

const DEVELOPMENT = (dir: string, port: number): Record<string, string> => ({ NODE_ENV: 'development', PORT: String(port), RAMPART_DATA_DIR: dir });

/** One POST on a connection of its own (no keep-alive agent), so each may go to another worker. */
function postOnNewConnection(port: number, path: string, body: string): Promise<number> {
  return new Promise((resolve, reject) => {
    const req = request({ host: '127.0.0.1', port, path, method: 'POST', agent: false, headers: { 'content-type': 'application/x-www-form-urlencoded', connection: 'close' } }, (res) => {
      res.resume();
      res.once('end', () => resolve(res.statusCode ?? 0));
    });
    req.once('error', reject);
    req.end(body);
  });
}

function childrenOf(pid: number): number[] {
  const out: number[] = [];
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      const stat = readFileSync(`/proc/${entry}/stat`, 'utf8');
      if (Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[1]) === pid) out.push(Number(entry));
    } catch {
      // gone meanwhile
    }
  }
  return out;
}

describe('rampart serve --workers', { timeout: 180_000 }, () => {
  const dir = mkdtempSync(join(tmpdir(), 'rampart-workers-'));
  after(() => rmSync(dir, { recursive: true, force: true }));

  test('more than one worker without REDIS_URL is refused in one line, exit 1, before anything boots', () => {
    const result = runCli(['serve', '--workers', '2'], DEVELOPMENT(join(dir, 'refused'), 0));
    assert.equal(result.status, 1, result.stderr);
    assert.equal(result.stderr, 'rampart: --workers 2 needs REDIS_URL: without a shared store each worker would count rate limits and login failures, and hold revocations, alone\n');
    assert.equal(result.stdout, '');
  });

  test('a --workers that is not a count or "auto" is a usage error (exit 2)', () => {
    for (const value of ['0', 'two', '-1']) {
      const result = runCli(['serve', '--workers', value], DEVELOPMENT(join(dir, 'usage'), 0));
      assert.equal(result.status, 2, `${value}: ${result.stderr}`);
      assert.match(result.stderr, /--workers/);
    }
  });

  describe('two workers with Redis', () => {
    let child: ChildProcess;
    let port: number;
    before(async () => {
      port = await freePort();
      // A database of its own on the shared Redis: no other test's counters in the way.
      const redis = new URL(REDIS_URL);
      redis.pathname = '/13';
      child = startCli(['serve', '--workers', '2'], {
        ...DEVELOPMENT(join(dir, 'two'), port),
        REDIS_URL: redis.toString(),
        RAMPART_LOGIN_ACCOUNT_LIMIT: '3',
        RAMPART_LOGIN_ADDRESS_LIMIT: '1000',
      });
      await waitForOutput(child, /worker \d+ of 2[\s\S]*worker \d+ of 2/, 150_000);
    });
    after(async () => {
      if (child.exitCode === null) {
        const exited = new Promise((resolve) => child.once('exit', resolve));
        child.kill('SIGTERM');
        await exited;
      }
    });

    test('both workers serve the port, and the login throttle counts across them', async () => {
      assert.equal(childrenOf(child.pid!).length, 2, 'two worker processes');
      const username = `nobody-${randomBytes(6).toString('hex')}`;
      const body = `grant_type=password&username=${username}&password=${randomBytes(12).toString('hex')}`;
      const statuses: number[] = [];
      for (let i = 0; i < 4; i++) statuses.push(await postOnNewConnection(port, '/v1/auth/token', body));
      assert.deepEqual(statuses.slice(0, 3).map((s) => s === 429), [false, false, false], `statuses ${statuses.join(',')}`);
      assert.equal(statuses[3], 429, `the fourth failure is refused only if both workers count together: ${statuses.join(',')}`);
    });

    test('SIGTERM to the primary drains every worker and the primary exits 0', async () => {
      const workers = childrenOf(child.pid!);
      const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
      child.kill('SIGTERM');
      assert.equal(await exited, 0);
      for (const pid of workers) assert.throws(() => process.kill(pid, 0), 'worker gone');
    });
  });
});
