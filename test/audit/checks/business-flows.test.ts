import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { FLOW_BURST, words } from '../../../src/audit/checks/business-flows.ts';
import { audit, describe as list, findingAt } from '../helpers.ts';
import { ALL_IDENTITIES, startPlainTwins } from './plain-twins.ts';
import type { PlainTwins } from './plain-twins.ts';
import { closeAll } from '../../helpers/close-all.ts';

let twins: PlainTwins;
before(async () => {
  twins = await startPlainTwins();
});
after(() => closeAll(twins));

describe('business-flows check', () => {
  test('without --unsafe, no burst of writes: two payments with one key, no finding, a note saying why; nothing left', async () => {
    const before = twins.fixture.snapshot();
    const result = await audit(twins.vuln, { only: ['business-flows'], identities: ALL_IDENTITIES });
    assert.deepEqual(result.findings, [], list(result));
    assert.ok(result.notes.some((n) => /POST \/payments: the same Idempotency-Key made two objects, but the burst was not sent .*bursts go only to reads and logins/.test(n)), result.notes.join('\n'));
    // Two from the check; the protection probe's anonymous POST (a body no parser accepts) is in the ledger too.
    assert.equal(result.writes.filter((w) => w.route === '/payments' && w.method === 'POST' && w.why.startsWith('business-flows:')).length, 2);
    assert.ok(result.writes.filter((w) => w.route === '/payments' && w.why.startsWith('protection:')).every((w) => w.identity === 'anonymous' && w.restored === 'nothing changed: no 2xx answer'));
    assert.deepEqual(twins.fixture.snapshot().vuln.flows.payments, before.vuln.flows.payments);
  });

  test('proves payments can be repeated without idempotency or limit (with --unsafe naming the route), and deletes every payment it made', async () => {
    const before = twins.fixture.snapshot();
    // The spec alone: discovery beside it would add operations, and so survey requests, to count.
    const result = await audit(twins.vuln, { only: ['business-flows'], identities: ALL_IDENTITIES, unsafe: ['POST /payments'], specOnly: true });
    const finding = findingAt(result, 'business-flows.unprotected-flow', 'POST', '/payments');
    assert.ok(finding, list(result));
    assert.equal(finding.owasp, 'API6:2023');
    const [first, replay] = finding.evidence.exchanges;
    assert.equal(first!.request.headers['idempotency-key'], replay!.request.headers['idempotency-key']);
    assert.notEqual(JSON.parse(first!.response!.bodyExcerpt).id, JSON.parse(replay!.response!.bodyExcerpt).id);
    assert.equal(result.findings.length, 1, list(result));
    assert.deepEqual(twins.fixture.snapshot().vuln.flows.payments, before.vuln.flows.payments, 'every payment the audit made is gone');
    assert.ok(!result.notes.some((n) => /could not remove/.test(n)), result.notes.join('\n'));
  });

  test('reports nothing on the fixed twin, which replays the first payment for the same key', async () => {
    const before = twins.fixture.snapshot();
    const result = await audit(twins.fixed, { only: ['business-flows'], identities: ALL_IDENTITIES, unsafe: ['POST /payments'] });
    assert.deepEqual(result.findings, [], list(result));
    assert.deepEqual(twins.fixture.snapshot().fixed.flows.payments, before.fixed.flows.payments);
  });

  test('stays within a small number of requests', async () => {
    // The spec alone: discovery beside it would add operations, and so survey requests, to count.
    const result = await audit(twins.vuln, { only: ['business-flows'], identities: ALL_IDENTITIES, unsafe: ['POST /payments'], specOnly: true });
    // Survey, the login of each identity, two requests with one key, the burst, then a delete and a
    // check for each (the protection probes and the before/after reads every check shares are counted apart).
    const by = result.requestsBy;
    const own = (by.survey ?? 0) + (by.logins ?? 0) + (by['business-flows'] ?? 0);
    assert.ok(own < 40 + 3 * (FLOW_BURST + 2), `${own} ${JSON.stringify(result.requestsBy)}`);
  });
});

describe('sensitive flow names', () => {
  test('whole words, camelCase, kebab-case and plurals; not words that merely contain one', () => {
    assert.ok(words('/v1/gift-cards').includes('giftcard'));
    assert.ok(words('redeemVoucher').includes('voucher'));
    assert.ok(words('/top-ups').includes('topup'));
    assert.ok(words('/v1/admin/accounts/{id}/deposits').includes('deposit'));
    for (const harmless of ['/payloads', '/endpoints', '/notes', '/reorderings']) {
      assert.ok(!words(harmless).some((w) => ['pay', 'point', 'order'].includes(w)), harmless);
    }
  });
});
