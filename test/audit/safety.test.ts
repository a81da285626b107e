// Safety: a full audit with identities leaves the fixtures' data as it found it — objects it
// created are deleted again, values it changed to prove a flaw are restored — and every identity
// it used can still log in and use its token afterwards (no lockout).
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { Agent, fetch } from 'undici';
import { runAudit } from '../../src/audit/engine.ts';
import { startFastApi } from '../fixtures/vulnerable-fastapi/start.ts';
import type { RunningFastApi } from '../fixtures/vulnerable-fastapi/start.ts';
import { makeTestCertificate } from '../fixtures/tls.ts';
import { FIXED, SPEC_PATH, startVulnerableApi, VULN } from '../fixtures/vulnerable-api/server.ts';
import type { RunningFixture } from '../fixtures/vulnerable-api/server.ts';
import { IDENTITIES } from './helpers.ts';
import { closeAll } from '../helpers/close-all.ts';

/** The data without id counters: ids the audit used up by creating (and deleting) objects. */
function comparable(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(comparable);
  if (typeof value !== 'object' || value === null) return value;
  return Object.fromEntries(Object.entries(value).filter(([key]) => !/^next[_A-Z]/.test(key)).map(([key, v]) => [key, comparable(v)]));
}

async function canLogIn(base: string, username: string, password: string, dispatcher?: Agent): Promise<number> {
  const token = await fetch(new URL('auth/token', base), {
    ...(dispatcher === undefined ? {} : { dispatcher }),
    method: 'POST',
    headers: { 'content-type': 'application/x-www-form-urlencoded' },
    body: new URLSearchParams({ grant_type: 'password', username, password }).toString(),
  });
  if (token.status !== 200) return token.status;
  const { access_token: accessToken } = (await token.json()) as { access_token: string };
  return (await fetch(new URL('me', base), { ...(dispatcher === undefined ? {} : { dispatcher }), headers: { authorization: `Bearer ${accessToken}` } })).status;
}

describe('safety of a full audit with identities', { timeout: 240_000 }, () => {
  let node: RunningFixture;
  let fastapi: RunningFastApi;
  let certificate: ReturnType<typeof makeTestCertificate>;
  before(async () => {
    certificate = makeTestCertificate();
    [node, fastapi] = await Promise.all([startVulnerableApi({ tls: { key: certificate.key, cert: certificate.cert } }), startFastApi()]);
  });
  after(() => closeAll(node, fastapi, () => certificate.remove()));

  const audit = (target: string, openapi: string, ca?: string): ReturnType<typeof runAudit> =>
    runAudit({ target, openapi, rate: 2000, maxRequests: 3000, timeoutMs: 5000, maxRetryWaitMs: 2000, identities: IDENTITIES, ...(ca === undefined ? {} : { ca }) });

  test('the Node fixture: data unchanged on both twins, and every identity still logs in', async () => {
    const before = node.snapshot();
    const vulnerable = await audit(`${node.httpOrigin}${VULN}/`, SPEC_PATH);
    const fixed = await audit(`${node.httpsOrigin!}${FIXED}/`, SPEC_PATH, certificate.cert);
    assert.ok(vulnerable.findings.some((f) => f.id === 'bola.delete'), 'the audit did create, change and delete objects');
    for (const result of [vulnerable, fixed]) assert.ok(!result.notes.some((n) => /^safety:|RESTORE FAILED/.test(n)), result.notes.join('\n'));
    const now = node.snapshot();
    assert.deepEqual(comparable(now), comparable(before));
    assert.ok(now.vuln.accounts.nextNoteId > before.vuln.accounts.nextNoteId, 'objects were created (and removed again)');
    const trusting = new Agent({ connect: { ca: certificate.cert } });
    try {
      for (const base of [`${node.httpOrigin}${VULN}/`, `${node.httpsOrigin!}${FIXED}/`]) {
        for (const identity of IDENTITIES) {
          if (identity.credential.kind !== 'login') continue;
          assert.equal(await canLogIn(base, identity.credential.username, identity.credential.password, trusting), 200, `${identity.name} at ${base}`);
        }
      }
    } finally {
      await trusting.close();
    }
  });

  test('the FastAPI fixture: data unchanged on both twins, and every identity still logs in', async () => {
    const before = await fastapi.state();
    for (const target of [fastapi.vuln, fastapi.fixed]) {
      const result = await audit(target, fastapi.specPath);
      assert.ok(!result.notes.some((n) => /^safety:|RESTORE FAILED/.test(n)), result.notes.join('\n'));
    }
    assert.deepEqual(comparable(await fastapi.state()), comparable(before));
    for (const base of [fastapi.vuln, fastapi.fixed]) {
      for (const identity of IDENTITIES) {
        if (identity.credential.kind !== 'login') continue;
        assert.equal(await canLogIn(base, identity.credential.username, identity.credential.password), 200, `${identity.name} at ${base}`);
      }
    }
  });
});
