import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { runAudit } from '../../../src/audit/engine.ts';
import { startFastApi } from '../../fixtures/vulnerable-fastapi/start.ts';
import type { RunningFastApi } from '../../fixtures/vulnerable-fastapi/start.ts';
import { audit, describe as list, findingAt, IDENTITIES, startTwins } from '../helpers.ts';
import type { Twins } from '../helpers.ts';

let twins: Twins;
let fastapi: RunningFastApi;
before(async () => {
  [twins, fastapi] = await Promise.all([startTwins(), startFastApi()]);
});
after(async () => {
  await Promise.all([twins.close(), fastapi.close()]);
});

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
