// Boot refusals, through the real CLI: exit code and message, and never a secret value or
// a stack trace.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { once } from 'node:events';
import { runCli, startCli, waitForOutput } from '../helpers/cli.ts';
import { request } from '../helpers/http.ts';
import { closeAll } from '../helpers/close-all.ts';

const GOOD_SECRET = 'q3J7Xc0mV9kz1Lw5Hn8Rt2Yb6Pd4Gs0Fe7Ua3Ji9Oc1=';

describe('production refuses to boot when misconfigured', () => {
  let dir: string;
  let production: Record<string, string>;
  before(() => {
    dir = mkdtempSync(join(tmpdir(), 'rampart-boot-'));
    production = {
      NODE_ENV: 'production',
      RAMPART_DATA_DIR: dir,
      RAMPART_SECRET_KEY: GOOD_SECRET,
      RAMPART_ALLOWED_HOSTS: 'api.example.com',
      RAMPART_TRUSTED_PROXIES: '127.0.0.1',
      PORT: '0',
    };
  });
  after(() => closeAll(() => rmSync(dir, { recursive: true, force: true })));

  const cases: [string, Record<string, string | undefined>, RegExp][] = [
    ['a missing secret', { RAMPART_SECRET_KEY: undefined }, /RAMPART_SECRET_KEY is required in production/],
    ['a secret shorter than 32 bytes', { RAMPART_SECRET_KEY: 'c2hvcnQtYnV0LXJhbmRvbS0xMjM0NQ==' }, /holds 22 bytes; at least 32/],
    ['a placeholder secret', { RAMPART_SECRET_KEY: 'supersecret' }, /known placeholder secret/],
    ['a placeholder inside a longer secret', { RAMPART_SECRET_KEY: 'your-secret-key-your-secret-key-your-secret-key' }, /known placeholder secret/],
    ['a wildcard CORS origin', { RAMPART_CORS_ORIGINS: '*' }, /wildcards allow every site/],
    ['a CORS pattern', { RAMPART_CORS_ORIGINS: 'https://*.example.com' }, /wildcards/],
    ['the null CORS origin', { RAMPART_CORS_ORIGINS: 'null' }, /null origin/],
    ['a CORS origin with a path', { RAMPART_CORS_ORIGINS: 'https://app.example.com/' }, /did you mean "https:\/\/app\.example\.com"/],
    ['docs enabled without a scope', { RAMPART_DOCS: 'on' }, /RAMPART_DOCS=on in production needs RAMPART_DOCS_SCOPE/],
    ['plain HTTP without TLS or a trusted proxy', { RAMPART_TRUSTED_PROXIES: undefined }, /production refuses plain HTTP/],
    ['a trusted-proxy range holding public addresses', { RAMPART_TRUSTED_PROXIES: '0.0.0.0/0,::/0' }, /"0\.0\.0\.0\/0" contains public addresses[^\n]*RAMPART_DANGEROUSLY_TRUST_PUBLIC_PROXIES=true/],
    ['no allowed hosts', { RAMPART_ALLOWED_HOSTS: undefined }, /RAMPART_ALLOWED_HOSTS is required in production/],
  ];
  for (const [label, change, message] of cases) {
    test(`refused: ${label}`, () => {
      const env: Record<string, string> = { ...production };
      for (const [name, value] of Object.entries(change)) {
        if (value === undefined) Reflect.deleteProperty(env, name);
        else env[name] = value;
      }
      const result = runCli(['serve'], env);
      assert.equal(result.status, 1, result.stderr);
      assert.match(result.stderr, message);
      assert.match(result.stderr, /^rampart: Configuration refused/);
      assert.ok(!/\n\s+at /.test(result.stderr), 'no stack trace');
      const secret = env.RAMPART_SECRET_KEY;
      if (secret !== undefined) assert.ok(!result.stderr.includes(secret), 'secret value printed');
    });
  }

  test('development refuses a non-loopback HOST', () => {
    const result = runCli(['serve'], { NODE_ENV: 'development', HOST: '0.0.0.0', RAMPART_DATA_DIR: dir, PORT: '0' });
    assert.equal(result.status, 1);
    assert.match(result.stderr, /HOST=0\.0\.0\.0 is refused in development/);
  });

  test('production refuses to start before `rampart migrate`, then boots', () => {
    const result = runCli(['serve'], production);
    assert.equal(result.status, 1);
    assert.match(result.stderr, /pending migration\(s\) \(0001_identity, 0002_api_keys[^)]*\); run `rampart migrate` first/);
    assert.equal(runCli(['migrate'], production).status, 0);
  });

  test('a correct production configuration boots, serves, and stops gracefully on SIGTERM', async () => {
    const child = startCli(['serve'], production);
    try {
      const output = await waitForOutput(child, /rampart listening on http:\/\/127\.0\.0\.1:(\d+)/);
      const port = /rampart listening on http:\/\/127\.0\.0\.1:(\d+)/.exec(output)![1]!;
      const response = await request(`http://127.0.0.1:${port}`, '/healthz', { host: 'api.example.com' });
      assert.equal(response.status, 200, response.body);
      const exited = once(child, 'exit');
      child.kill('SIGTERM');
      const [code] = (await exited) as [number | null];
      assert.equal(code, 0);
    } finally {
      if (child.exitCode === null) child.kill('SIGKILL');
    }
  });
});

describe('the CLI itself', () => {
  test('--help lists the commands and exits 0', () => {
    const result = runCli(['--help'], {});
    assert.equal(result.status, 0);
    for (const command of ['serve', 'migrate', 'config']) assert.match(result.stdout, new RegExp(`\\b${command}\\b`));
  });

  test('an unknown flag or command is a usage error: exit 2 with a clear message', () => {
    const flag = runCli(['serve', '--frobnicate'], {});
    assert.equal(flag.status, 2);
    assert.match(flag.stderr, /unknown option '--frobnicate'/);
    const command = runCli(['explode'], {});
    assert.equal(command.status, 2);
    assert.match(command.stderr, /unknown command 'explode'/);
  });

  test('migrate applies migrations to the configured database and is idempotent', () => {
    const dir = mkdtempSync(join(tmpdir(), 'rampart-migrate-'));
    try {
      const env = { NODE_ENV: 'production', RAMPART_DATA_DIR: dir, RAMPART_SECRET_KEY: GOOD_SECRET, RAMPART_ALLOWED_HOSTS: 'api.example.com', RAMPART_TRUSTED_PROXIES: '127.0.0.1' };
      const first = runCli(['migrate'], env);
      assert.equal(first.status, 0, first.stderr);
      assert.match(first.stdout, /^migrations applied: 0001_identity, 0002_api_keys/);
      assert.ok(existsSync(join(dir, 'rampart.db')));
      const second = runCli(['migrate'], env);
      assert.equal(second.stdout.trim(), 'migrations: up to date');
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  test('config --markdown prints the settings table', () => {
    const result = runCli(['config', '--markdown'], {});
    assert.equal(result.status, 0);
    assert.match(result.stdout, /\| `RAMPART_SECRET_KEY` \/ `RAMPART_SECRET_KEY_FILE` \|/);
  });
});
