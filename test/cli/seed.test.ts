// Seed data: demo accounts with passwords printed once on the command's stdout (never in the
// log, never stored in clear), refused in production, not repeated.
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { runCli } from '../helpers/cli.ts';

describe('rampart seed', () => {
  test('creates demo users, products, deposits and orders once; passwords only on stdout', () => {
    const dir = mkdtempSync(join(tmpdir(), 'rampart-seed-'));
    try {
      const env = { NODE_ENV: 'development', RAMPART_DATA_DIR: dir };
      const result = runCli(['seed'], env);
      assert.equal(result.status, 0, result.stderr);
      const passwords = [...result.stdout.matchAll(/^ {2}(admin|alice|bob)\s+(admin|user)\s+([A-Za-z0-9_-]{24})$/gm)].map((m) => m[3]!);
      assert.equal(passwords.length, 3, result.stdout);
      const database = Buffer.concat(readdirSync(dir).filter((f) => f.startsWith('rampart.db')).map((f) => readFileSync(join(dir, f))));
      for (const password of passwords) {
        assert.ok(!result.stderr.includes(password), 'not in the log');
        assert.ok(!database.includes(password), 'not stored in clear');
      }
      assert.match(runCli(['seed'], env).stdout, /already has users; nothing seeded/);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  test('is refused in production', () => {
    const result = runCli(['seed'], { NODE_ENV: 'production', RAMPART_SECRET_KEY: 'q3J7Xc0mV9kz1Lw5Hn8Rt2Yb6Pd4Gs0Fe7Ua3Ji9Oc1=', RAMPART_ALLOWED_HOSTS: 'api.example.com', RAMPART_TRUSTED_PROXIES: '127.0.0.1' });
    assert.equal(result.status, 1);
    assert.match(result.stderr, /seed is refused outside development/);
  });
});
