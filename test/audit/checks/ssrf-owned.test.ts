// SSRF through an update route (issue 20 item 8): the Express fixture's PATCH /projects/{id}
// fetches the webhook URL it is given. The audit probes it only on a project it created for the
// purpose, deleted at the end; the fixed twin never fetches from the request.
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { runAudit } from '../../../src/audit/engine.ts';
import type { AuditResult } from '../../../src/audit/engine.ts';
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

async function ssrfAudit(base: string): Promise<{ result: AuditResult; sent: string[] }> {
  const sent: string[] = [];
  const result = await runAudit(
    { target: base, openapi: fx.specPath, rate: 2000, maxRequests: 2000, timeoutMs: 5000, only: ['ssrf'], identities: await expressIdentities(fx, base, ['alice', 'bob']) },
    { onRequest: (request, purpose) => sent.push(`${request.method} ${new URL(request.url).pathname} ${purpose ?? ''}`) },
  );
  return { result, sent };
}

describe('ssrf through update routes, on objects the audit created', { timeout: 120_000 }, () => {
  for (const twin of ['vuln', 'fixed'] as const) {
    test(`${twin}: the webhook URL of a project the audit created ${twin === 'vuln' ? 'is fetched' : 'is not fetched'}; the project is deleted and nothing else is patched`, async () => {
      const before = ((await fx.state()) as Record<string, { projects: unknown[] }>)[twin]!.projects;
      const { result, sent } = await ssrfAudit(fx[twin]);
      const route = `/${fx.names.projects}/{id}`;
      const finding = findingAt(result, 'ssrf.url-fetched', 'PATCH', route);
      if (twin === 'vuln') {
        assert.ok(finding, list(result));
        assert.equal(finding.affected[0]?.parameter, fx.names.webhookUrl);
        assert.match(finding.evidence.summary, /an object the audit created/);
      } else {
        assert.equal(finding, undefined, list(result));
      }
      // Every PATCH went to a project this run created (and deleted): the projects are as they were.
      const created = result.writes.filter((w) => w.method === 'POST' && w.identity === 'alice' && w.route === `/${fx.names.projects}`);
      assert.equal(created.length, 1, JSON.stringify(result.writes));
      assert.match(created[0]!.restored, /^yes: .* deleted and verified gone$/);
      const patches = sent.filter((s) => s.startsWith('PATCH ') && s.includes(' ssrf: ')).map((s) => s.split(' ')[1]!);
      assert.equal(patches.length, 1, sent.join('\n'));
      assert.ok(created[0]!.url?.endsWith(patches[0]!), `${patches[0]} is the project the audit created`);
      assert.deepEqual(((await fx.state()) as Record<string, { projects: unknown[] }>)[twin]!.projects, before);
    });
  }

  test('docs/auditor.md says so', () => {
    assert.ok(docsPage('auditor.md').replace(/\s+/g, ' ').includes('update routes (PUT, PATCH) are given the canary URL only on an object the audit created'));
  });
});
