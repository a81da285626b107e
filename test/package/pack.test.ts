// The published package works where Node will not strip types: pack it, install the tarball
// into an empty project, import the toolkit's public entry, and run `rampart --help`. On an
// older Node (this machine's own /usr/bin/node is 20) both stop with one line naming Node 24.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync, spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { closeAll } from '../helpers/close-all.ts';
import { installTarball, NPM_ENV, packInto, ROOT } from '../helpers/pack.ts';

// A user whose PATH leads to Node 24 (the project's own scripts get it from the `node` devDependency).
const NODE_24_PATH = `${join(ROOT, 'node_modules', '.bin')}:${process.env['PATH'] ?? ''}`;
const OLD_NODE = ['/usr/bin/node', '/usr/local/bin/node'].find((path) => existsSync(path) && Number(execFileSync(path, ['-p', 'process.versions.node.split(".")[0]'], { encoding: 'utf8' })) < 24);

describe('npm pack → install → import', { timeout: 300_000 }, () => {
  let dir: string;
  let project: string;
  before(() => {
    dir = mkdtempSync(join(tmpdir(), 'rampart-pack-'));
    const tarball = packInto(dir);
    project = join(dir, 'consumer');
    execFileSync('mkdir', ['-p', project]);
    writeFileSync(join(project, 'package.json'), JSON.stringify({ name: 'consumer', version: '1.0.0', type: 'module', private: true }));
    installTarball(project, tarball);
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

  test('the published declarations type a user\'s routes: a non-null principal on authenticated routes, 204 without a body, a typed database', () => {
    const source = [
      "import { Type, type Database, type RampartServer, rotateFieldKeys } from 'rampart';",
      'interface Tables { notes: { id: string; owner_id: string } }',
      'export function routes(app: RampartServer): void {',
      "  app.get('/me', { policy: { scopes: [] }, schema: { response: { 200: Type.String() } } }, async (request) => request.principal.username);",
      "  app.get('/open', { policy: { public: true }, schema: { response: { 200: Type.String() } } }, async (request) => {",
      '    // @ts-expect-error -- nullable on a public route',
      '    void request.principal.id;',
      "    return request.principal?.id ?? 'anonymous';",
      '  });',
      "  app.delete('/notes/:id', { policy: { scopes: ['notes:write'] }, schema: { response: { 204: Type.Null() } } }, async (_request, reply) => reply.code(204).send());",
      '}',
      'export const rotate = (database: Database<Tables>) => rotateFieldKeys(database, {} as Parameters<typeof rotateFieldKeys>[1], []);',
    ].join('\n');
    writeFileSync(join(project, 'app.ts'), source);
    const tsconfig = { compilerOptions: { strict: true, module: 'nodenext', moduleResolution: 'nodenext', target: 'es2024', noEmit: true, skipLibCheck: true, types: [], typeRoots: [join(ROOT, 'node_modules', '@types')] }, files: ['app.ts'] };
    writeFileSync(join(project, 'tsconfig.json'), JSON.stringify(tsconfig));
    const result = spawnSync(process.execPath, [join(ROOT, 'node_modules', 'typescript', 'bin', 'tsc'), '-p', project], { cwd: project, encoding: 'utf8' });
    assert.equal(result.status, 0, result.stdout + result.stderr);
  });

  test('installing it does not download a Node binary: `node` is only a development dependency', () => {
    assert.equal(existsSync(join(project, 'node_modules', 'node')), false);
  });

  test('rampart --help runs from the installed package', () => {
    const output = execFileSync('npm', ['exec', '--no', '--', 'rampart', '--help'], { cwd: project, env: { ...NPM_ENV, PATH: NODE_24_PATH }, encoding: 'utf8' });
    assert.match(output, /Usage: rampart/);
    assert.match(output, /serve/);
  });

  test('on an older Node, importing the package and running its command each fail with one line naming Node 24', { skip: OLD_NODE === undefined ? 'no Node older than 24 on this machine' : false }, () => {
    const imported = spawnSync(OLD_NODE!, ['--input-type=module', '-e', "import('rampart').then(() => console.log('loaded'), (error) => { console.error(error.message); process.exit(1); })"], { cwd: project, encoding: 'utf8' });
    assert.equal(imported.status, 1);
    assert.match(imported.stderr, /^rampart needs Node\.js 24 or newer; this is Node\.js 2\d\.[\d.]+ \(install Node\.js 24 LTS\)\n$/);
    const command = spawnSync(OLD_NODE!, [join(project, 'node_modules', 'rampart', 'dist', 'cli', 'main.js'), '--help'], { cwd: project, encoding: 'utf8' });
    assert.equal(command.status, 1);
    assert.equal(command.stdout, '');
    assert.match(command.stderr, /^rampart needs Node\.js 24 or newer; this is Node\.js [\d.]+ \(install Node\.js 24 LTS\)\n$/);
  });
});
