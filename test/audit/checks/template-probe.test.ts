// An unclosed template tag in a string query parameter (errors check): where the value becomes
// template source, the engine's parser fails, and the Flask fixture's welcome preview then shows
// Werkzeug's debugger page (errors.debug-page). Its fixed twin renders the value as text.
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { runAudit } from '../../../src/audit/engine.ts';
import type { AuditResult } from '../../../src/audit/engine.ts';
import { startFlask } from '../../fixtures/vulnerable-flask/start.ts';
import type { RunningFlask } from '../../fixtures/vulnerable-flask/start.ts';
import { closeAll } from '../../helpers/close-all.ts';
import { docsPage } from '../../helpers/readme.ts';
import { describe as list, findingAt } from '../helpers.ts';

let flask: RunningFlask;
before(async () => {
  flask = await startFlask();
});
after(() => closeAll(flask));

function errorsAudit(base: string): Promise<AuditResult> {
  return runAudit({ target: base, openapi: flask.specPath, rate: 2000, maxRequests: 3000, timeoutMs: 5000, only: ['errors'] });
}

describe('an unclosed template tag', { timeout: 120_000 }, () => {
  test('Flask vulnerable twin: the welcome preview fails in Jinja and serves the debugger page', async () => {
    const result = await errorsAudit(flask.vuln);
    const finding = findingAt(result, 'errors.debug-page', 'GET', '/api/preview/welcome-email');
    assert.ok(finding, list(result));
    assert.match(finding.evidence.summary, /Werkzeug debugger/);
    assert.ok(finding.affected.some((l) => l.route === '/api/preview/welcome-email' && l.parameter === 'name'), JSON.stringify(finding.affected));
  });

  test('Flask fixed twin: the tag is text; nothing is reported', async () => {
    const result = await errorsAudit(flask.fixed);
    assert.deepEqual(result.findings.filter((f) => f.id.startsWith('errors.')), [], list(result));
  });

  test('docs/auditor.md says so', () => {
    assert.ok(docsPage('auditor.md').replace(/\s+/g, ' ').includes('string query parameters also get an unclosed template tag (`rampart{{`)'));
  });
});
