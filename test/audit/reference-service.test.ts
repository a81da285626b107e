// The auditor against our own reference service: run as in production (TLS, docs behind a
// scope, real secrets) it finds nothing of medium severity or above; run in development it
// reports the development-only exposure (open docs), labelled as such.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { buildApp } from '../../src/app/app.ts';
import { migrations } from '../../src/app/migrations/index.ts';
import { listen, loadConfig, openDatabase, runMigrations, type Listening } from '../../src/toolkit/index.ts';
import { STRONG_PASSWORD } from '../helpers/app.ts';
import { LogCapture } from '../helpers/http.ts';
import { makeCertificate, type TestCertificate } from '../helpers/tls.ts';
import { closeAll } from '../helpers/close-all.ts';

const AUDIT = fileURLToPath(new URL('../../src/audit/main.ts', import.meta.url));
const SEVERE = new Set(['medium', 'high', 'critical']);

interface Report {
  findings: { id: string; severity: string; context?: string; title: string }[];
}

/** Runs the auditor as its own process (asynchronously: the servers live in this one). */
function audit(url: string, extra: string[], env: Record<string, string> = {}): Promise<{ status: number | null; report: Report; stderr: string }> {
  return new Promise((resolve) => {
    execFile(process.execPath, [AUDIT, 'audit', url, '--format', 'json', '--fail-on', 'medium', '--rate', '200', ...extra], { encoding: 'utf8', timeout: 120_000, env: { ...process.env, ...env } }, (error, stdout, stderr) => {
      const status = error === null ? 0 : typeof error.code === 'number' ? error.code : null;
      resolve({ status, report: JSON.parse(stdout || '{"findings":[]}') as Report, stderr });
    });
  });
}

describe('auditing the reference service', { timeout: 180_000 }, () => {
  let dir: string;
  let certificate: TestCertificate;
  let production: Listening;
  let development: Listening;
  before(async () => {
    dir = mkdtempSync(join(tmpdir(), 'rampart-audit-ref-'));
    certificate = makeCertificate();
    const prodConfig = loadConfig({
      NODE_ENV: 'production',
      RAMPART_SECRET_KEY: 'q3J7Xc0mV9kz1Lw5Hn8Rt2Yb6Pd4Gs0Fe7Ua3Ji9Oc1=',
      RAMPART_ALLOWED_HOSTS: '127.0.0.1',
      RAMPART_TLS_CERT_FILE: certificate.certFile,
      RAMPART_TLS_KEY_FILE: certificate.keyFile,
      RAMPART_DOCS: 'on',
      RAMPART_DOCS_SCOPE: 'docs',
      RAMPART_RATE_LIMIT: '100000',
      PORT: '0',
    }, join(dir, 'prod'));
    const database = openDatabase<unknown>({ dataDir: prodConfig.dataDir });
    await runMigrations(database, migrations);
    await database.close();
    const prod = await buildApp(prodConfig, { server: { logDestination: new LogCapture() } });
    // The audit's identities, created as an operator would (the `rampart user add` path).
    for (const [username, role] of [['alice', 'user'], ['bob', 'user'], ['admin', 'admin']] as const) {
      await prod.identity.createUser({ username, password: STRONG_PASSWORD, role, email: null }, { id: null, clientIp: null });
    }
    production = await listen(prod.app, { host: '127.0.0.1', port: 0, allowedHosts: ['127.0.0.1'], development: false });
    const devConfig = loadConfig({ NODE_ENV: 'development', RAMPART_RATE_LIMIT: '100000', PORT: '0' }, join(dir, 'dev'));
    const dev = await buildApp(devConfig, { server: { logDestination: new LogCapture() } });
    development = await listen(dev.app, { host: '127.0.0.1', port: 0, allowedHosts: [], development: true });
  });
  after(() => closeAll(production, development, () => certificate.remove(), () => rmSync(dir, { recursive: true, force: true })));

  test('as in production: no finding of medium severity or above', async () => {
    const { status, report, stderr } = await audit(`https://127.0.0.1:${production.port}/`, ['--ca', certificate.certFile]);
    const severe = report.findings.filter((f) => SEVERE.has(f.severity));
    assert.deepEqual(severe.map((f) => `${f.severity} ${f.id}: ${f.title}`), [], stderr);
    assert.equal(status, 0, stderr);
  });

  test('as in production, acting as two users and an admin: no finding of medium severity or above', async () => {
    // Docs are behind a scope in production: the spec comes from the development instance (same routes).
    const spec = join(dir, 'openapi.json');
    writeFileSync(spec, await (await fetch(`http://127.0.0.1:${development.port}/openapi.json`)).text());
    const identities = ['alice', 'bob'].flatMap((name) => ['--identity', `name=${name},login=${name},password-env=RAMPART_AUDIT_TEST_PASSWORD`]);
    const { status, report, stderr } = await audit(
      `https://127.0.0.1:${production.port}/`,
      ['--ca', certificate.certFile, '--openapi', spec, '--token-url', '/v1/auth/token', ...identities, '--identity', 'name=admin,role=admin,login=admin,password-env=RAMPART_AUDIT_TEST_PASSWORD'],
      { RAMPART_AUDIT_TEST_PASSWORD: STRONG_PASSWORD },
    );
    const severe = report.findings.filter((f) => SEVERE.has(f.severity));
    assert.deepEqual(severe.map((f) => `${f.severity} ${f.id}: ${f.title}`), [], stderr);
    assert.equal(status, 0, stderr);
    const ran = (report as Report & { checks: { ran: string[] } }).checks.ran;
    for (const id of ['bola', 'mass-assignment', 'data-exposure', 'function-level']) assert.ok(ran.includes(id), `${id} ran`);
    // The routes refused without credentials were probed for injection as alice, not skipped.
    const notes = (report as Report & { notes: string[] }).notes.join('\n');
    assert.match(notes, /injection: \d+ operation\(s\) with parameters answered 401\/403 without credentials; [1-9]\d* tested as identity alice/, notes);
  });

  test('in development: the open docs are reported, labelled development-only', async () => {
    const { report, stderr } = await audit(`http://127.0.0.1:${development.port}/`, []);
    const docs = report.findings.filter((f) => f.id === 'inventory.docs-exposed');
    assert.equal(docs.length, 1, `${JSON.stringify(report.findings.map((f) => f.id))}\n${stderr}`);
    assert.equal(docs[0]!.context, 'development-only');
    const severe = report.findings.filter((f) => SEVERE.has(f.severity));
    assert.deepEqual(severe.map((f) => `${f.severity} ${f.id}: ${f.title}`), []);
  });
});
