// Recall and precision against ground truth in another language: the deliberately vulnerable
// FastAPI service (test/fixtures/vulnerable-fastapi) audited as alice, bob and admin, and its
// fixed twin. Transport is left out: both twins speak plain HTTP on loopback, and TLS is the Node
// fixture's ground truth.
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { after, before, describe, test } from 'node:test';
import { runAudit } from '../../src/audit/engine.ts';
import type { AuditResult } from '../../src/audit/engine.ts';
import type { Finding } from '../../src/audit/finding.ts';
import { FASTAPI_PLANTED_PATH, startFastApi } from '../fixtures/vulnerable-fastapi/start.ts';
import type { RunningFastApi } from '../fixtures/vulnerable-fastapi/start.ts';
import { describe as list, IDENTITIES } from './helpers.ts';
import { closeAll } from '../helpers/close-all.ts';

interface Flaw {
  rule: string;
  method: string;
  route: string;
  parameter?: string;
}

const planted = (JSON.parse(readFileSync(FASTAPI_PLANTED_PATH, 'utf8')) as { flaws: Flaw[] }).flaws;

/** Route `*` marks a flaw of the whole app (any route shows it). */
function matches(flaw: Flaw, finding: Finding): boolean {
  if (flaw.route === '*') return finding.id === flaw.rule;
  return finding.id === flaw.rule && finding.affected.some((l) => l.method === flaw.method && l.route === flaw.route && (flaw.parameter === undefined || l.parameter === flaw.parameter));
}

let fastapi: RunningFastApi;
let vulnerable: AuditResult;
/** The fixture's owner lets the audit write privileged fields to a given identity's own profile (issue 19 item 4: never by default). */
const UNSAFE = ['PATCH /me'];
const run = (target: string): Promise<AuditResult> =>
  runAudit({ target, openapi: fastapi.specPath, rate: 2000, maxRequests: 3000, timeoutMs: 5000, maxRetryWaitMs: 2000, skip: ['transport'], identities: IDENTITIES, unsafe: UNSAFE });

before(async () => {
  fastapi = await startFastApi();
  vulnerable = await run(fastapi.vuln);
});
after(() => closeAll(fastapi));

describe('ground truth: the vulnerable FastAPI service and its fixed twin', { timeout: 180_000 }, () => {
  test('recall: every planted flaw is found', () => {
    const missed = planted.filter((flaw) => !vulnerable.findings.some((finding) => matches(flaw, finding)));
    assert.deepEqual(missed, [], `found instead:\n${list(vulnerable)}`);
  });

  test('precision on the vulnerable twin: nothing is reported that was not planted', () => {
    const extra = vulnerable.findings.flatMap((finding) =>
      finding.affected.filter((l) => !planted.some((flaw) => matches(flaw, { ...finding, affected: [l] }))).map((l) => `${finding.id} ${l.method} ${l.route}`),
    );
    assert.deepEqual(extra, []);
  });

  test('precision on the fixed twin: no finding at all', async () => {
    const fixed = await run(fastapi.fixed);
    assert.deepEqual(fixed.findings, [], list(fixed));
    assert.ok(!fixed.notes.some((n) => /^safety:|RESTORE FAILED/.test(n)), fixed.notes.join('\n'));
  });
});
