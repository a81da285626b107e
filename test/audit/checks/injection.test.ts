import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { differentAnswer, sameAnswer, similarity, stripEchoes } from '../../../src/audit/lib/compare.ts';
import type { HttpResponse } from '../../../src/audit/http/client.ts';
import { audit, describe as list, findingAt, findingsOf, startTwins } from '../helpers.ts';
import type { Twins } from '../helpers.ts';

let twins: Twins;
before(async () => {
  twins = await startTwins();
});
after(async () => {
  await twins.close();
});

function answer(status: number, text: string): HttpResponse {
  return { status, headers: {}, body: Buffer.from(text), text, truncated: false, durationMs: 1 };
}

describe('injection check', () => {
  test('confirms SQL injection in a string query parameter with paired boolean requests and a control', async () => {
    const result = await audit(twins.vuln, { only: ['injection'] });
    const finding = findingAt(result, 'injection.sql-boolean', 'GET', '/products');
    assert.ok(finding, list(result));
    assert.equal(finding.location.parameter, 'category');
    assert.equal(finding.confidence, 'confirmed');
    assert.equal(finding.severity, 'critical');
    assert.equal(finding.cwe, 89);
    const labels = finding.evidence.exchanges.map((e) => e.label.split(':')[0]);
    assert.deepEqual(labels, ['baseline', 'always true', 'always false', 'control', 'always true again', 'always false again']);
    const [baseline, yes, no, control] = finding.evidence.exchanges;
    assert.equal(yes!.response!.bodyExcerpt, baseline!.response!.bodyExcerpt);
    assert.notEqual(no!.response!.bodyExcerpt, baseline!.response!.bodyExcerpt);
    assert.notEqual(control!.response!.bodyExcerpt, baseline!.response!.bodyExcerpt);
  });

  test('confirms SQL injection in a numeric path parameter, using an id a listing revealed', async () => {
    const result = await audit(twins.vuln, { only: ['injection'] });
    const finding = findingAt(result, 'injection.sql-boolean', 'GET', '/products/{id}');
    assert.ok(finding, list(result));
    assert.match(finding.evidence.exchanges[1]!.request.url, /\/products\/1%20AND%201%3D1$/);
    assert.equal(finding.evidence.exchanges[2]!.response!.status, 404);
  });

  test('reports no other parameter of the vulnerable API', async () => {
    const result = await audit(twins.vuln, { only: ['injection'] });
    assert.equal(findingsOf(result, 'injection.sql-boolean').length, 2, list(result));
    assert.equal(findingsOf(result, 'injection.sql-error').length, 0, list(result));
  });

  test('reports nothing on the fixed twin, which binds its parameters', async () => {
    const result = await audit(twins.fixed, { only: ['injection'], ca: twins.ca });
    assert.deepEqual(result.findings, [], list(result));
  });

  test('is skipped, with the reason, when there is no spec', async () => {
    const result = await audit(twins.fixed, { only: ['injection'], openapi: undefined, ca: twins.ca });
    assert.deepEqual(result.checks.ran, []);
    assert.match(result.checks.skipped[0]!.reason, /needs an OpenAPI spec/);
  });

  test('answers are compared without what the probe itself echoed', () => {
    const base = answer(200, '{"query":"tools","items":[{"id":1},{"id":2}]}');
    const echoed = answer(200, `{"query":"tools' AND '1'='1","items":[{"id":1},{"id":2}]}`);
    assert.ok(sameAnswer(base, echoed, ['tools', "tools' AND '1'='1"]));
    assert.ok(differentAnswer(base, answer(200, '{"query":"x","items":[]}'), ['x']));
    assert.ok(differentAnswer(base, answer(500, base.text)));
    assert.equal(similarity('a b c', 'a b c'), 1);
    assert.equal(stripEchoes('x=%27a%27 and &#39;a&#39;', ["'a'"]), 'x= and ');
  });
});
