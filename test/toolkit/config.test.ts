// Configuration: defaults, every problem listed together, development secrets made once.
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ConfigError, loadConfig } from '../../src/toolkit/index.ts';
import { decodeSecret, secretProblem } from '../../src/toolkit/config/secrets.ts';
import { isPlaceholderSecret } from '../../src/toolkit/config/placeholders.ts';

const GOOD_SECRET = 'q3J7Xc0mV9kz1Lw5Hn8Rt2Yb6Pd4Gs0Fe7Ua3Ji9Oc1=';

function withDir<T>(run: (dir: string) => T): T {
  const dir = mkdtempSync(join(tmpdir(), 'rampart-config-'));
  try {
    return run(dir);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

function problemsOf(env: Record<string, string>, cwd: string): readonly string[] {
  try {
    loadConfig(env, cwd);
  } catch (error) {
    assert.ok(error instanceof ConfigError);
    return error.problems;
  }
  return [];
}

describe('loadConfig', () => {
  test('development defaults: loopback, port 3000, ./data, docs on', () =>
    withDir((dir) => {
      const config = loadConfig({ NODE_ENV: 'development' }, dir);
      assert.equal(config.mode, 'development');
      assert.equal(config.host, '127.0.0.1');
      assert.equal(config.port, 3000);
      assert.equal(config.dataDir, join(dir, 'data'));
      assert.equal(config.docs.enabled, true);
      assert.equal(config.server.limits.bodyBytes, 1048576);
    }));

  test('anything but exactly NODE_ENV=development is production', () =>
    withDir((dir) => {
      for (const value of ['Development', 'dev', 'test', '']) {
        const problems = problemsOf({ NODE_ENV: value }, dir);
        assert.ok(problems.some((p) => p.includes('RAMPART_SECRET_KEY is required in production')), value);
      }
    }));

  test('development secrets are created once with mode 0600 and reused', () =>
    withDir((dir) => {
      const first = loadConfig({ NODE_ENV: 'development' }, dir);
      const file = join(dir, 'data', 'secrets.json');
      assert.equal(statSync(file).mode & 0o777, 0o600);
      assert.equal(statSync(join(dir, 'data')).mode & 0o777, 0o700);
      const second = loadConfig({ NODE_ENV: 'development' }, dir);
      assert.equal(second.secrets.RAMPART_SECRET_KEY, first.secrets.RAMPART_SECRET_KEY);
      assert.equal(decodeSecret(first.secrets.RAMPART_SECRET_KEY!)?.length, 32);
      assert.deepEqual(Object.keys(JSON.parse(readFileSync(file, 'utf8')) as object), ['RAMPART_SECRET_KEY']);
    }));

  test('a secret can come from a _FILE path', () =>
    withDir((dir) => {
      const secretFile = join(dir, 'secret');
      writeFileSync(secretFile, `${GOOD_SECRET}\n`, { mode: 0o600 });
      const config = loadConfig({ NODE_ENV: 'development', RAMPART_SECRET_KEY_FILE: secretFile }, dir);
      assert.equal(config.secrets.RAMPART_SECRET_KEY, GOOD_SECRET);
    }));

  test('all problems are reported together and no secret value is printed', () =>
    withDir((dir) => {
      const problems = problemsOf({ RAMPART_SECRET_KEY: 'your-secret-key', PORT: 'eighty', RAMPART_CORS_ORIGINS: '*', RAMPART_DOCS: 'on' }, dir);
      assert.ok(problems.length >= 5, problems.join('\n'));
      assert.ok(!problems.join('\n').includes('your-secret-key'));
    }));
});

describe('secrets', () => {
  test('placeholders from guides are recognised, also inside longer strings', () => {
    for (const value of ['changeme', 'SECRET', 'your-256-bit-secret', 'my-supersecret-jwt-value-for-prod', 'keyboard cat']) assert.ok(isPlaceholderSecret(value), value);
    assert.equal(isPlaceholderSecret(GOOD_SECRET), false);
    // Short hex placeholders occur by chance in long random hex secrets: only whole values count.
    assert.ok(isPlaceholderSecret('123456') && isPlaceholderSecret('abc123'));
    assert.equal(isPlaceholderSecret('9f86d081884c7d65123456a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08'), false);
    assert.equal(isPlaceholderSecret('9f86d081884c7d65abc123a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08'), false);
    assert.ok(isPlaceholderSecret('9f86d081884c7d6512345678a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00'));
  });

  test('entropy rules', () => {
    assert.equal(secretProblem('S', GOOD_SECRET), undefined);
    assert.match(secretProblem('S', 'a'.repeat(64).replace(/a/g, 'ab')) ?? '', /^S does not look random: only 1 distinct byte values in 64 bytes/);
    assert.match(secretProblem('S', 'c2hvcnQ=') ?? '', /holds 5 bytes/);
    assert.match(secretProblem('S', 'this is a long passphrase with spaces in it!') ?? '', /base64, base64url or hex/);
    assert.equal(secretProblem('S', '9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08'), undefined);
  });
});
