// The randomness test for secrets: shapes people produce are refused, each with its reason;
// random bytes in every encoding pass, however many are drawn.
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { createHash, randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import fc from 'fast-check';
import { ConfigError, loadConfig } from '../../src/toolkit/index.ts';
import { nonRandomPattern, secretProblem } from '../../src/toolkit/config/secrets.ts';
import { docsPage } from '../helpers/readme.ts';

const counting = Buffer.from(Array.from({ length: 32 }, (_, i) => i));
/** Fixed random-looking bytes (SHAKE256 of a label), so each bad case fails its rule on every run. */
const fixed = (label: string, length: number): Buffer => createHash('shake256', { outputLength: length }).update(label).digest();
const random16 = fixed('16', 16);
const random32 = fixed('32', 32);
const random40 = fixed('40', 40);
const random256 = fixed('256', 256);

/** Known-bad secrets, as configured, and the rule each must fail. */
const BAD: [string, string, RegExp][] = [
  ['base64 of bytes 0..31 (the issue\'s case)', counting.toString('base64'), /30 of its 30 byte triples continue a run/],
  ['hex of bytes 0..31', counting.toString('hex'), /continue a run/],
  ['bytes 255 down to 224', Buffer.from(Array.from({ length: 32 }, (_, i) => 255 - i)).toString('base64'), /continue a run/],
  ['even bytes 0, 2, 4 …', Buffer.from(Array.from({ length: 32 }, (_, i) => 2 * i)).toString('base64url'), /continue a run/],
  ['32 zero bytes', Buffer.alloc(32).toString('base64'), /only 1 distinct byte values in 32 bytes/],
  ['hex "abab…"', 'ab'.repeat(64), /only 1 distinct byte values in 64 bytes/],
  ['16 random bytes twice', Buffer.concat([random16, random16]).toString('base64'), /compresses from 32 to \d+ bytes/],
  ['32 random bytes twice', Buffer.concat([random32, random32]).toString('base64'), /only \d+ distinct byte values in 64 bytes/],
  ['256 random bytes twice', Buffer.concat([random256, random256]).toString('base64'), /compresses from 512 to \d+ bytes/],
  ['40 random bytes, then their first 24 again', Buffer.concat([random40, random40.subarray(0, 24)]).toString('base64'), /compresses from 64 to \d+ bytes/],
  ['4 random bytes, 8 times', Buffer.concat(Array.from({ length: 8 }, () => random16.subarray(0, 4))).toString('hex'), /only \d distinct byte values/],
  ['a phrase encoded as base64', Buffer.from('The quick brown fox jumps over the lazy dog!').toString('base64'), /printable text/],
  ['a phrase with few letters', Buffer.from('correct horse battery staple, and then some more words').toString('base64'), /only 18 distinct byte values in 54 bytes/],
  ['a secret encoded twice', Buffer.from(random32.toString('base64')).toString('base64'), /printable text/],
  ['a hex digest encoded as base64', Buffer.from(createHash('sha256').update('password').digest('hex')).toString('base64'), /only 16 distinct byte values in 64 bytes/],
];

describe('known-bad secrets are refused with the reason', () => {
  for (const [label, secret, reason] of BAD) {
    test(label, () => {
      const problem = secretProblem('RAMPART_SECRET_KEY', secret);
      assert.match(problem ?? '', /^RAMPART_SECRET_KEY does not look random: /);
      assert.match(problem ?? '', reason);
      assert.match(problem ?? '', /openssl rand -base64 32/);
      assert.ok(!problem!.includes(secret), 'the value is never printed');
    });
  }

  test('production refuses to boot with one, listing the reason', () => {
    const dir = mkdtempSync(join(tmpdir(), 'rampart-secret-'));
    try {
      assert.throws(
        () => loadConfig({ RAMPART_SECRET_KEY: counting.toString('base64'), RAMPART_ALLOWED_HOSTS: 'api.example.com', RAMPART_TRUSTED_PROXIES: '10.0.0.1' }, dir),
        (error: unknown) => error instanceof ConfigError && error.problems.some((p) => p.includes('RAMPART_SECRET_KEY does not look random: 30 of its 30 byte triples continue a run')),
      );
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});

describe('known-good secrets pass', () => {
  test('random bytes of 32 to 512 in base64, base64url and hex, as `openssl rand` makes them', () => {
    fc.assert(
      fc.property(fc.integer({ min: 32, max: 512 }), fc.constantFrom('base64', 'base64url', 'hex'), (length, encoding) => {
        const secret = randomBytes(length).toString(encoding);
        assert.equal(secretProblem('S', secret), undefined, secret);
      }),
      { numRuns: 3000 },
    );
  });

  test('the fixed secrets the test suites use', () => {
    for (const secret of ['q3J7Xc0mV9kz1Lw5Hn8Rt2Yb6Pd4Gs0Fe7Ua3Ji9Oc1=', 'hZ3kQ9mV2xL7pR4tW8yB1nC6fG0jD5sAe2Ru7Ko1Ti4=', '9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08']) {
      assert.equal(secretProblem('S', secret), undefined, secret);
    }
  });

  test('each rule leaves random bytes far behind its threshold', () => {
    for (let i = 0; i < 2000; i++) assert.equal(nonRandomPattern(randomBytes(32)), undefined);
  });
});

test('the README states the rules and their numbers', () => {
  const readme = docsPage('configuration.md').replace(/\s+/g, ' ');
  for (const phrase of ['fewer distinct byte values than half of min(n, 256)', 'more than a quarter of its byte triples continue an arithmetic run', 'raw DEFLATE (level 9) shrinks them by 10% or more', 'every byte is printable ASCII']) {
    assert.ok(readme.includes(phrase), `README: ${phrase}`);
  }
});
