// Passive checks read every answer the audit received, whichever check sent the request: the
// Flask fixture's Werkzeug debugger page and PyJWT messages (errors), and session cookies set
// without their attributes (cookies). Their fixed twins answer the same probes cleanly.
import assert from 'node:assert/strict';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { after, before, describe, test } from 'node:test';
import { runAudit } from '../../../src/audit/engine.ts';
import type { AuditResult } from '../../../src/audit/engine.ts';
import type { IdentitySpec } from '../../../src/audit/identities/config.ts';
import { broaderDomain, isSessionCookie, parseSetCookies } from '../../../src/audit/lib/cookies.ts';
import { startFlask } from '../../fixtures/vulnerable-flask/start.ts';
import type { RunningFlask } from '../../fixtures/vulnerable-flask/start.ts';
import { call } from '../../fixtures-check/http.ts';
import { closeAll } from '../../helpers/close-all.ts';
import { describe as list, findingAt } from '../helpers.ts';

let flask: RunningFlask;
let cookieServer: http.Server;
let cookieBase: string;

/** Sets a session cookie on GET /session: without attributes under /vuln, with all of them under /fixed. */
function startCookieServer(): Promise<void> {
  cookieServer = http.createServer((req, res) => {
    const fixed = req.url?.startsWith('/fixed') === true;
    const prefix = fixed ? '/fixed' : '/vuln';
    if (req.url === `${prefix}/session`) {
      res.setHeader('set-cookie', [
        fixed ? `sid=Zt81kQ0b9vPq3mXw7RcL2a; Path=${prefix}; Secure; HttpOnly; SameSite=Strict` : `sid=Zt81kQ0b9vPq3mXw7RcL2a; Path=${prefix}`,
        // Not sessions: an anti-CSRF cookie scripts must read, and a deletion.
        `XSRF-TOKEN=4f1c2a; Path=${prefix}; Secure; SameSite=Strict`,
        `old_session=; Path=${prefix}; Max-Age=0`,
      ]);
    }
    res.setHeader('content-type', 'application/json');
    res.end(req.url === `${prefix}/` ? JSON.stringify({ links: { session: `${prefix}/session` } }) : '{}');
  });
  return new Promise((resolve) => {
    cookieServer.listen(0, '127.0.0.1', () => {
      cookieBase = `http://127.0.0.1:${(cookieServer.address() as AddressInfo).port}`;
      resolve();
    });
  });
}

async function bearers(base: string): Promise<IdentitySpec[]> {
  const out: IdentitySpec[] = [];
  for (const name of ['alice', 'bob'] as const) {
    const answer = await call(base, 'POST', '/api/auth/login', { body: { user: name, pass: flask.users[name].password } });
    out.push({ name, role: 'user', credential: { kind: 'bearer', token: answer.json.data.jwt as string } });
  }
  return out;
}

function flaskAudit(base: string, identities: IdentitySpec[]): Promise<AuditResult> {
  return runAudit({ target: base, openapi: flask.specPath, rate: 2000, maxRequests: 3000, timeoutMs: 5000, maxRetryWaitMs: 2000, only: ['errors', 'cookies'], identities });
}

before(async () => {
  flask = await startFlask();
  await startCookieServer();
});
after(() => closeAll(flask, () => cookieServer.close()));

describe('passive checks', () => {
  test("Flask: Werkzeug's debugger page behind a protected read, and PyJWT's messages on every refusal", async () => {
    const result = await flaskAudit(flask.vuln, await bearers(flask.vuln));
    const page = findingAt(result, 'errors.debug-page', 'GET', '/api/lists/{list_id}');
    assert.ok(page, list(result));
    assert.match(page.evidence.summary, /Werkzeug debugger/);
    // The debugger page stands for its traceback and paths: one finding, not three.
    assert.equal(findingAt(result, 'errors.stack-trace', 'GET', '/api/lists/{list_id}'), undefined, list(result));
    const verbose = result.findings.find((f) => f.id === 'errors.verbose-auth');
    assert.ok(verbose, list(result));
    assert.match(verbose.evidence.summary, /Not enough segments|Signature verification failed/);
    assert.equal(verbose.owasp, 'API8:2023');
    assert.equal(verbose.cwe, 209);
  });

  test('Flask fixed twin: the same probes, no debug page and no library message', async () => {
    const result = await flaskAudit(flask.fixed, await bearers(flask.fixed));
    assert.deepEqual(result.findings, [], list(result));
  });

  test('cookies: a session cookie without Secure, HttpOnly and SameSite is found where it is set; its value is masked', async () => {
    const result = await runAudit({ target: `${cookieBase}/vuln/`, rate: 2000, maxRequests: 200, timeoutMs: 5000, only: ['cookies'] });
    for (const rule of ['cookies.missing-secure', 'cookies.missing-httponly', 'cookies.missing-samesite']) {
      const finding = findingAt(result, rule, 'GET', '/session');
      assert.ok(finding, `${rule}\n${list(result)}`);
      assert.doesNotMatch(JSON.stringify(finding.evidence), /Zt81kQ0b9vPq3mXw7RcL2a/);
    }
    assert.equal(result.findings.length, 3, list(result));
  });

  test('cookies: the fixed twin sets every attribute; nothing is reported', async () => {
    const result = await runAudit({ target: `${cookieBase}/fixed/`, rate: 2000, maxRequests: 200, timeoutMs: 5000, only: ['cookies'] });
    assert.deepEqual(result.findings, [], list(result));
  });

  test('cookie judgement: sessions by name, JWT value or a token in the body; broad scope is a parent Domain', () => {
    const [plain, csrf, jwt, deleted] = parseSetCookies('theme=dark\ncsrftoken=abc; Path=/\nx=eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiIxIn0.c2ln\nsession=; Max-Age=0');
    assert.equal(isSessionCookie(plain!, ''), false);
    assert.equal(isSessionCookie(csrf!, ''), false);
    assert.equal(isSessionCookie(jwt!, ''), true);
    assert.equal(isSessionCookie(deleted!, ''), false);
    const [handed] = parseSetCookies('pref=9f8e7d6c5b4a39281706; Path=/');
    assert.equal(isSessionCookie(handed!, '{"token":"9f8e7d6c5b4a39281706"}'), true);
    const [wide] = parseSetCookies('sid=1; Domain=.example.com; Secure; HttpOnly');
    assert.equal(broaderDomain(wide!, 'api.example.com'), 'example.com');
    assert.equal(broaderDomain(wide!, 'example.com'), undefined);
    const [own] = parseSetCookies('sid=1; Secure');
    assert.equal(broaderDomain(own!, 'api.example.com'), undefined);
  });
});
