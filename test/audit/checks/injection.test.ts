import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { differentAnswer, sameAnswer, similarity, stripEchoes } from '../../../src/audit/lib/compare.ts';
import type { HttpResponse } from '../../../src/audit/http/client.ts';
import { protectedNote } from '../../../src/audit/checks/injection.ts';
import { audit, describe as list, findingAt, findingsOf, IDENTITIES, startTwins } from '../helpers.ts';
import type { Twins } from '../helpers.ts';
import { closeAll } from '../../helpers/close-all.ts';

let twins: Twins;
before(async () => {
  twins = await startTwins();
});
after(() => closeAll(twins));

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

  test('probes a route refused without credentials as the first user identity, GET only, secrets masked', async () => {
    const result = await audit(twins.vuln, { only: ['injection'], identities: IDENTITIES });
    const finding = findingAt(result, 'injection.sql-boolean', 'GET', '/my/orders');
    assert.ok(finding, list(result));
    assert.equal(finding.location.parameter, 'status');
    assert.equal(finding.confidence, 'confirmed');
    assert.match(finding.evidence.summary, /sent as identity alice/);
    assert.match(finding.evidence.exchanges[1]!.request.url, /status=paid%27\+AND\+%271%27%3D%271/);
    assert.notEqual(finding.evidence.exchanges[2]!.response!.bodyExcerpt, finding.evidence.exchanges[0]!.response!.bodyExcerpt);
    for (const e of finding.evidence.exchanges) {
      assert.equal(e.request.method, 'GET');
      assert.equal(e.request.headers.authorization, '<redacted>');
    }
    const serialized = JSON.stringify(result.findings);
    for (const identity of IDENTITIES) {
      if (identity.credential.kind === 'login') assert.ok(!serialized.includes(identity.credential.password));
    }
    assert.doesNotMatch(serialized, /eyJ[A-Za-z0-9_-]+\.eyJ/);
    assert.equal(findingsOf(result, 'injection.sql-boolean').length, 3, list(result));
    const note = result.notes.find((n) => n.startsWith('injection: '));
    assert.ok(note, result.notes.join('\n'));
    assert.match(note, /operation\(s\) with parameters answered 401\/403 without credentials; \d+ tested as identity alice \(GET only\)/);
  });

  test('without identities, the protected route is named in the note as untested', async () => {
    const result = await audit(twins.vuln, { only: ['injection'] });
    assert.equal(findingAt(result, 'injection.sql-boolean', 'GET', '/my/orders'), undefined, list(result));
    const note = result.notes.find((n) => n.startsWith('injection: '));
    assert.ok(note, result.notes.join('\n'));
    assert.match(note, /not tested \(no role=user identity given; add one with --identity\)/);
    assert.match(note, /GET \/my\/orders/);
  });

  test('reports nothing on the fixed twin with identities, which binds the protected route too', async () => {
    const result = await audit(twins.fixed, { only: ['injection'], ca: twins.ca, identities: IDENTITIES });
    assert.deepEqual(result.findings, [], list(result));
    const note = result.notes.find((n) => n.startsWith('injection: '));
    assert.ok(note?.includes('tested as identity alice'), result.notes.join('\n'));
  });

  test('the note counts what was tested as the identity and names what stayed refused', () => {
    const none = { anonymous: [], pathIds: [], refused: [] };
    assert.equal(protectedNote([], none, 'alice'), undefined);
    assert.equal(
      protectedNote(['GET /my/orders'], { ...none, refused: ['GET /admin/search'], pathIds: ['GET /notes/{id}'] }, 'alice'),
      '3 operation(s) with parameters answered 401/403 without credentials; 1 tested as identity alice (GET only); ' +
        '1 not tested, no 2xx as alice either: GET /admin/search; 1 not tested, path parameters with no known object id: GET /notes/{id}',
    );
    const many = Array.from({ length: 10 }, (_, i) => `GET /r${i}`);
    assert.match(protectedNote([], { ...none, anonymous: many }, undefined)!, /GET \/r7 and 2 more$/);
  });

  test('without a published spec it runs on the routes discovery found, and finds nothing on the fixed twin', async () => {
    const result = await audit(twins.fixed, { only: ['injection'], openapi: undefined, ca: twins.ca });
    assert.match(result.spec?.source ?? '', /^discovered by crawling /);
    assert.deepEqual(result.checks.ran, ['injection']);
    assert.deepEqual(result.findings, []);
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
