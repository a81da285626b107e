// examples/notes-api as a user builds it: the repository packed, the tarball installed into a
// copy of the example, its own tests run, its types checked against the published declarations,
// and `rampart audit` (from the installed package) run against it on 127.0.0.1 — clean — and
// against a broken twin (the same copy with the ownership filter cut out of its queries),
// where the audit must report BOLA.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { execFile, spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { cpSync, mkdtempSync, readFileSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { basename, join } from 'node:path';
import { closeAll } from '../helpers/close-all.ts';
import { waitForOutput } from '../helpers/cli.ts';
import { installTarball, packInto, ROOT } from '../helpers/pack.ts';
import { STRONG_PASSWORD } from '../helpers/app.ts';

const EXAMPLE = join(ROOT, 'examples', 'notes-api');
const OWNER_FILTER = ".where('owner_id', '=', ownerId ?? '')";
// Not part of the example: the audit's accounts are made as an operator would, then it serves.
const AUDIT_SERVER = `import { serve } from 'rampart';
import { buildApp } from './src/app.ts';

const app = await buildApp();
for (const [username, role] of [['alice', 'user'], ['bob', 'user'], ['admin', 'admin']]) {
  await app.identity.createUser({ username, password: process.env.AUDIT_PASSWORD, role, email: null }, { id: null, clientIp: null });
}
await serve(app);
`;

interface Finding {
  id: string;
  severity: string;
  context?: string;
}
interface Report {
  findings: Finding[];
  checks: { ran: string[] };
}

function copyExample(to: string): void {
  cpSync(EXAMPLE, to, { recursive: true, filter: (path) => !/[/\\](node_modules|data)$/.test(path) });
  writeFileSync(join(to, 'audit-server.ts'), AUDIT_SERVER);
}

async function startExample(project: string): Promise<{ url: string; child: ChildProcess }> {
  const env = { PATH: process.env['PATH'] ?? '', NODE_ENV: 'development', PORT: '0', RAMPART_RATE_LIMIT: '100000', RAMPART_TOKEN_RATE_LIMIT: '100000', AUDIT_PASSWORD: STRONG_PASSWORD };
  const child = spawn(process.execPath, ['audit-server.ts'], { cwd: project, env, stdio: ['ignore', 'pipe', 'pipe'] });
  const output = await waitForOutput(child, /listening on http:\/\/127\.0\.0\.1:\d+/, 60_000);
  return { url: `http://127.0.0.1:${/listening on http:\/\/127\.0\.0\.1:(\d+)/.exec(output)![1]!}/`, child };
}

function audit(project: string, url: string): Promise<Report> {
  const identities = ['name=alice,login=alice,password-env=AUDIT_PASSWORD', 'name=bob,login=bob,password-env=AUDIT_PASSWORD', 'name=admin,role=admin,login=admin,password-env=AUDIT_PASSWORD'];
  const args = [join(project, 'node_modules', 'rampart', 'dist', 'cli', 'main.js'), 'audit', url, '--format', 'json', '--rate', '200', '--token-url', '/v1/auth/token', ...identities.flatMap((identity) => ['--identity', identity])];
  return new Promise((resolve, reject) => {
    execFile(process.execPath, args, { cwd: project, encoding: 'utf8', timeout: 120_000, env: { ...process.env, AUDIT_PASSWORD: STRONG_PASSWORD } }, (error, stdout, stderr) => {
      if (stdout === '') reject(new Error(`no report: ${error?.message ?? 'no error'}\n${stderr}`));
      else resolve(JSON.parse(stdout) as Report);
    });
  });
}

describe('examples/notes-api, built on the packed package', { timeout: 600_000 }, () => {
  let dir: string;
  let project: string;
  let twin: string;
  let tarball: string;
  const times: Record<string, number> = {};
  before(() => {
    dir = mkdtempSync(join(tmpdir(), 'rampart-example-'));
    let started = Date.now();
    tarball = packInto(dir);
    times['pack'] = Date.now() - started;
    project = join(dir, 'notes-api');
    copyExample(project);
    started = Date.now();
    installTarball(project, tarball);
    times['install'] = Date.now() - started;
    // The twin: the same app with the owner filter cut out of its queries (GET and DELETE by id).
    twin = join(dir, 'notes-api-broken');
    copyExample(twin);
    const notes = join(twin, 'src', 'notes.ts');
    const source = readFileSync(notes, 'utf8');
    assert.equal(source.split(OWNER_FILTER).length - 1, 2, 'the example filters by owner in two queries');
    writeFileSync(notes, source.replaceAll(OWNER_FILTER, ''));
    symlinkSync(join(project, 'node_modules'), join(twin, 'node_modules'));
  });
  after(() => {
    process.stderr.write(`notes-api timings (ms): ${JSON.stringify(times)}\n`);
    return closeAll(() => rmSync(dir, { recursive: true, force: true }));
  });

  test('its code imports the package, never the repository\'s sources', () => {
    for (const file of ['src/app.ts', 'src/notes.ts', 'src/schema.ts', 'src/server.ts', 'test/notes.test.ts']) {
      const source = readFileSync(join(EXAMPLE, file), 'utf8');
      assert.doesNotMatch(source, /from '(\.\.\/)+(\.\.\/src|src\/toolkit)/, file);
    }
  });

  test('its package.json depends on the tarball `npm pack ../..` makes (as its README says)', () => {
    const manifest = JSON.parse(readFileSync(join(EXAMPLE, 'package.json'), 'utf8')) as { dependencies: Record<string, string> };
    assert.deepEqual(manifest.dependencies, { rampart: `file:${basename(tarball)}` });
    assert.match(readFileSync(join(EXAMPLE, 'README.md'), 'utf8'), /npm pack \.\.\/\.\. .*\n\s+npm install\n\s+npm test\n/);
  });

  test('its own tests pass (node --test, with rampart/testing)', () => {
    const started = Date.now();
    // Without NODE_TEST_CONTEXT (set by this runner), the child reports instead of talking the runner's protocol.
    const env: NodeJS.ProcessEnv = { ...process.env };
    delete env['NODE_TEST_CONTEXT'];
    const result = spawnSync(process.execPath, ['--test', '--test-reporter=tap'], { cwd: project, env, encoding: 'utf8', timeout: 120_000 });
    times['example tests'] = Date.now() - started;
    assert.equal(result.status, 0, result.stdout + result.stderr);
    assert.match(result.stdout, /# pass 7\n/);
    assert.match(result.stdout, /# fail 0\n/);
  });

  test('it typechecks against the published declarations, with no cast and no `!` on the principal', () => {
    const tsc = join(ROOT, 'node_modules', 'typescript', 'bin', 'tsc');
    const result = spawnSync(process.execPath, [tsc, '-p', project, '--typeRoots', join(ROOT, 'node_modules', '@types'), '--types', 'node'], { cwd: project, encoding: 'utf8' });
    assert.equal(result.status, 0, result.stdout + result.stderr);
    assert.doesNotMatch(readFileSync(join(EXAMPLE, 'src', 'notes.ts'), 'utf8'), /principal!|as unknown/);
  });

  test('rampart audit finds nothing in it but what development mode exposes on purpose', async () => {
    let server: { url: string; child: ChildProcess } | undefined;
    try {
      server = await startExample(project);
      const report = await audit(project, server.url);
      // As the README says: the open docs of development mode, plain HTTP as an info note, nothing else.
      const findings = report.findings.filter((f) => !(f.id === 'inventory.docs-exposed' && f.context === 'development-only') && !(f.id === 'transport.plain-http' && f.severity === 'info'));
      assert.deepEqual(findings.map((f) => `${f.severity} ${f.id}`), []);
      for (const check of ['bola', 'mass-assignment', 'data-exposure', 'function-level', 'injection']) assert.ok(report.checks.ran.includes(check), `${check} ran`);
    } finally {
      server?.child.kill();
    }
  });

  test('rampart audit flags the broken twin: another user\'s note read and deleted by its id (BOLA)', async () => {
    let server: { url: string; child: ChildProcess } | undefined;
    try {
      server = await startExample(twin);
      const report = await audit(twin, server.url);
      const ids = report.findings.map((f) => f.id);
      assert.ok(ids.includes('bola.read'), ids.join(', '));
      assert.ok(ids.includes('bola.delete'), ids.join(', '));
    } finally {
      server?.child.kill();
    }
  });
});
