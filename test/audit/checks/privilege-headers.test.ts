// Privilege taken from a request header (function-level.header-privilege): the Express fixture's
// GET /admin/users believes `X-User-Role: admin` from any signed-in caller; its fixed twin does
// not. Reads only; the evidence is refused without the header and with a junk value, 2xx with it.
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { runAudit } from '../../../src/audit/engine.ts';
import type { AuditResult } from '../../../src/audit/engine.ts';
import type { Exchange } from '../../../src/audit/finding.ts';
import { startExpress } from '../../fixtures/vulnerable-express/start.ts';
import type { RunningExpress } from '../../fixtures/vulnerable-express/start.ts';
import { closeAll } from '../../helpers/close-all.ts';
import { docsPage } from '../../helpers/readme.ts';
import { describe as list, findingAt } from '../helpers.ts';
import { expressIdentities } from './fixture-identities.ts';

let fx: RunningExpress;
before(async () => {
  fx = await startExpress();
});
after(() => closeAll(fx));

async function levelAudit(base: string): Promise<{ result: AuditResult; methods: string[] }> {
  const methods: string[] = [];
  const result = await runAudit(
    { target: base, openapi: fx.specPath, rate: 2000, maxRequests: 2000, timeoutMs: 5000, only: ['function-level'], identities: await expressIdentities(fx, base) },
    { onRequest: (request, purpose) => { if (/privilege header|with x-/.test(purpose ?? '')) methods.push(request.method); } },
  );
  return { result, methods };
}

describe('privilege headers', { timeout: 120_000 }, () => {
  test('Express vulnerable twin: X-User-Role: admin lets an ordinary user read GET /admin/users', async () => {
    const { result, methods } = await levelAudit(fx.vuln);
    const route = `/${fx.names.admin}/${fx.names.users}`;
    const finding = findingAt(result, 'function-level.header-privilege', 'GET', route);
    assert.ok(finding, list(result));
    assert.equal(finding.cwe, 290);
    assert.equal(finding.evidence.exchanges.length, 3);
    const [without, withHeader, control] = finding.evidence.exchanges as [Exchange, Exchange, Exchange];
    assert.equal(without.response?.status, 403);
    assert.equal(withHeader.request.headers['x-user-role'], 'admin');
    assert.equal(withHeader.response?.status, 200);
    assert.equal(control.response?.status, 403);
    assert.ok(methods.length > 0 && methods.every((m) => m === 'GET'), methods.join(','));
  });

  test('Express fixed twin: no header opens anything', async () => {
    const { result } = await levelAudit(fx.fixed);
    assert.deepEqual(result.findings.filter((f) => f.id === 'function-level.header-privilege'), [], list(result));
  });

  test('docs/auditor.md says so', () => {
    assert.ok(docsPage('auditor.md').replace(/\s+/g, ' ').includes('headers a client sets (`X-User-Role: admin`, `X-Admin: true`, `X-User-Id: 1`'));
  });
});
