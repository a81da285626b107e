// CORS on the Express fixture: any origin reflected only by the preflight, and the plain-http
// twin of the front end's origin (named in the spec's description and in every answer) trusted
// with credentials. The fixed twin allows exactly the https front end, preflights included.
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { downgraded, mentionedOrigins } from '../../../src/audit/checks/cors.ts';
import { runAudit } from '../../../src/audit/engine.ts';
import type { AuditResult } from '../../../src/audit/engine.ts';
import { startExpress } from '../../fixtures/vulnerable-express/start.ts';
import type { RunningExpress } from '../../fixtures/vulnerable-express/start.ts';
import { closeAll } from '../../helpers/close-all.ts';
import { describe as list } from '../helpers.ts';

let fx: RunningExpress;
before(async () => {
  fx = await startExpress();
});
after(() => closeAll(fx));

function corsAudit(base: string): Promise<AuditResult> {
  return runAudit({ target: base, openapi: fx.specPath, rate: 2000, maxRequests: 3000, timeoutMs: 5000, only: ['cors'] });
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
