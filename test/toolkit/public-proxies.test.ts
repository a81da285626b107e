// Production refuses trusted-proxy ranges that hold public addresses (whoever sits in one picks
// their own client address through X-Forwarded-For), unless the loudly named override is set.
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ConfigError, createServer, loadConfig } from '../../src/toolkit/index.ts';
import { publicAddressInEntry } from '../../src/toolkit/server/public-ranges.ts';

const GOOD_SECRET = 'q3J7Xc0mV9kz1Lw5Hn8Rt2Yb6Pd4Gs0Fe7Ua3Ji9Oc1=';

/** Each range that holds public addresses, with the lowest public address in it. */
const PUBLIC: [string, string][] = [
  ['0.0.0.0/0', '1.0.0.0'],
  ['::/0', '::ffff:1.0.0.0'],
  ['0.0.0.0/1', '1.0.0.0'],
  ['128.0.0.0/1', '128.0.0.0'],
  ['::ffff:0:0/96', '::ffff:1.0.0.0'],
  ['::ffff:0.0.0.0/97', '::ffff:1.0.0.0'],
  ['64:ff9b::/96', '64:ff9b::1.0.0.0'],
  ['2000::/3', '2000::'],
  ['2001:4860::/32', '2001:4860::'],
  ['8.8.8.8', '8.8.8.8'],
  ['8.8.8.8/32', '8.8.8.8'],
  ['10.0.0.0/7', '11.0.0.0'],
  ['172.16.0.0/11', '172.0.0.0'],
  ['192.168.0.0/15', '192.169.0.0'],
  ['100.0.0.0/8', '100.0.0.0'],
  ['127.0.0.0/7', '126.0.0.0'],
];
const PRIVATE = ['10.0.0.0/8', '10.0.0.5', '172.16.0.0/12', '192.168.0.0/16', '100.64.0.0/10', '127.0.0.1', '127.0.0.0/8', '169.254.0.0/16', '::1', 'fd00::/8', 'fc00::/7', 'fe80::/10', '::ffff:10.0.0.0/104', '::ffff:127.0.0.1', '64:ff9b::a00:1'];

describe('which ranges hold public addresses', () => {
  for (const [range, example] of PUBLIC) {
    test(`${range} holds public addresses, e.g. ${example}`, () => {
      assert.equal(publicAddressInEntry(range), example);
    });
  }
  test('private, loopback, link-local, CGNAT and ULA ranges (and their IPv4-mapped forms) hold none', () => {
    for (const range of PRIVATE) assert.equal(publicAddressInEntry(range), undefined, range);
  });
});

describe('production refuses public trusted-proxy ranges', () => {
  const withDir = <T>(run: (dir: string) => T): T => {
    const dir = mkdtempSync(join(tmpdir(), 'rampart-proxies-'));
    try {
      return run(dir);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  };
  const problemsOf = (env: Record<string, string>): string[] =>
    withDir((dir) => {
      try {
        loadConfig({ RAMPART_SECRET_KEY: GOOD_SECRET, RAMPART_ALLOWED_HOSTS: 'api.example.com', ...env }, dir);
        return [];
      } catch (error) {
        assert.ok(error instanceof ConfigError);
        return [...error.problems];
      }
    });

  for (const [range, example] of PUBLIC) {
    test(`RAMPART_TRUSTED_PROXIES=${range} is refused, naming the range, an address in it and the fix`, () => {
      const problems = problemsOf({ RAMPART_TRUSTED_PROXIES: `10.0.0.0/8,${range}` });
      assert.equal(problems.length, 1, problems.join('\n'));
      assert.ok(problems[0]!.includes(`"${range}" contains public addresses (${example}, for one)`), problems[0]);
      assert.match(problems[0]!, /RAMPART_DANGEROUSLY_TRUST_PUBLIC_PROXIES=true/);
    });
  }

  test('every public range is listed at once, private ones pass', () => {
    assert.equal(problemsOf({ RAMPART_TRUSTED_PROXIES: '0.0.0.0/0,::/0' }).length, 2);
    assert.deepEqual(problemsOf({ RAMPART_TRUSTED_PROXIES: PRIVATE.join(',') }), []);
  });

  test('the override admits them; development never refuses them', () => {
    assert.deepEqual(problemsOf({ RAMPART_TRUSTED_PROXIES: '173.245.48.0/20,2400:cb00::/32', RAMPART_DANGEROUSLY_TRUST_PUBLIC_PROXIES: 'true' }), []);
    assert.deepEqual(problemsOf({ NODE_ENV: 'development', RAMPART_TRUSTED_PROXIES: '0.0.0.0/0' }), []);
    assert.match(problemsOf({ RAMPART_TRUSTED_PROXIES: '10.0.0.1', RAMPART_DANGEROUSLY_TRUST_PUBLIC_PROXIES: 'yes' })[0] ?? '', /must be "true" or "false"/);
  });

  test('createServer applies the same rule to library users', async () => {
    await assert.rejects(createServer({ mode: 'production', allowedHosts: ['api.example.com'], trustedProxies: ['0.0.0.0/0'] }), /"0\.0\.0\.0\/0" contains public addresses/);
    const app = await createServer({ mode: 'production', allowedHosts: ['api.example.com'], trustedProxies: ['0.0.0.0/0'], dangerouslyTrustPublicProxies: true });
    await app.close();
  });
});
