// Issue 20's checks on the Express fixture (TaskBoard), each against the vulnerable twin and its
// fixed twin: CORS (any origin reflected only by the preflight; the plain-http twin of the front
// end's origin trusted with credentials), a debug dump among the spec's own routes.
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { downgraded, mentionedOrigins } from '../../../src/audit/checks/cors.ts';
import { runAudit } from '../../../src/audit/engine.ts';
import type { AuditResult } from '../../../src/audit/engine.ts';
import type { IdentitySpec } from '../../../src/audit/identities/config.ts';
import { startExpress } from '../../fixtures/vulnerable-express/start.ts';
import type { RunningExpress } from '../../fixtures/vulnerable-express/start.ts';
import { closeAll } from '../../helpers/close-all.ts';
import { describe as list, findingAt } from '../helpers.ts';
import { expressIdentities } from './fixture-identities.ts';

let fx: RunningExpress;
before(async () => {
  fx = await startExpress();
});
after(() => closeAll(fx));

function checkAudit(base: string, only: string[], identities: IdentitySpec[] = []): Promise<AuditResult> {
  return runAudit({ target: base, openapi: fx.specPath, rate: 2000, maxRequests: 3000, timeoutMs: 5000, maxRetryWaitMs: 2000, only, identities });
}

function corsAudit(base: string): Promise<AuditResult> {
  return checkAudit(base, ['cors']);
}

describe('cors on the Express fixture', () => {
  test('a preflight that reflects any origin with credentials, and the http:// twin of the front end trusted', async () => {
    const result = await corsAudit(fx.vuln);
    const any = result.findings.find((f) => f.id === 'cors.any-origin-credentials');
    assert.ok(any, list(result));
    const proof = any.evidence.exchanges[0]!;
    assert.equal(proof.request.method, 'OPTIONS');
    assert.equal(proof.response!.headers['access-control-allow-origin'], proof.request.headers.origin);
    const insecure = result.findings.find((f) => f.id === 'cors.insecure-origin-credentials');
    assert.ok(insecure, list(result));
    assert.equal(insecure.evidence.exchanges[1]!.request.headers.origin, 'http://app.taskboard.example');
    assert.equal(insecure.evidence.exchanges[1]!.response!.headers['access-control-allow-credentials'], 'true');
    assert.deepEqual([...new Set(result.findings.map((f) => f.id))].sort(), ['cors.any-origin-credentials', 'cors.insecure-origin-credentials']);
  });

  test('the fixed twin: nothing, with the same probes', async () => {
    const result = await corsAudit(fx.fixed);
    assert.deepEqual(result.findings, [], list(result));
  });

  test('origins named in text, and the plain-http twin of an https origin', () => {
    assert.deepEqual(mentionedOrigins('Front end: https://app.example.com/dashboard, docs at http://docs.example.com:8080.'), ['https://app.example.com', 'http://docs.example.com:8080']);
    assert.equal(downgraded('https://app.example.com'), 'http://app.example.com');
    assert.equal(downgraded('http://app.example.com'), undefined);
  });
});

describe('inventory on the Express fixture', () => {
  test('the expvar-style dump the spec lists as an ordinary route is a debug endpoint; its secrets are masked', async () => {
    const result = await checkAudit(fx.vuln, ['inventory']);
    const debug = findingAt(result, 'inventory.debug-endpoint', 'GET', '/internal/debug/vars');
    assert.ok(debug, list(result));
    assert.doesNotMatch(JSON.stringify(debug.evidence), /secret123|hunter2/);
    const fixed = await checkAudit(fx.fixed, ['inventory']);
    assert.deepEqual(fixed.findings, [], list(fixed));
  });
});

describe('page size as an identity on the Express fixture', () => {
  test('a protected listing honours per_page far beyond its default page; the fixed twin refuses it', async () => {
    const result = await checkAudit(fx.vuln, ['resources'], await expressIdentities(fx, fx.vuln, ['alice', 'bob']));
    const page = findingAt(result, 'resources.page-size', 'GET', '/tasks');
    assert.ok(page, list(result));
    assert.equal(page.affected[0]!.parameter, 'per_page');
    assert.match(page.evidence.summary, /as identity alice/);
    const fixed = await checkAudit(fx.fixed, ['resources'], await expressIdentities(fx, fx.fixed, ['alice', 'bob']));
    assert.equal(findingAt(fixed, 'resources.page-size', 'GET', '/tasks'), undefined, list(fixed));
  });
});

describe('edge numbers on the Express fixture', () => {
  test('days=Infinity crashes the burndown report every time, its ordinary value does not; the fixed twin refuses it with 400', async () => {
    const result = await checkAudit(fx.vuln, ['errors'], await expressIdentities(fx, fx.vuln, ['alice', 'bob']));
    const crash = findingAt(result, 'errors.edge-value-crash', 'GET', '/reports/burndown');
    assert.ok(crash, list(result));
    assert.equal(crash.affected[0]!.parameter, 'days');
    assert.match(crash.evidence.summary, /days = Infinity made \/reports\/burndown answer 500, twice in a row/);
    assert.ok(findingAt(result, 'errors.stack-trace', 'GET', '/reports/burndown'), list(result));
    const fixed = await checkAudit(fx.fixed, ['errors'], await expressIdentities(fx, fx.fixed, ['alice', 'bob']));
    assert.deepEqual(fixed.findings, [], list(fixed));
  });
});
