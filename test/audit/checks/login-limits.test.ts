// Login rate limits on the Flask and Express fixtures (issue 19): a lock per name is not a limit
// per client. The burst sends wrong passwords, each for another name no one has (nothing to lock,
// nothing to change): the vulnerable Express twin, locking names only, and the vulnerable Flask
// twin, limiting nothing, are reported; both fixed twins limit the client and are not.
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { runAudit } from '../../../src/audit/engine.ts';
import type { AuditResult } from '../../../src/audit/engine.ts';
import type { Finding } from '../../../src/audit/finding.ts';
import { startExpress } from '../../fixtures/vulnerable-express/start.ts';
import type { RunningExpress } from '../../fixtures/vulnerable-express/start.ts';
import { startFlask } from '../../fixtures/vulnerable-flask/start.ts';
import type { RunningFlask } from '../../fixtures/vulnerable-flask/start.ts';
import { closeAll } from '../../helpers/close-all.ts';
import { describe as list } from '../helpers.ts';

let express: RunningExpress;
let flask: RunningFlask;
before(async () => {
  [express, flask] = await Promise.all([startExpress(), startFlask()]);
});
after(() => closeAll(express, flask));

const resources = (base: string, specPath: string): Promise<AuditResult> =>
  runAudit({ target: base, openapi: specPath, rate: 2000, maxRequests: 3000, timeoutMs: 5000, maxRetryWaitMs: 2000, only: ['resources'] });

const limits = (result: AuditResult): Finding[] => result.findings.filter((f) => f.id === 'resources.rate-limit');

/** Each exchange of the proof names another user. */
function namesOf(finding: Finding, field: string): Set<unknown> {
  return new Set(finding.evidence.exchanges.map((e) => (JSON.parse(e.request.bodyExcerpt ?? '{}') as Record<string, unknown>)[field]));
}

describe('login rate limits, per client and not per name', () => {
  test('Express: wrong sign-ins for ever new names are never limited on the vulnerable twin (its only lock is per name); the fixed twin limits the client', async () => {
    const vuln = await resources(express.vuln, express.specPath);
    const burst = limits(vuln).find((f) => f.affected.some((l) => l.method === 'POST' && l.route === express.login.path));
    assert.ok(burst, list(vuln));
    assert.equal(namesOf(burst, express.login.userField).size, burst.evidence.exchanges.length, 'another name each time');
    const fixed = await resources(express.fixed, express.specPath);
    assert.deepEqual(limits(fixed), [], list(fixed));
  });

  test('Flask: both logins unlimited on the vulnerable twin; the fixed twin, which locks names and limits the client, is not reported', async () => {
    const vuln = await resources(flask.vuln, flask.specPath);
    const routes = limits(vuln).flatMap((f) => f.affected.map((l) => `${l.method} ${l.route}`)).sort();
    assert.deepEqual(routes, ['POST /api/auth/login', 'POST /api/mobile/login'], list(vuln));
    for (const finding of limits(vuln)) assert.ok(namesOf(finding, finding.location.route === '/api/auth/login' ? 'user' : 'email').size > 1);
    const fixed = await resources(flask.fixed, flask.specPath);
    assert.deepEqual(limits(fixed), [], list(fixed));
  });
});
