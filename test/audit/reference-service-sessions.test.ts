// The identity-based checks of tokens, logins, SSRF, CSRF and business flows against our own
// reference service run as in production (TLS, real secrets), as alice, bob, admin and alice's
// browser session: nothing of medium severity or above, and every identity still logs in.
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { request } from 'node:https';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { buildApp } from '../../src/app/app.ts';
import type { ReferenceService } from '../../src/app/app.ts';
import { migrations } from '../../src/app/migrations/index.ts';
import { runAudit } from '../../src/audit/engine.ts';
import type { IdentitySpec } from '../../src/audit/identities/config.ts';
import { listen, loadConfig, openDatabase, runMigrations, type Listening } from '../../src/toolkit/index.ts';
import { LogCapture } from '../helpers/http.ts';
import { makeCertificate, type TestCertificate } from '../helpers/tls.ts';
import { STRONG_PASSWORD } from '../helpers/app.ts';
import { describe as list, SESSION_CHECKS } from './helpers.ts';
import { closeAll } from '../helpers/close-all.ts';

const SEVERE = new Set(['medium', 'high', 'critical']);
const USERS = [['alice', 'user'], ['bob', 'user'], ['admin', 'admin']] as const;

function post(url: URL, ca: string, body: Record<string, string>, type: string, origin: string): Promise<{ status: number; cookie: string }> {
  return new Promise((resolve, reject) => {
    const text = type === 'application/json' ? JSON.stringify(body) : new URLSearchParams(body).toString();
    const req = request(url, { method: 'POST', ca, headers: { 'content-type': type, origin } }, (res) => {
      res.resume();
      res.on('end', () => resolve({ status: res.statusCode ?? 0, cookie: (res.headers['set-cookie']?.[0] ?? '').split(';')[0]! }));
    });
    req.on('error', reject);
    req.end(text);
  });
}

describe('the identity checks against the reference service in production', { timeout: 180_000 }, () => {
  let dir: string;
  let certificate: TestCertificate;
  let service: ReferenceService;
  let production: Listening;
  let base: string;
  let specPath: string;
  before(async () => {
    dir = mkdtempSync(join(tmpdir(), 'rampart-audit-sessions-'));
    certificate = makeCertificate();
    const config = loadConfig({
      NODE_ENV: 'production',
      RAMPART_SECRET_KEY: 'q3J7Xc0mV9kz1Lw5Hn8Rt2Yb6Pd4Gs0Fe7Ua3Ji9Oc1=',
      RAMPART_ALLOWED_HOSTS: '127.0.0.1',
      RAMPART_TLS_CERT_FILE: certificate.certFile,
      RAMPART_TLS_KEY_FILE: certificate.keyFile,
      RAMPART_RATE_LIMIT: '100000',
      // Lifted so that what answers the login probes is the failure throttle (per account and address).
      RAMPART_TOKEN_RATE_LIMIT: '100000',
      PORT: '0',
    }, join(dir, 'prod'));
    const database = openDatabase<unknown>({ dataDir: config.dataDir });
    await runMigrations(database, migrations);
    await database.close();
    service = await buildApp(config, { server: { logDestination: new LogCapture() } });
    for (const [username, role] of USERS) await service.identity.createUser({ username, password: STRONG_PASSWORD, email: null, role }, { id: null, clientIp: null });
    // Production serves no docs without a scope: the spec comes from the same app in development.
    const development = await buildApp(loadConfig({ NODE_ENV: 'development', PORT: '0' }, join(dir, 'dev')), { server: { logDestination: new LogCapture() } });
    specPath = join(dir, 'openapi.json');
    writeFileSync(specPath, (await development.app.inject({ method: 'GET', url: '/openapi.json' })).body);
    await development.app.close();
    production = await listen(service.app, { host: '127.0.0.1', port: 0, allowedHosts: ['127.0.0.1'], development: false });
    base = `https://127.0.0.1:${production.port}/`;
  });
  after(() => closeAll(production, () => certificate.remove(), () => rmSync(dir, { recursive: true, force: true })));

  test('no finding of medium severity or above, and the identities still log in', async () => {
    const ca = certificate.cert.toString();
    const session = await post(new URL('/v1/auth/session', base), ca, { username: 'alice', password: STRONG_PASSWORD }, 'application/json', base.replace(/\/$/, ''));
    assert.equal(session.status, 200);
    const identities: IdentitySpec[] = [
      ...USERS.map(([username, role]): IdentitySpec => ({ name: username, role, credential: { kind: 'login', username, password: STRONG_PASSWORD } })),
      { name: 'alice-browser', role: 'user', credential: { kind: 'cookie', value: session.cookie } },
    ];
    const result = await runAudit({ target: base, openapi: specPath, rate: 200, maxRequests: 3000, timeoutMs: 10_000, maxRetryWaitMs: 2000, only: SESSION_CHECKS, identities, tokenUrl: '/v1/auth/token', ca, intensive: true });
    assert.deepEqual(result.checks.ran.sort(), [...SESSION_CHECKS].sort(), JSON.stringify(result.checks.skipped));
    const severe = result.findings.filter((f) => SEVERE.has(f.severity));
    assert.deepEqual(severe.map((f) => `${f.severity} ${f.id}`), [], list(result));
    assert.ok(!result.notes.some((n) => /SAFETY|RESTORE FAILED|^safety:/.test(n)), result.notes.join('\n'));
    assert.ok(result.complete, result.notes.join('\n'));
    for (const [username] of USERS) {
      // From this address the per-address failure throttle may answer 429 for a while (by design:
      // 20 failures from one address); the accounts themselves are not locked: from any other
      // address the right password works.
      const here = await post(new URL('/v1/auth/token', base), ca, { grant_type: 'password', username, password: STRONG_PASSWORD }, 'application/x-www-form-urlencoded', base.replace(/\/$/, ''));
      assert.ok(here.status === 200 || here.status === 429, `${username}: ${here.status}`);
      const elsewhere = await service.identity.checkPassword(username, STRONG_PASSWORD, '198.51.100.7');
      assert.equal(elsewhere.username, username);
    }
  });
});
