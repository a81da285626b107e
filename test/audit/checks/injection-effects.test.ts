// Injection beyond SQL, each proven by an effect: the Flask fixture's ping route runs the host in a
// (boxed) shell, its welcome preview makes the name part of a Jinja template, its login pastes the
// values into SQL and its mobile login passes JSON objects to a Mongo-style query. The fixed twin
// answers the same probes without computing or signing anyone in.
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { SYNTAXES } from '../../../src/audit/checks/injection-effects.ts';
import { runAudit } from '../../../src/audit/engine.ts';
import type { AuditResult } from '../../../src/audit/engine.ts';
import { startFlask } from '../../fixtures/vulnerable-flask/start.ts';
import type { RunningFlask } from '../../fixtures/vulnerable-flask/start.ts';
import { closeAll } from '../../helpers/close-all.ts';
import { docsPage } from '../../helpers/readme.ts';
import { describe as list, findingAt } from '../helpers.ts';
import { flaskIdentities } from './fixture-identities.ts';

let flask: RunningFlask;
before(async () => {
  flask = await startFlask();
});
after(() => closeAll(flask));

const RULES = ['injection.os-command', 'injection.template', 'injection.sql-login-bypass', 'injection.nosql'];

async function injectionAudit(base: string): Promise<AuditResult> {
  return runAudit({ target: base, openapi: flask.specPath, rate: 2000, maxRequests: 3000, timeoutMs: 5000, maxRetryWaitMs: 2000, only: ['injection'], identities: await flaskIdentities(flask, base, ['alice', 'bob']) });
}

describe('injection proven by an effect', { timeout: 120_000 }, () => {
  test('Flask vulnerable twin: the shell and the template compute the product of two primes; the logins hand out tokens for a tautology and an operator object', async () => {
    const result = await injectionAudit(flask.vuln);
    const command = findingAt(result, 'injection.os-command', 'GET', '/api/diagnostics/ping');
    assert.ok(command, list(result));
    assert.equal(command.affected[0]?.parameter, 'host');
    assert.equal(command.cwe, 78);
    // The product is in the answer, the expression that asked for it in the request.
    const first = command.evidence.exchanges[1];
    const [, a, b] = /(\d+)\*(\d+)$/.exec(first?.label ?? '') ?? [];
    assert.ok(first?.response?.bodyExcerpt.includes(String(Number(a) * Number(b))), JSON.stringify(first));
    assert.match(command.evidence.summary, /as identity alice/);
    const template = findingAt(result, 'injection.template', 'GET', '/api/preview/welcome-email');
    assert.ok(template, list(result));
    assert.equal(template.affected[0]?.parameter, 'name');
    assert.match(template.evidence.summary, /template expressions/);
    const sql = findingAt(result, 'injection.sql-login-bypass', 'POST', '/api/auth/login');
    assert.ok(sql, list(result));
    assert.equal(sql.evidence.exchanges[0]?.response?.status, 401);
    const nosql = findingAt(result, 'injection.nosql', 'POST', '/api/mobile/login');
    assert.ok(nosql, list(result));
    assert.match(nosql.evidence.exchanges[1]?.request.bodyExcerpt ?? '', /"\$ne"/);
    // The tokens the bypasses obtained are someone's credentials: masked.
    for (const finding of [sql, nosql]) assert.doesNotMatch(JSON.stringify(finding.evidence), /eyJ[\w-]+\.eyJ[\w-]+\.[\w-]{10,}/);
    // Nothing else of these kinds: the other routes do not compute the product.
    const extra = result.findings.filter((f) => RULES.includes(f.id)).flatMap((f) => f.affected.map((l) => `${f.id} ${l.method} ${l.route}`));
    assert.deepEqual(extra.sort(), ['injection.nosql POST /api/mobile/login', 'injection.os-command GET /api/diagnostics/ping', 'injection.sql-login-bypass POST /api/auth/login', 'injection.template GET /api/preview/welcome-email']);
  });

  test('Flask fixed twin: the same probes; nothing computed, nobody signed in', async () => {
    const result = await injectionAudit(flask.fixed);
    assert.deepEqual(result.findings.filter((f) => RULES.includes(f.id)), [], list(result));
  });

  test('the payloads ask for a product they do not contain, and never name a file or a program but echo', () => {
    for (const syntax of SYNTAXES) {
      const payload = syntax.payload('x', 7919, 7927);
      assert.ok(payload.includes('7919*7927') || payload.includes('7919 * 7927'), payload);
      assert.ok(!payload.includes(String(7919 * 7927)), payload);
      assert.doesNotMatch(payload, /\/|\b(?:cat|ls|rm|curl|wget|sleep|ping)\b/);
    }
  });

  test('docs/auditor.md says so', () => {
    assert.ok(docsPage('auditor.md').replace(/\s+/g, ' ').includes('proves each flaw by an effect, never by a status code'));
  });
});
