// Data exposure beyond what an identity reads (issue 20 item 4): passwords served as typed (the
// Flask fixture's member listing), and public routes read as anyone (the no-spec fixture's
// reviews name their authors with email and phone). The fixed twins serve neither.
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { findOthersPersonalData, findSecrets } from '../../../src/audit/checks/data-exposure.ts';
import { runAudit } from '../../../src/audit/engine.ts';
import type { AuditResult } from '../../../src/audit/engine.ts';
import type { IdentitySpec } from '../../../src/audit/identities/config.ts';
import { startFlask } from '../../fixtures/vulnerable-flask/start.ts';
import type { RunningFlask } from '../../fixtures/vulnerable-flask/start.ts';
import { startNoSpec } from '../../fixtures/nospec-express/start.ts';
import type { RunningNoSpec } from '../../fixtures/nospec-express/start.ts';
import { closeAll } from '../../helpers/close-all.ts';
import { docsPage } from '../../helpers/readme.ts';
import { describe as list, findingAt } from '../helpers.ts';
import { flaskIdentities } from './fixture-identities.ts';

let flask: RunningFlask;
let shop: RunningNoSpec;
before(async () => {
  [flask, shop] = await Promise.all([startFlask(), startNoSpec()]);
});
after(() => closeAll(flask, shop));

async function flaskAudit(base: string): Promise<AuditResult> {
  return runAudit({ target: base, openapi: flask.specPath, rate: 2000, maxRequests: 2000, timeoutMs: 5000, only: ['data-exposure'], identities: await flaskIdentities(flask, base, ['alice', 'bob']) });
}

function shopIdentities(): IdentitySpec[] {
  return (['alice', 'bob'] as const).map((name) => ({
    name,
    role: 'user',
    credential: { kind: 'login', username: name, password: shop.users[name].password, tokenUrl: shop.login.path, body: 'json', userField: shop.login.userField, passwordField: shop.login.passwordField, tokenField: shop.login.tokenField, tokenHeader: shop.login.tokenHeader, tokenScheme: 'none' },
  }));
}

function shopAudit(base: string): Promise<AuditResult> {
  return runAudit({ target: base, openapi: shop.fullSpecPath, rate: 2000, maxRequests: 2000, timeoutMs: 5000, only: ['data-exposure'], identities: shopIdentities() });
}

describe('data exposure: plaintext passwords and public routes', { timeout: 120_000 }, () => {
  test('Flask vulnerable twin: GET /api/users serves every password as typed; the report names the field, never the passwords', async () => {
    const result = await flaskAudit(flask.vuln);
    const finding = findingAt(result, 'data-exposure.plaintext-password', 'GET', '/api/users');
    assert.ok(finding, list(result));
    assert.equal(finding.cwe, 256);
    assert.match(finding.evidence.summary, /passwords in plain text \(pass\)/);
    const shown = JSON.stringify(finding.evidence);
    for (const name of ['alice', 'bob', 'admin'] as const) assert.ok(!shown.includes(flask.users[name].password), name);
  });

  test('Flask fixed twin: no password of any kind', async () => {
    const result = await flaskAudit(flask.fixed);
    assert.deepEqual(result.findings.filter((f) => f.id === 'data-exposure.plaintext-password'), [], list(result));
  });

  test("no-spec fixture, vulnerable twin: the public reviews name their authors' emails and phones, read as anyone", async () => {
    const result = await shopAudit(shop.vuln);
    const finding = findingAt(result, 'data-exposure.personal-data', 'GET', '/api/reviews');
    assert.ok(finding, list(result));
    assert.match(finding.evidence.summary, /asked by anyone \(no credentials\)/);
    assert.equal(finding.evidence.exchanges[0]?.request.headers['x-auth-token'], undefined);
  });

  test('no-spec fixture, fixed twin: the reviews name their authors only', async () => {
    const result = await shopAudit(shop.fixed);
    assert.equal(findingAt(result, 'data-exposure.personal-data', 'GET', '/api/reviews'), undefined, list(result));
  });

  test('judgement: a password field of an account record is plaintext unless it holds a hash, a digest or a mask; authors inside items are people', () => {
    assert.deepEqual(findSecrets({ user: 'a', pass: 'hunter2-Pw' }).map((e) => e.kind), ['plaintext-password']);
    for (const value of ['', '********', 'd41d8cd98f00b204e9800998ecf8427e', '{SSHA}W6ph5Mm5Pz8GgiULbPgzG37mj9g=', '$2b$12$KIXQJ1l7sH3dFjA9s0Yq6eD8M9a7Jf0rT9xk3Yb5Q2Wq1zP6nLm2u']) {
      assert.ok(!findSecrets({ user: 'a', password: value }).some((e) => e.kind === 'plaintext-password'), value);
    }
    assert.deepEqual(findSecrets({ password_policy: 'at least 12 characters' }), []);
    assert.deepEqual(findSecrets({ password: 'required' }), [], 'outside an account record: a message, not a password');
    const reviews = [
      { id: 1, stars: 5, author: { id: 1, login: 'alice', email: 'alice@shop.example' } },
      { id: 2, stars: 3, author: { id: 2, login: 'bob', email: 'bob@shop.example' } },
    ];
    assert.equal(findOthersPersonalData(reviews)?.field, 'email');
    assert.equal(findOthersPersonalData(reviews.map((r) => ({ ...r, author: { id: r.author.id, login: r.author.login } }))), undefined);
  });

  test('docs/auditor.md says so', () => {
    assert.ok(docsPage('auditor.md').replace(/\s+/g, ' ').includes('passwords served as typed (`data-exposure.plaintext-password`'));
  });
});
