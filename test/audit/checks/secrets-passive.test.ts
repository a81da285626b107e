// Secrets in error answers, read passively from every answer the audit received (errors.secret):
// the Flask fixture's storage check answers an unknown bucket with its client's configuration,
// an access key id and a PEM private key. The report names the kind, never the value.
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { runAudit } from '../../../src/audit/engine.ts';
import type { AuditResult } from '../../../src/audit/engine.ts';
import { findSecretText, secretValues } from '../../../src/audit/lib/signatures.ts';
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

async function errorsAudit(base: string): Promise<AuditResult> {
  return runAudit({ target: base, openapi: flask.specPath, rate: 2000, maxRequests: 3000, timeoutMs: 5000, only: ['errors'], identities: await flaskIdentities(flask, base, ['alice', 'bob']) });
}

describe('secrets in error answers', { timeout: 120_000 }, () => {
  test('Flask vulnerable twin: the storage check serves its keys in a 500; both kinds are named, neither value shown', async () => {
    const result = await errorsAudit(flask.vuln);
    const finding = findingAt(result, 'errors.secret', 'GET', '/api/diagnostics/storage');
    assert.ok(finding, list(result));
    assert.match(finding.evidence.summary, /\(500\) contains a (?:PEM private key|AWS access key id)/);
    assert.equal(finding.evidence.exchanges[0]?.response?.status, 500);
    const shown = JSON.stringify(finding.evidence);
    assert.doesNotMatch(shown, /PANTRY7Q4M2X9Z5W|MIIEvQIBADANBgkqhkiG9w0BAQEFAASC/);
    assert.match(shown, /<redacted>/);
  });

  test('Flask fixed twin: an unknown bucket is a plain 404', async () => {
    const result = await errorsAudit(flask.fixed);
    assert.deepEqual(result.findings.filter((f) => f.id === 'errors.secret'), [], list(result));
  });

  test('judgement: key shapes by provider; documentation examples are not secrets; masking covers a PEM block line by line', () => {
    // Built from parts so that no key-shaped literal sits in the source (secret scanners).
    const [akia, begin] = ['AK' + 'IA', '-----BEGIN ' + 'RSA PRIVATE KEY-----'];
    const text = `{"config":{"key":"${akia}Q3F7Z2M9X4W6V8B1","pem":"${begin}\\nMIIBOgIBAAJBAKj34GkxFhD90vcNLYLInFEX6Ppy1tPf9Cnzj4p4WGeKLs1Pt8Qu\\n-----END RSA PRIVATE KEY-----"}}`;
    assert.deepEqual(findSecretText(text).map((s) => s.name), ['PEM private key', 'AWS access key id']);
    assert.deepEqual(findSecretText('aws_access_key_id = AKIAIOSFODNN7EXAMPLE'), []);
    assert.deepEqual(findSecretText('AKIA is the prefix of an access key; ghp_ of a GitHub token'), []);
    const values = secretValues(text);
    assert.ok(values.includes('MIIBOgIBAAJBAKj34GkxFhD90vcNLYLInFEX6Ppy1tPf9Cnzj4p4WGeKLs1Pt8Qu'), values.join('\n'));
  });

  test('docs/auditor.md says so', () => {
    assert.ok(docsPage('auditor.md').replace(/\s+/g, ' ').includes('a private key or a provider credential (AWS, GitHub, Slack, Stripe, Google) in an error answer is `errors.secret`'));
  });
});
