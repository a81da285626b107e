// The published package works where Node will not strip types: pack it, install the tarball
// into an empty project, import the toolkit's public entry, and run `rampart --help`.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { closeAll } from '../helpers/close-all.ts';

const ROOT = fileURLToPath(new URL('../..', import.meta.url));
const NPM_ENV = { ...process.env, npm_config_audit: 'false', npm_config_fund: 'false', npm_config_update_notifier: 'false' };

describe('npm pack → install → import', { timeout: 300_000 }, () => {
  let dir: string;
  let project: string;
  before(() => {
    dir = mkdtempSync(join(tmpdir(), 'rampart-pack-'));
    execFileSync('npm', ['pack', '--pack-destination', dir], { cwd: ROOT, env: NPM_ENV, stdio: 'pipe' });
    const tarball = readdirSync(dir).find((name) => name.endsWith('.tgz'));
    assert.ok(tarball, 'npm pack produced a tarball');
    project = join(dir, 'consumer');
    execFileSync('mkdir', ['-p', project]);
    writeFileSync(join(project, 'package.json'), JSON.stringify({ name: 'consumer', version: '1.0.0', type: 'module', private: true }));
    execFileSync('npm', ['install', '--prefer-offline', '--no-package-lock', join(dir, tarball)], { cwd: project, env: NPM_ENV, stdio: 'pipe' });
  });
  after(() => closeAll(() => rmSync(dir, { recursive: true, force: true })));

  test('the tarball ships JavaScript and declarations, not TypeScript sources', () => {
    const installed = join(project, 'node_modules', 'rampart');
    const files = readdirSync(join(installed, 'dist', 'toolkit'));
    assert.ok(files.includes('index.js'));
    assert.ok(files.includes('index.d.ts'));
    assert.ok(!readdirSync(installed).includes('src'));
    assert.ok(!readdirSync(installed).includes('test'));
  });

  test('the public entry imports and creates a server', () => {
    const script = "import { createServer, Type } from 'rampart'; const app = await createServer({ mode: 'development', logLevel: 'silent' }); app.get('/x', { policy: { public: true }, schema: { response: { 200: Type.Object({ ok: Type.Boolean() }, { additionalProperties: false }) } } }, () => ({ ok: true })); const r = await app.inject({ url: '/x', headers: { host: 'localhost' } }); console.log(r.statusCode, r.headers['x-frame-options']); await app.close();";
    const output = execFileSync(process.execPath, ['--input-type=module', '-e', script], { cwd: project, encoding: 'utf8' });
    assert.equal(output.trim(), '200 DENY');
  });

  test('rampart --help runs from the installed package', () => {
    const output = execFileSync('npm', ['exec', '--no', '--', 'rampart', '--help'], { cwd: project, env: NPM_ENV, encoding: 'utf8' });
    assert.match(output, /Usage: rampart/);
    assert.match(output, /serve/);
  });
});
