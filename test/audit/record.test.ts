// `rampart audit record`: the real command, spawned, as a loopback proxy in front of the no-spec
// fixture; the calls its page makes go through it, Ctrl-C (SIGINT) ends it, and the document it
// wrote names the routes and where the credential travelled, never the password or the token;
// then the audit runs on that document. The proxy itself forwards faithfully (bodies, compressed
// answers, redirects back through it) and refuses to listen beyond loopback.
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import type { ChildProcessWithoutNullStreams } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, statSync } from 'node:fs';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';
import { after, before, describe, test } from 'node:test';
import { runAudit } from '../../src/audit/engine.ts';
import { startRecorder } from '../../src/audit/record/proxy.ts';
import { startNoSpec } from '../fixtures/nospec-express/start.ts';
import type { RunningNoSpec } from '../fixtures/nospec-express/start.ts';
import { closeAll } from '../helpers/close-all.ts';

const ROOT = new URL('../../', import.meta.url);
const dir = mkdtempSync(join(tmpdir(), 'rampart-record-'));
const out = join(dir, 'recorded.json');
let fx: RunningNoSpec | undefined;
let child: ChildProcessWithoutNullStreams | undefined;
let token = '';
let stdout = '';
let exitCode: number | null = null;

function startCommand(args: string[]): Promise<string> {
  child = spawn(process.execPath, ['src/cli/main.ts', 'audit', 'record', ...args], { cwd: ROOT });
  child.stderr.on('data', (chunk: Buffer) => process.stderr.write(chunk));
  return new Promise((resolve, reject) => {
    child!.stdout.on('data', (chunk: Buffer) => {
      stdout += chunk.toString();
      const url = /send requests to (http:\/\/\S+?)\/ /.exec(stdout)?.[1];
      if (url !== undefined) resolve(url);
    });
    child!.once('exit', (code) => reject(new Error(`record exited ${code}: ${stdout}`)));
  });
}

before(async () => {
  fx = await startNoSpec();
  const proxy = await startCommand(['--listen', '127.0.0.1:0', '--target', fx.vuln, '--out', out]);
  const call = async (method: string, path: string, headers: Record<string, string> = {}, body?: string): Promise<unknown> => {
    const answer = await fetch(`${proxy}${path}`, { method, headers, ...(body === undefined ? {} : { body }), redirect: 'manual' });
    const text = await answer.text();
    return answer.headers.get('content-type')?.includes('json') === true ? JSON.parse(text) : text;
  };
  await call('GET', '/');
  await call('GET', '/static/app.js');
  const login = (await call('POST', '/api/session', { 'Content-Type': 'application/json' }, JSON.stringify({ login: 'alice', password: fx.users.alice.password }))) as { result: { session_token: string } };
  token = login.result.session_token;
  const auth = { 'X-Auth-Token': token };
  await call('GET', '/api/account', auth);
  await call('GET', '/api/products?limit=12', auth);
  const orders = (await call('GET', '/api/orders', auth)) as { id: number }[];
  for (const order of orders.slice(0, 2)) await call('GET', `/api/orders/${order.id}`, auth);
  const exited = new Promise<number | null>((resolve) => child!.once('exit', resolve));
  child!.kill('SIGINT');
  exitCode = await exited;
});
after(() => closeAll(fx, () => child?.kill('SIGKILL'), () => rmSync(dir, { recursive: true, force: true })));

describe('rampart audit record in front of the no-spec fixture', () => {
  test('Ctrl-C ends it with 0 and a summary; the document holds the routes, mode 0600', () => {
    assert.equal(exitCode, 0);
    assert.match(stdout, /recorded 8 request\(s\), \d+ path\(s\), in .*recorded\.json; audit it with: rampart audit http:\/\/127\.0\.0\.1:\d+\/ --openapi /);
    assert.equal(statSync(out).mode & 0o777, 0o600);
    const document = JSON.parse(readFileSync(out, 'utf8')) as { openapi: string; paths: Record<string, Record<string, { security?: unknown }>> };
    assert.equal(document.openapi, '3.1.0');
    for (const [path, method] of [['/api/session', 'post'], ['/api/account', 'get'], ['/api/products', 'get'], ['/api/orders', 'get'], ['/api/orders/{id}', 'get']] as const) {
      assert.ok(document.paths[path]?.[method] !== undefined, `${method} ${path} in ${Object.keys(document.paths).join(', ')}`);
    }
    assert.deepEqual(document.paths['/api/orders/{id}']!.get!.security, [{ 'importedHeader_X-Auth-Token': [] }]);
  });

  test('neither the password nor the session token is in the document', () => {
    const text = readFileSync(out, 'utf8');
    assert.ok(token.length > 8);
    assert.ok(!text.includes(token));
    assert.ok(!text.includes(fx!.users.alice.password));
  });

  test('the audit with the recorded document runs the checks that need a spec and leaves nothing behind', async () => {
    const result = await runAudit({ target: fx!.vuln, openapi: out, rate: 2000, maxRequests: 1500, timeoutMs: 5000, maxRetryWaitMs: 1000 });
    assert.ok(result.checks.ran.includes('injection'));
    assert.ok(!result.checks.skipped.some((s) => /needs an OpenAPI spec/.test(s.reason)));
    assert.deepEqual(result.changes, []);
  });
});

describe('the recording proxy forwards faithfully', () => {
  let target: http.Server | undefined;
  let origin = '';
  before(async () => {
    target = http.createServer((request, response) => {
      const chunks: Buffer[] = [];
      request.on('data', (chunk: Buffer) => chunks.push(chunk));
      request.on('end', () => {
        if (request.url === '/old') {
          response.writeHead(302, { location: `${origin}/new` }).end();
        } else if (request.url === '/zipped') {
          response.writeHead(200, { 'content-type': 'application/json', 'content-encoding': 'gzip' }).end(gzipSync('{"ok":true}'));
        } else {
          response.writeHead(201, { 'content-type': 'application/json', 'x-seen-host': request.headers.host ?? '' });
          response.end(JSON.stringify({ method: request.method, url: request.url, body: Buffer.concat(chunks).toString() }));
        }
      });
    });
    await new Promise<void>((resolve) => target!.listen(0, '127.0.0.1', resolve));
    origin = `http://127.0.0.1:${(target.address() as AddressInfo).port}`;
  });
  after(() => closeAll(() => target?.close()));

  test('method, path, query and body arrive as sent; Host names the target; redirects come back through the proxy', async () => {
    const recorder = await startRecorder({ host: '127.0.0.1', port: 0, target: new URL(origin) });
    try {
      const answer = await fetch(`${recorder.url}/things/7?x=1`, { method: 'PATCH', headers: { 'content-type': 'application/json' }, body: '{"name":"ü"}' });
      assert.equal(answer.status, 201);
      assert.equal(answer.headers.get('x-seen-host'), new URL(origin).host);
      assert.deepEqual(await answer.json(), { method: 'PATCH', url: '/things/7?x=1', body: '{"name":"ü"}' });
      const moved = await fetch(`${recorder.url}/old`, { redirect: 'manual' });
      assert.equal(moved.headers.get('location'), `${recorder.url}/new`);
      const zipped = await fetch(`${recorder.url}/zipped`);
      assert.deepEqual(await zipped.json(), { ok: true });
      assert.deepEqual(recorder.observed.map((o) => `${o.method} ${o.url.pathname} ${o.response?.status}`), ['PATCH /things/7 201', 'GET /old 302', 'GET /zipped 200']);
      assert.equal(recorder.observed[0]!.body?.text, '{"name":"ü"}');
    } finally {
      await recorder.close();
    }
  });

  test('a target that does not answer is a 502 problem, and nothing is recorded', async () => {
    const recorder = await startRecorder({ host: '127.0.0.1', port: 0, target: new URL('http://127.0.0.1:9/') });
    try {
      const answer = await fetch(`${recorder.url}/x`);
      assert.equal(answer.status, 502);
      assert.equal(answer.headers.get('content-type'), 'application/problem+json');
      assert.deepEqual(recorder.observed, []);
    } finally {
      await recorder.close();
    }
  });

  test('it listens on loopback only', async () => {
    await assert.rejects(startRecorder({ host: '0.0.0.0', port: 0, target: new URL(origin) }), /loopback only/);
    await assert.rejects(startRecorder({ host: '192.168.1.10', port: 0, target: new URL(origin) }), /loopback only/);
  });
});
