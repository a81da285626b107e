import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { FAILED_LOGINS } from '../../../src/audit/checks/authentication.ts';
import { compareTimings } from '../../../src/audit/lib/stats.ts';
import { FIXTURE_USERS } from '../../fixtures/vulnerable-api/accounts.ts';
import { audit, describe as list, findingAt } from '../helpers.ts';
import { ALL_IDENTITIES, canLogIn, startPlainTwins } from './plain-twins.ts';
import type { PlainTwins } from './plain-twins.ts';
import { closeAll } from '../../helpers/close-all.ts';

let twins: PlainTwins;
before(async () => {
  twins = await startPlainTwins();
});
after(() => closeAll(twins));

describe('authentication check', () => {
  test('proves the missing limit, the X-Forwarded-For bypass and user enumeration on the vulnerable twin', async () => {
    const result = await audit(twins.vuln, { only: ['authentication'], identities: ALL_IDENTITIES });
    const none = findingAt(result, 'authentication.no-login-limit', 'POST', '/login');
    assert.ok(none, list(result));
    assert.equal(none.severity, 'high');
    assert.equal(none.cwe, 307);
    assert.equal(none.evidence.exchanges[1]!.response!.status, 401);

    const bypass = findingAt(result, 'authentication.limit-bypass-xff', 'POST', '/auth/token');
    assert.ok(bypass, list(result));
    const [limited, passed] = bypass.evidence.exchanges;
    assert.equal(limited!.response!.status, 429);
    assert.equal(limited!.request.headers['x-forwarded-for'], undefined);
    assert.equal(passed!.response!.status, 400);
    assert.match(passed!.request.headers['x-forwarded-for']!, /^(?:192\.0\.2|198\.51\.100|203\.0\.113)\.\d+$/, 'only documentation addresses are claimed');

    const enumeration = findingAt(result, 'authentication.user-enumeration', 'POST', '/auth/token');
    assert.ok(enumeration, list(result));
    assert.equal(enumeration.cwe, 204);
    assert.match(enumeration.evidence.exchanges[2]!.response!.bodyExcerpt, /wrong password/);
    assert.doesNotMatch(JSON.stringify(result.findings), /Passw0rd-2024/, 'no identity password in the report');
    assert.equal(result.findings.length, 3, list(result));
  });

  test('reports nothing on the fixed twin, whose limits are real and whose answers are alike', async () => {
    const result = await audit(twins.fixed, { only: ['authentication'], identities: ALL_IDENTITIES });
    assert.deepEqual(result.findings, [], list(result));
    assert.ok(!result.notes.some((n) => /SAFETY/.test(n)), result.notes.join('\n'));
  });

  test('safety: no identity of the auditor is locked out, and probes never use their names beyond the cap', async () => {
    for (const base of [twins.vuln, twins.fixed]) {
      for (const user of FIXTURE_USERS.filter((u) => u.username !== 'carol')) {
        assert.equal(await canLogIn(base, user.username, user.password), 200, `${user.username} at ${base}`);
      }
    }
  });

  test('with --intensive, proves the timing difference of the vulnerable twin, which skips the hash for unknown users', async () => {
    const result = await audit(twins.vuln, { only: ['authentication'], identities: ALL_IDENTITIES, intensive: true });
    const timing = findingAt(result, 'authentication.user-enumeration-timing', 'POST', '/auth/token');
    assert.ok(timing, list(result));
    assert.match(timing.evidence.summary, /8 interleaved samples each/, 'at most 3 wrong passwords for each of alice, bob and admin, one spent on the answer probe');
    const fixed = await audit(twins.fixed, { only: ['authentication'], identities: ALL_IDENTITIES, intensive: true });
    assert.deepEqual(fixed.findings, [], list(fixed));
    for (const base of [twins.vuln, twins.fixed]) assert.equal(await canLogIn(base, 'alice', FIXTURE_USERS[0]!.password), 200);
  });

  test('without --intensive, no timing samples are taken', async () => {
    const result = await audit(twins.vuln, { only: ['authentication'], identities: ALL_IDENTITIES });
    assert.equal(findingAt(result, 'authentication.user-enumeration-timing', 'POST', '/auth/token'), undefined);
    // Counted for the check alone: the snapshot and protection probes are the engine's.
    const own = result.requestsBy['authentication'] ?? 0;
    assert.ok(own > 0 && own < 4 * FAILED_LOGINS + 40, JSON.stringify(result.requestsBy));
  });
});

describe('timing comparison', () => {
  test('a clearly slower group is told apart; interleaved equal groups are not', () => {
    const slow = [41, 39, 44, 40, 42, 43];
    const fast = [2, 3, 2.5, 4, 3, 2];
    const verdict = compareTimings(slow, fast);
    assert.ok(verdict.p < 0.01 && verdict.medianGapMs > 30);
    assert.ok(compareTimings([3, 5, 4, 6, 2, 5], [4, 3, 5, 6, 2, 4]).p > 0.1);
    // Exact small-sample p: full separation of 6 and 6 has probability 1 / C(12, 6).
    assert.ok(Math.abs(verdict.p - 1 / 924) < 1e-12);
  });
});
