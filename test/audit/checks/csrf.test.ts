import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { audit, describe as list, findingAt, IDENTITIES } from '../helpers.ts';
import { ALL_IDENTITIES, startPlainTwins } from './plain-twins.ts';
import type { PlainTwins } from './plain-twins.ts';
import { closeAll } from '../../helpers/close-all.ts';

let twins: PlainTwins;
before(async () => {
  twins = await startPlainTwins();
});
after(() => closeAll(twins));

describe('csrf check', () => {
  test('proves the cookie-authenticated preferences accept a cross-site text/plain POST, and changes nothing', async () => {
    const before = twins.fixture.snapshot();
    const result = await audit(twins.vuln, { only: ['csrf'], identities: ALL_IDENTITIES });
    const finding = findingAt(result, 'csrf.cross-site-accepted', 'POST', '/preferences');
    assert.ok(finding, list(result));
    assert.equal(finding.cwe, 352);
    const [anonymous, forged] = finding.evidence.exchanges;
    assert.equal(anonymous!.response!.status, 401);
    assert.equal(forged!.response!.status, 200);
    assert.equal(forged!.request.headers['content-type'], 'text/plain');
    assert.match(forged!.request.headers.origin!, /^https:\/\/[0-9a-f]{8}\.rampart-probe\.example$/);
    assert.equal(forged!.request.headers.cookie, '<redacted>', 'the session cookie is not in the report');
    assert.equal(result.findings.length, 1, list(result));
    assert.deepEqual(twins.fixture.snapshot().vuln.flows, before.vuln.flows, 'the preferences are what they were');
  });

  test('reports nothing on the fixed twin, which refuses foreign origins and non-JSON bodies', async () => {
    const result = await audit(twins.fixed, { only: ['csrf'], identities: ALL_IDENTITIES });
    assert.deepEqual(result.findings, [], list(result));
  });

  test('says why it did nothing without a cookie identity', async () => {
    const result = await audit(twins.vuln, { only: ['csrf'], identities: IDENTITIES });
    assert.deepEqual(result.findings, []);
    assert.ok(result.notes.some((n) => /no cookie identity/.test(n)), result.notes.join('\n'));
  });
});
