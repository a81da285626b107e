import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { raisedValue } from '../../../src/audit/checks/mass-assignment.ts';
import { runAudit } from '../../../src/audit/engine.ts';
import { startFastApi } from '../../fixtures/vulnerable-fastapi/start.ts';
import type { RunningFastApi } from '../../fixtures/vulnerable-fastapi/start.ts';
import { startVulnerableApi, SPEC_PATH, VULN, FIXED } from '../../fixtures/vulnerable-api/server.ts';
import type { RunningFixture } from '../../fixtures/vulnerable-api/server.ts';
import { describe as list, findingAt, IDENTITIES } from '../helpers.ts';
import { closeAll } from '../../helpers/close-all.ts';

let node: RunningFixture;
let fastapi: RunningFastApi;
before(async () => {
  [node, fastapi] = await Promise.all([startVulnerableApi(), startFastApi()]);
});
after(() => closeAll(node, fastapi));

/** PATCH /me writes to a given identity: only with --unsafe naming it (issue 19 item 4). */
const run = (target: string, openapi: string, unsafe: string[] = ['PATCH /me']): ReturnType<typeof runAudit> =>
  runAudit({ target, openapi, rate: 2000, maxRequests: 1000, timeoutMs: 5000, only: ['mass-assignment'], identities: IDENTITIES, unsafe });

describe('mass-assignment check', () => {
  test('proves that PATCH /me sets the role on the Node fixture, then restores it and verifies', async () => {
    const result = await run(`${node.httpOrigin}${VULN}/`, SPEC_PATH);
    const finding = findingAt(result, 'mass-assignment.update', 'PATCH', '/me');
    assert.ok(finding, list(result));
    assert.equal(finding.location.parameter, 'role');
    assert.equal(finding.cwe, 915);
    assert.match(finding.evidence.summary, /role: "user" → "admin".*restored and read back/);
    assert.match(finding.evidence.exchanges[2]!.response!.bodyExcerpt, /"role":"admin"/);
    assert.equal(node.snapshot().vuln.accounts.users.find((u) => u.username === 'alice')!.role, 'user', 'restored');
    assert.ok(!result.notes.some((n) => /RESTORE FAILED/.test(n)), result.notes.join('\n'));
  });

  test('without --unsafe, privileged fields are never sent to a given identity; the note says so', async () => {
    const result = await run(`${node.httpOrigin}${VULN}/`, SPEC_PATH, []);
    assert.deepEqual(result.findings, [], list(result));
    assert.ok(result.notes.some((n) => /PATCH \/me: privileged fields not tried on alice, an identity the audit was given/.test(n)), result.notes.join('\n'));
    // The protection probe's anonymous, unparseable PATCH is in the ledger; no identity wrote.
    assert.deepEqual(result.writes.filter((w) => w.route === '/me' && w.identity !== 'anonymous'), []);
  });

  test('reports nothing on the fixed Node twin, which rejects unknown fields', async () => {
    const result = await run(`${node.httpOrigin}${FIXED}/`, SPEC_PATH);
    assert.deepEqual(result.findings, [], list(result));
    assert.deepEqual(result.checks.ran, ['mass-assignment']);
  });

  test('proves the same on the FastAPI fixture, and nothing on its fixed twin', async () => {
    const vulnerable = await run(fastapi.vuln, fastapi.specPath);
    assert.ok(findingAt(vulnerable, 'mass-assignment.update', 'PATCH', '/me'), list(vulnerable));
    const state = (await fastapi.state()) as { vuln: { users: { username: string; role: string }[] } };
    assert.equal(state.vuln.users.find((u) => u.username === 'alice')!.role, 'user', 'restored');
    const fixed = await run(fastapi.fixed, fastapi.specPath);
    assert.deepEqual(fixed.findings, [], list(fixed));
  });

  test('only ever raises a privilege, never lowers one (no probe can lock an identity out), and only to a value the target accepts', () => {
    const roles = ['user', 'editor', 'admin'];
    assert.equal(raisedValue('role', 'user', roles), 'editor');
    assert.equal(raisedValue('role', 'user', ['user', 'admin']), 'admin');
    assert.equal(raisedValue('role', 'user'), undefined, 'no value known: nothing is sent (never a made-up "admin")');
    assert.equal(raisedValue('role', 'user', ['user', 'member']), undefined);
    assert.equal(raisedValue('role', 'admin', ['admin']), undefined);
    assert.equal(raisedValue('is_admin', false), true);
    assert.equal(raisedValue('verified', true), undefined);
    assert.equal(raisedValue('balance', 5), 1005);
    assert.equal(raisedValue('balance', 5, undefined, 100), 100, 'within a declared maximum');
    assert.equal(raisedValue('balance', 100, undefined, 100), undefined);
    assert.deepEqual(raisedValue('scopes', ['read'], ['read', 'write', 'admin']), ['read', 'admin']);
    assert.equal(raisedValue('scopes', ['read']), undefined);
    assert.equal(raisedValue('nickname', 'x', roles), undefined);
  });
});
