// Logout that does not revoke (authentication.logout-not-revoking): the Flask fixture's vulnerable
// twin only clears its cookie at POST /api/auth/logout, so the token keeps working; the fixed twin
// revokes it. The audit logs out only a session it opened itself (as a login identity, or as its
// own account when the identities were given as tokens), never an identity's own.
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { runAudit } from '../../../src/audit/engine.ts';
import type { AuditResult } from '../../../src/audit/engine.ts';
import type { Exchange } from '../../../src/audit/finding.ts';
import type { IdentitySpec } from '../../../src/audit/identities/config.ts';
import { SafetyPolicy } from '../../../src/audit/safety/policy.ts';
import { loadSpecFile } from '../../../src/audit/spec/load.ts';
import { Target } from '../../../src/audit/target.ts';
import { startFlask } from '../../fixtures/vulnerable-flask/start.ts';
import type { RunningFlask } from '../../fixtures/vulnerable-flask/start.ts';
import { call } from '../../fixtures-check/http.ts';
import { closeAll } from '../../helpers/close-all.ts';
import { docsPage } from '../../helpers/readme.ts';
import { describe as list, findingAt } from '../helpers.ts';
import { flaskIdentities } from './fixture-identities.ts';

let flask: RunningFlask;
before(async () => {
  flask = await startFlask();
});
after(() => closeAll(flask));

function logins(): IdentitySpec[] {
  return (['alice', 'bob'] as const).map((name) => ({ name, role: 'user', credential: { kind: 'login', username: name, password: flask.users[name].password } }));
}

function authAudit(base: string, identities: IdentitySpec[]): Promise<AuditResult> {
  return runAudit({ target: base, openapi: flask.specPath, rate: 2000, maxRequests: 3000, timeoutMs: 5000, maxRetryWaitMs: 2000, only: ['authentication'], identities });
}

describe('logout that does not revoke', { timeout: 120_000 }, () => {
  test('Flask vulnerable twin: the token of a session the audit logged out still reads /api/me; the proof is before, logout, after', async () => {
    const result = await authAudit(flask.vuln, logins());
    const finding = findingAt(result, 'authentication.logout-not-revoking', 'POST', '/api/auth/logout');
    assert.ok(finding, list(result));
    assert.equal(finding.cwe, 613);
    assert.equal(finding.evidence.exchanges.length, 3);
    const [before, logout, again] = finding.evidence.exchanges as [Exchange, Exchange, Exchange];
    assert.equal(before.response?.status, 200);
    assert.equal(logout.request.method, 'POST');
    assert.equal(logout.response?.status, 200);
    assert.equal(again.response?.status, 200);
    assert.equal(new URL(again.request.url).pathname, new URL(before.request.url).pathname);
    // The fresh session's token is masked like every credential.
    assert.doesNotMatch(JSON.stringify(finding.evidence), /eyJ[\w-]+\.eyJ[\w-]+\.[\w-]{10,}/);
    // The logout is in the ledger, as the end of a session the audit opened.
    const write = result.writes.find((w) => w.route === '/api/auth/logout');
    assert.ok(write, JSON.stringify(result.writes));
    assert.equal(write.restored, 'nothing to restore: it ended a session the audit opened for itself');
    assert.match(write.identity, /^alice \(a session of its own\)$/);
    // The identities' own sessions were never logged out: alice still reads her profile with her token.
    const login = await call(flask.vuln, 'POST', '/api/auth/login', { body: { user: 'alice', pass: flask.users.alice.password } });
    assert.equal((await call(flask.vuln, 'GET', '/api/me', { token: login.json.data.jwt as string })).status, 200);
  });

  test('Flask fixed twin: the logged-out token is refused; nothing is reported', async () => {
    const result = await authAudit(flask.fixed, logins());
    assert.equal(findingAt(result, 'authentication.logout-not-revoking', 'POST', '/api/auth/logout'), undefined, list(result));
    assert.ok(result.writes.some((w) => w.route === '/api/auth/logout' && w.answer === 200), JSON.stringify(result.writes));
  });

  test("identities given as tokens are never logged out: the audit's own account opens the session it logs out", async () => {
    // The Flask sign-up leaves its accounts behind, so the audit's own account needs --unsafe.
    const result = await runAudit({ target: flask.vuln, openapi: flask.specPath, rate: 2000, maxRequests: 3000, timeoutMs: 5000, only: ['authentication'], unsafe: ['POST /api/auth/register'], identities: await flaskIdentities(flask, flask.vuln, ['alice', 'bob']) });
    const logouts = result.writes.filter((w) => w.route === '/api/auth/logout');
    assert.ok(logouts.length > 0, JSON.stringify(result.writes));
    for (const write of logouts) {
      assert.match(write.identity, /\(a session of its own\)$/);
      assert.doesNotMatch(write.identity, /^(?:alice|bob)\b/);
    }
    assert.ok(findingAt(result, 'authentication.logout-not-revoking', 'POST', '/api/auth/logout'), list(result));
  });

  test('without a login identity or a sign-up, the logout is not called, and the note says why', async () => {
    // The same fixture, its sign-up left out of the spec: no account of the audit's own either.
    const dir = mkdtempSync(join(tmpdir(), 'rampart-logout-'));
    try {
      const spec = JSON.parse(readFileSync(flask.specPath, 'utf8')) as { paths: Record<string, unknown> };
      delete spec.paths['/api/auth/register'];
      const specPath = join(dir, 'openapi.json');
      writeFileSync(specPath, JSON.stringify(spec));
      const sent: string[] = [];
      const result = await runAudit(
        { target: flask.vuln, openapi: specPath, specOnly: true, rate: 2000, maxRequests: 3000, timeoutMs: 5000, only: ['authentication'], identities: await flaskIdentities(flask, flask.vuln, ['alice', 'bob']) },
        { onRequest: (request) => sent.push(new URL(request.url).pathname) },
      );
      assert.ok(!sent.some((path) => path.endsWith('/api/auth/logout')), sent.join('\n'));
      assert.ok(result.notes.some((n) => /^authentication: logout: POST \/api\/auth\/logout not probed: no identity logs in and the target offers no sign-up for an account of the audit's own; the audit logs out only a session it opened itself/.test(n)), result.notes.join('\n'));
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  test('safety policy: a logout is refused unless it carries a session the run opened for itself', async () => {
    const spec = await loadSpecFile(flask.specPath);
    const target = new Target(new URL(flask.vuln), spec);
    const policy = new SafetyPolicy({ spec, target, own: () => false });
    const url = target.url('/api/auth/logout');
    const refused = policy.judge({ method: 'POST', url, identity: 'alice' });
    assert.equal(refused.send, false);
    assert.match(refused.reason, /says "log out"/);
    assert.deepEqual(policy.judge({ method: 'POST', url, identity: 'alice (a session of its own)', ownSession: true }), { send: true, write: true });
    // Not a way around the policy for anything else, nor in a burst.
    assert.equal(policy.judge({ method: 'POST', url: target.url('/api/admin/reset-demo'), identity: 'alice', ownSession: true }).send, false);
    assert.equal(policy.judge({ method: 'POST', url, ownSession: true, burst: true }).send, false);
  });

  test('docs/auditor.md says so', () => {
    const page = docsPage('auditor.md').replace(/\s+/g, ' ');
    assert.ok(page.includes('`authentication` logs out only a session it opened itself'));
    assert.ok(page.includes("when none logs in, the audit's own account (from the target's sign-up) opens the session instead."));
  });
});
