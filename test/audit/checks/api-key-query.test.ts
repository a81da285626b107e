import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { audit, describe as list, findingAt, startTwins } from '../helpers.ts';
import type { Twins } from '../helpers.ts';
import { closeAll } from '../../helpers/close-all.ts';

let twins: Twins;
before(async () => {
  twins = await startTwins();
});
after(() => closeAll(twins));

describe('api-key-query check', () => {
  test('proves, without a valid key, that the vulnerable API reads its header key from ?api_key=', async () => {
    const result = await audit(twins.vuln, { only: ['api-key-query'] });
    const finding = findingAt(result, 'api-key-query.accepted', 'GET', '/reports');
    assert.ok(finding, list(result));
    assert.equal(finding.location.parameter, 'api_key');
    assert.equal(finding.owasp, 'API2:2023');
    assert.equal(finding.cwe, 598);
    const [missing, wrongHeader, wrongQuery, control] = finding.evidence.exchanges;
    assert.match(missing!.response!.bodyExcerpt, /missing api key/);
    assert.match(wrongHeader!.response!.bodyExcerpt, /invalid api key/);
    assert.match(wrongQuery!.request.url, /[?&]api_key=rampart-probe-/);
    assert.match(wrongQuery!.response!.bodyExcerpt, /invalid api key/);
    assert.match(control!.response!.bodyExcerpt, /missing api key/);
  });

  test('reports nothing on the fixed twin, which reads the key from the header only', async () => {
    const result = await audit(twins.fixed, { only: ['api-key-query'], ca: twins.ca });
    assert.deepEqual(result.findings, [], list(result));
  });
});
