// Shared test helpers: the fixture with its twins, in-process audits, and the real command as a
// spawned process.
import { spawn } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { runAudit } from '../../src/audit/engine.ts';
import type { AuditOptions, AuditResult } from '../../src/audit/engine.ts';
import type { Finding } from '../../src/audit/finding.ts';
import type { IdentitySpec } from '../../src/audit/identities/config.ts';
import { FIXTURE_USERS } from '../fixtures/vulnerable-api/accounts.ts';
import { makeTestCertificate } from '../fixtures/tls.ts';
import { FIXED, PLANTED_PATH, SPEC_PATH, startVulnerableApi, VULN } from '../fixtures/vulnerable-api/server.ts';

export { SPEC_PATH };
export const NODE = fileURLToPath(new URL('../../node_modules/.bin/node', import.meta.url));
export const MAIN = fileURLToPath(new URL('../../src/audit/main.ts', import.meta.url));

export interface Twins {
  /** The vulnerable API over plain HTTP. */
  vuln: string;
  /** The vulnerable API over HTTPS. */
  vulnTls: string;
  /** The fixed twin over HTTPS. */
  fixed: string;
  /** The fixed twin's plain-HTTP address (redirects to HTTPS). */
  fixedPlain: string;
  /** PEM of the test certificate authority, and its file. */
  ca: string;
  caPath: string;
  close(): Promise<void>;
}

export async function startTwins(): Promise<Twins> {
  const certificate = makeTestCertificate();
  const fixture = await startVulnerableApi({ tls: { key: certificate.key, cert: certificate.cert } });
  return {
    vuln: `${fixture.httpOrigin}${VULN}/`,
    vulnTls: `${fixture.httpsOrigin!}${VULN}/`,
    fixed: `${fixture.httpsOrigin!}${FIXED}/`,
    fixedPlain: `${fixture.httpOrigin}${FIXED}/`,
    ca: certificate.cert,
    caPath: certificate.certPath,
    close: async () => {
      await fixture.close();
      certificate.remove();
    },
  };
}

/** An in-process audit with test-friendly limits. */
export function audit(target: string, options: Partial<AuditOptions> & { ca?: string } = {}): Promise<AuditResult> {
  return runAudit({
    target,
    openapi: SPEC_PATH,
    rate: 2000,
    maxRequests: 3000,
    timeoutMs: 5000,
    maxRetryWaitMs: 2000,
    ...options,
  });
}

/** The fixture's alice, bob (role user) and admin, logging in through POST /auth/token. */
export const IDENTITIES: IdentitySpec[] = FIXTURE_USERS.filter((u) => u.username !== 'carol').map((u) => ({
  name: u.username,
  role: u.role,
  credential: { kind: 'login', username: u.username, password: u.password },
}));

/** A browser session of the fixture (cookie `session`), for the CSRF check. */
export const BROWSER_IDENTITY: IdentitySpec = { name: 'browser', role: 'user', credential: { kind: 'cookie', value: 'session=fixture-token-5b21' } };

/** The checks of the other Auditor II part: JWT, authentication, SSRF, CSRF, business flows. */
export const SESSION_CHECKS = ['jwt', 'authentication', 'ssrf', 'csrf', 'business-flows'];

/** The checks that act as identities (Auditor II, this helper's part). */
export const IDENTITY_CHECKS = ['bola', 'mass-assignment', 'data-exposure', 'function-level'];

export function findingsOf(result: AuditResult, rule: string): Finding[] {
  return result.findings.filter((f) => f.id === rule);
}

/** The finding of `rule` that lists `route` (and `method`) among its affected locations. */
export function findingAt(result: AuditResult, rule: string, method: string, route: string): Finding | undefined {
  return result.findings.find((f) => f.id === rule && f.affected.some((l) => l.method === method && l.route === route));
}

export function describe(result: AuditResult): string {
  return result.findings.map((f) => `${f.id} ${f.affected.map((l) => `${l.method} ${l.route}`).join(', ')}`).join('\n') || '(none)';
}

export interface PlantedFlaw {
  rule: string;
  method: string;
  route: string;
  parameter?: string;
  over: 'http' | 'https';
  note?: string;
}

export function plantedFlaws(): PlantedFlaw[] {
  return (JSON.parse(readFileSync(PLANTED_PATH, 'utf8')) as { flaws: PlantedFlaw[] }).flaws;
}

export interface Ran {
  code: number | null;
  stdout: string;
  stderr: string;
}

/** Runs the real command (src/audit/main.ts) as a process, killed after `timeoutMs`. */
export function runCli(args: string[], timeoutMs = 20_000): Promise<Ran> {
  return new Promise((resolve, reject) => {
    const child = spawn(NODE, [MAIN, 'audit', ...args], { stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (chunk: Buffer) => (stdout += chunk.toString()));
    child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
    const timer = setTimeout(() => {
      child.kill('SIGKILL');
      reject(new Error(`audit did not finish within ${timeoutMs} ms\n${stderr}`));
    }, timeoutMs);
    child.on('error', reject);
    child.on('close', (code) => {
      clearTimeout(timer);
      resolve({ code, stdout, stderr });
    });
  });
}

/** Collects what a command writes. */
export class Sink {
  text = '';
  isTTY: boolean;
  columns = 100;

  constructor(isTTY = false) {
    this.isTTY = isTTY;
  }

  write(chunk: string): boolean {
    this.text += chunk;
    return true;
  }
}
