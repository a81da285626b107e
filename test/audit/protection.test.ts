// Protection found by behaviour (issue 19 item 5): a spec that declares no security at all, and
// routes that refuse anonymous callers in every way real APIs do (401/403, a redirect to a login,
// an error body with 200, a login page); 400/422 tell nothing, so the spec decides; writes are
// tried only with a body no parser accepts; reads are tried as each identity. The report lists
// the classification, and the checks use it (data exposure on the Flask fixture, whose spec
// declares nothing).
import assert from 'node:assert/strict';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { runAudit } from '../../src/audit/engine.ts';
import { refusal } from '../../src/audit/protection.ts';
import { renderReport } from '../../src/audit/report/index.ts';
import { startFlask } from '../fixtures/vulnerable-flask/start.ts';
import type { RunningFlask } from '../fixtures/vulnerable-flask/start.ts';
import { closeAll } from '../helpers/close-all.ts';

const answer = (status: number, text = '', headers: Record<string, string> = {}): Parameters<typeof refusal>[0] => ({ status, headers, text, body: Buffer.from(text), truncated: false, durationMs: 1 });

describe('what counts as refusing an anonymous caller', () => {
  test('401, 403, a redirect to a login, an error body with 200, a login page; not 400, 422, 404 or content', () => {
    assert.equal(refusal(answer(401)), 'answered 401');
    assert.equal(refusal(answer(403)), 'answered 403');
    assert.match(refusal(answer(302, '', { location: '/account/login?next=/x' }))!, /redirects to a login/);
    assert.match(refusal(answer(200, '{"ok":false,"error":"Login required"}'))!, /error body \(Login required\)/);
    assert.match(refusal(answer(200, '<form><input name=u><input type="password" name=p></form>', { 'content-type': 'text/html' }))!, /login page/);
    for (const status of [400, 422, 404, 500]) assert.equal(refusal(answer(status, '{"error":"bad request"}')), undefined, String(status));
    assert.equal(refusal(answer(302, '', { location: '/elsewhere' })), undefined);
    assert.equal(refusal(answer(200, '[{"id":1,"message":"hello"}]')), undefined);
  });
});

describe('protection of a target whose spec declares no security', () => {
  let server: http.Server;
  let base: string;
  let dir: string;
  let specPath: string;
  const writes: string[] = [];
  before(async () => {
    server = http.createServer((req, res) => {
      const chunks: Buffer[] = [];
      req.on('data', (c: Buffer) => chunks.push(c));
      req.on('end', () => {
        const signedIn = req.headers.authorization === 'Bearer alice-token';
        const json = (status: number, body: unknown): void => void res.writeHead(status, { 'content-type': 'application/json' }).end(JSON.stringify(body));
        const path = (req.url ?? '').split('?')[0];
        if (req.method !== 'GET') writes.push(`${req.method} ${path} ${Buffer.concat(chunks).toString()}`);
        switch (`${req.method} ${path}`) {
          case 'GET /open': return json(200, [{ id: 1, name: 'public' }]);
          case 'GET /mine': return signedIn ? json(200, [{ id: 2 }]) : json(401, { error: 'unauthorized' });
          case 'GET /portal': return signedIn ? json(200, {}) : void res.writeHead(302, { location: '/sso/login' }).end();
          case 'GET /soft': return signedIn ? json(200, { items: [] }) : json(200, { success: false, message: 'Not authenticated' });
          case 'GET /search': return json(422, { detail: 'q is required' });
          case 'GET /hidden': return signedIn ? json(200, { secret: 1 }) : json(404, { error: 'not found' });
          case 'POST /notes': return signedIn ? json(400, { error: 'bad json' }) : json(401, { error: 'unauthorized' });
          case 'POST /feedback': return json(400, { error: 'bad json' });
          default: return json(404, { error: 'not found' });
        }
      });
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    base = `http://127.0.0.1:${(server.address() as AddressInfo).port}/`;
    dir = mkdtempSync(join(tmpdir(), 'rampart-protection-'));
    specPath = join(dir, 'openapi.json');
    const get = { responses: { 200: { description: 'ok' } } };
    const post = { requestBody: { content: { 'application/json': { schema: { type: 'object', properties: { text: { type: 'string' } } } } } }, responses: { 201: { description: 'ok' } } };
    writeFileSync(specPath, JSON.stringify({
      openapi: '3.0.3', info: { title: 't', version: '1' },
      paths: { '/open': { get }, '/mine': { get }, '/portal': { get }, '/soft': { get }, '/search': { get }, '/hidden': { get }, '/notes': { post }, '/feedback': { post }, '/items/{id}': { delete: { parameters: [{ name: 'id', in: 'path', required: true, schema: { type: 'integer' } }], responses: { 204: { description: 'gone' } } } } },
    }));
  });
  after(() => closeAll(() => new Promise<void>((resolve) => server.close(() => resolve())), () => rmSync(dir, { recursive: true, force: true })));

  test('each route classified by how it answers, writes only with an unparseable body, and the report lists it', async () => {
    const result = await runAudit({ target: base, openapi: specPath, rate: 1000, maxRequests: 200, timeoutMs: 2000, checks: [], identities: [{ name: 'alice', role: 'user', credential: { kind: 'bearer', token: 'alice-token' } }] });
    const verdicts = Object.fromEntries(result.protection.map((p) => [`${p.method} ${p.route}`, p.verdict]));
    assert.deepEqual(verdicts, {
      'GET /open': 'public',
      'GET /mine': 'protected',
      'GET /portal': 'protected',
      'GET /soft': 'protected',
      'GET /search': 'unknown',
      'GET /hidden': 'protected',
      'POST /notes': 'protected',
      'POST /feedback': 'unknown',
      'DELETE /items/{id}': 'unknown',
    });
    const mine = result.protection.find((p) => p.route === '/mine')!;
    assert.equal(mine.anonymous, 401);
    assert.deepEqual(mine.identities, { alice: 200 });
    assert.match(result.protection.find((p) => p.route === '/soft')!.why, /error body \(Not authenticated\)/);
    assert.match(result.protection.find((p) => p.route === '/items/{id}')!.why, /not sent/);
    // Writes went out only anonymously, with a body no parser accepts; nothing was deleted.
    assert.deepEqual(writes.sort(), ['POST /feedback {"', 'POST /notes {"']);
    const text = renderReport('text', result);
    assert.match(text, /Protection, found by behaviour \(every check uses it\): 5 protected, 1 public, 3 unknown/);
    assert.match(text, /protected GET \/mine: refuses anonymous callers: answered 401; alice gets 2xx/);
    const json = JSON.parse(renderReport('json', result)) as { protection: unknown[] };
    assert.equal(json.protection.length, 9);
  });
});

describe('the checks use it: the Flask fixture declares no security', () => {
  let fx: RunningFlask | undefined;
  before(async () => {
    fx = await startFlask();
  });
  after(() => closeAll(fx));

  test('data exposure finds other members’ emails in the listing that refuses anonymous callers, logged in from the spec with no hints', async () => {
    const flask = fx!;
    const identities = (['alice', 'bob'] as const).map((name) => ({ name, role: 'user' as const, credential: { kind: 'login' as const, username: name, password: flask.users[name].password } }));
    const result = await runAudit({ target: flask.vuln, openapi: flask.specPath, rate: 1000, maxRequests: 1000, timeoutMs: 5000, only: ['data-exposure'], identities });
    assert.equal(result.protection.find((p) => p.method === 'GET' && p.route === '/api/users')?.verdict, 'protected');
    const ids = result.findings.map((f) => `${f.id} ${f.location.method} ${f.location.route}`);
    assert.ok(ids.includes('data-exposure.personal-data GET /api/users'), ids.join('\n'));
    const fixed = await runAudit({ target: flask.fixed, openapi: flask.specPath, rate: 1000, maxRequests: 1000, timeoutMs: 5000, only: ['data-exposure'], identities });
    assert.deepEqual(fixed.findings.map((f) => f.id), []);
  });
});
