import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { itemCount } from '../../../src/audit/checks/resources.ts';
import { audit, describe as list, findingAt, startTwins } from '../helpers.ts';
import type { Twins } from '../helpers.ts';
import { closeAll } from '../../helpers/close-all.ts';

let twins: Twins;
before(async () => {
  twins = await startTwins();
});
after(() => closeAll(twins));

describe('resources check', () => {
  test('proves an uncapped page size, a missing body limit and a missing rate limit on the vulnerable API', async () => {
    const result = await audit(twins.vuln, { only: ['resources'] });
    const page = findingAt(result, 'resources.page-size', 'GET', '/items');
    assert.ok(page, list(result));
    assert.equal(page.location.parameter, 'limit');
    assert.match(page.evidence.summary, /returned 1500 items, above the spec's maximum of 100/);

    const body = findingAt(result, 'resources.body-limit', 'POST', '/orders');
    assert.ok(body, list(result));
    // Truncated JSON (issue 19 item 3: no anonymous write that can succeed): the same answer, no 413.
    assert.equal(body.confidence, 'firm');
    assert.match(body.evidence.exchanges[1]!.request.bodyExcerpt!, /\(8388608 bytes\)$/);

    const rate = findingAt(result, 'resources.rate-limit', 'POST', '/login');
    assert.ok(rate, list(result));
    assert.equal(rate.severity, 'medium');
    assert.match(rate.evidence.summary, /^50 credential checks/);
    assert.equal(rate.evidence.exchanges[1]!.response!.status, 401);
  });

  test('reports nothing on the fixed twin: page capped, 413 on large bodies, 429 on bursts', async () => {
    const result = await audit(twins.fixed, { only: ['resources'], ca: twins.ca });
    assert.deepEqual(result.findings, [], list(result));
  });

  test('counts the items of a page wherever the list sits', () => {
    assert.equal(itemCount([1, 2, 3]), 3);
    assert.equal(itemCount({ data: [1, 2], meta: { tags: [1] } }), 2);
    assert.equal(itemCount({ page: { items: [1, 2, 3, 4] } }), 4);
    assert.equal(itemCount({ id: 1 }), undefined);
  });
});
