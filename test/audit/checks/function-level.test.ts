import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { adminReason } from '../../../src/audit/checks/function-level.ts';
import { loadSpecFile } from '../../../src/audit/spec/load.ts';
import { audit, describe as list, findingAt, IDENTITIES, SPEC_PATH, startTwins } from '../helpers.ts';
import type { Twins } from '../helpers.ts';
import { closeAll } from '../../helpers/close-all.ts';

let twins: Twins;
before(async () => {
  twins = await startTwins();
});
after(() => closeAll(twins));

describe('function-level check', () => {
  test('proves that an ordinary user reads the admin route, with the same answer the admin gets', async () => {
    const result = await audit(twins.vuln, { only: ['function-level'], identities: IDENTITIES });
    const finding = findingAt(result, 'function-level.admin-route', 'GET', '/admin/users');
    assert.ok(finding, list(result));
    assert.equal(finding.confidence, 'confirmed');
    assert.equal(finding.cwe, 285);
    assert.equal(finding.owasp, 'API5:2023');
    assert.match(finding.evidence.summary, /alice got 200 with data, the same answer the admin gets/);
    assert.equal(finding.evidence.exchanges.length, 2);
  });

  test('without an admin identity the proof is firm: data where an anonymous caller is refused', async () => {
    const result = await audit(twins.vuln, { only: ['function-level'], identities: IDENTITIES.filter((i) => i.role === 'user') });
    const finding = findingAt(result, 'function-level.admin-route', 'GET', '/admin/users');
    assert.ok(finding, list(result));
    assert.equal(finding.confidence, 'firm');
    assert.match(finding.evidence.summary, /anonymous caller gets 401/);
  });

  test('reports nothing on the fixed twin, which answers 403 to users', async () => {
    const result = await audit(twins.fixed, { only: ['function-level'], identities: IDENTITIES, ca: twins.ca });
    assert.deepEqual(result.findings, [], list(result));
  });

  test('admin routes are known from path segments, tags and scopes', async () => {
    const spec = await loadSpecFile(SPEC_PATH);
    const reason = (path: string): string | undefined => adminReason(spec, spec.operations.find((o) => o.path === path && o.method === 'GET')!);
    assert.match(reason('/admin/users')!, /admin segment/);
    assert.equal(reason('/notes'), undefined);
    assert.equal(reason('/items'), undefined);
  });
});
