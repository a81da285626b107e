import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { runAudit } from '../../../src/audit/engine.ts';
import { distinctiveValues, listedObjects } from '../../../src/audit/lib/found.ts';
import { startFastApi } from '../../fixtures/vulnerable-fastapi/start.ts';
import type { RunningFastApi } from '../../fixtures/vulnerable-fastapi/start.ts';
import { audit, describe as list, findingAt, IDENTITIES, startTwins } from '../helpers.ts';
import type { Twins } from '../helpers.ts';
import { closeAll } from '../../helpers/close-all.ts';

let twins: Twins;
let fastapi: RunningFastApi;
before(async () => {
  [twins, fastapi] = await Promise.all([startTwins(), startFastApi()]);
});
after(() => closeAll(twins, fastapi));

const fastApiAudit = (target: string): ReturnType<typeof runAudit> =>
  runAudit({ target, openapi: fastapi.specPath, rate: 2000, maxRequests: 1000, timeoutMs: 5000, only: ['bola'], identities: IDENTITIES });

describe('bola check', () => {
  test("proves read, update and delete of alice's note by bob on the Node fixture, by the canary", async () => {
    const result = await audit(twins.vuln, { only: ['bola'], identities: IDENTITIES });
    const read = findingAt(result, 'bola.read', 'GET', '/notes/{id}');
    assert.ok(read, list(result));
    assert.equal(read.confidence, 'confirmed');
    assert.equal(read.cwe, 639);
    assert.equal(read.owasp, 'API1:2023');
    const canary = /canary (rampart-canary-\S+);/.exec(read.evidence.summary)?.[1];
    assert.ok(canary);
    assert.match(read.evidence.exchanges[1]!.label, /bob reads it/);
    assert.ok(read.evidence.exchanges[1]!.response!.bodyExcerpt.includes(canary), "bob's answer carries alice's canary");
    assert.match(read.evidence.summary, /small integer.*contributing factor/);
    assert.ok(findingAt(result, 'bola.update', 'PUT', '/notes/{id}'), list(result));
    const removed = findingAt(result, 'bola.delete', 'DELETE', '/notes/{id}');
    assert.ok(removed, list(result));
    assert.equal(removed.evidence.exchanges[2]!.response!.status, 404);
    assert.ok(!result.notes.some((n) => n.startsWith('safety:')), result.notes.join('\n'));
  });

  test('reports nothing on the fixed Node twin, where another owner\'s id answers 404', async () => {
    const result = await audit(twins.fixed, { only: ['bola'], identities: IDENTITIES, ca: twins.ca });
    assert.deepEqual(result.checks.ran, ['bola']);
    assert.deepEqual(result.findings, [], list(result));
    assert.ok(!result.notes.some((n) => n.startsWith('safety:')), result.notes.join('\n'));
  });

  test("finds alice's existing statement through her listing and proves bob reads it, without creating anything", async () => {
    const result = await audit(twins.vuln, { only: ['bola'], identities: IDENTITIES });
    const read = findingAt(result, 'bola.read', 'GET', '/statements/{id}');
    assert.ok(read, list(result));
    assert.equal(read.confidence, 'confirmed');
    const [own, other, control, anonymous] = read.evidence.exchanges;
    assert.match(own!.label, /alice reads its object/);
    assert.match(other!.label, /bob reads it/);
    assert.equal(other!.request.url, own!.request.url);
    // The proof is a value of alice's statement other than its id, which bob's own listing lacks.
    assert.ok(other!.response!.bodyExcerpt.includes('alice: 3 orders'), other!.response!.bodyExcerpt);
    assert.ok(!control!.response!.bodyExcerpt.includes('alice:'), control!.response!.bodyExcerpt);
    assert.ok(control!.response!.bodyExcerpt.includes('bob: 2 orders'), 'the control is bob\'s own listing');
    assert.equal(anonymous!.response!.status, 401);
    assert.equal(anonymous!.request.headers.authorization, undefined);
    assert.match(read.evidence.summary, /small integer.*contributing factor/);
    // The create path's stronger proof stands for the notes: no second finding on the same route.
    assert.equal(result.findings.filter((f) => f.id === 'bola.read' && f.affected.some((l) => l.route === '/notes/{id}')).length, 1);
  });

  test("reports no published post, which anyone may read by id (the anonymous control)", async () => {
    const anonymous = await fetch(new URL('posts/1', twins.vuln));
    assert.equal(anonymous.status, 200, 'alice\'s post is public in this fixture');
    const result = await audit(twins.vuln, { only: ['bola'], identities: IDENTITIES });
    assert.equal(findingAt(result, 'bola.read', 'GET', '/posts/{id}'), undefined, list(result));
    assert.ok(!result.notes.some((n) => n.includes('/posts')), result.notes.join('\n'));
  });

  test("reports no shared announcement, which bob's own listing holds too (the listing control)", async () => {
    const result = await audit(twins.vuln, { only: ['bola'], identities: IDENTITIES });
    assert.equal(findingAt(result, 'bola.read', 'GET', '/announcements/{id}'), undefined, list(result));
    assert.ok(result.notes.includes("bola: GET /announcements/{id}: alice's objects could not be read back, or hold no value bob's listing lacks; not tested"), result.notes.join('\n'));
  });

  test("reports none of alice's statements on the fixed Node twin, after reading them as both", async () => {
    const result = await audit(twins.fixed, { only: ['bola'], identities: IDENTITIES, ca: twins.ca });
    assert.equal(findingAt(result, 'bola.read', 'GET', '/statements/{id}'), undefined, list(result));
    assert.ok(!result.notes.some((n) => n.includes('/statements')), result.notes.join('\n'));
  });

  test('reads the objects of bare and enveloped listings', () => {
    assert.deepEqual(listedObjects([{ id: 1 }, 2], '/notes'), [{ id: 1 }]);
    assert.deepEqual(listedObjects({ items: [{ id: 1 }], total: 1 }, '/statements'), [{ id: 1 }]);
    assert.deepEqual(listedObjects({ data: { results: [{ id: 2 }] } }, '/orders'), [{ id: 2 }]);
    assert.deepEqual(listedObjects({ orders: [{ id: 3 }] }, '/v1/orders'), [{ id: 3 }]);
    assert.deepEqual(listedObjects({ total: 0 }, '/orders'), []);
  });

  test('never takes the id, or short common values, as proof of whose object it is', () => {
    assert.deepEqual(distinctiveValues({ id: 'a1b2c3d4', status: 'new', note: 'leave at door', tags: ['garden'] }, 'a1b2c3d4'), ['leave at door', 'garden']);
  });

  test('proves the same flaws on the FastAPI fixture (Location header, FastAPI-generated spec)', async () => {
    const result = await fastApiAudit(fastapi.vuln);
    for (const [rule, method] of [['bola.read', 'GET'], ['bola.update', 'PUT'], ['bola.delete', 'DELETE']] as const) {
      assert.ok(findingAt(result, rule, method, '/notes/{note_id}'), `${rule}\n${list(result)}`);
    }
  });

  test('reports nothing on the fixed FastAPI twin', async () => {
    const result = await fastApiAudit(fastapi.fixed);
    assert.deepEqual(result.findings, [], list(result));
    assert.deepEqual(result.checks.ran, ['bola']);
  });
});
