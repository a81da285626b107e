// Notes that tell the truth (issue 19 item 8): a skip names its real cause. A login that answers
// 404 for unknown names is not "throttled"; a route that refuses anonymous callers and also the
// identity's own token is not a route where "no route answers the real token".
import assert from 'node:assert/strict';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:http';
import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { attemptOutcome } from '../../src/audit/checks/authentication.ts';
import { runAudit } from '../../src/audit/engine.ts';
import type { HttpResult } from '../../src/audit/http/client.ts';

// A JWT (HS256, never verified here): what an identity holds is all the jwt check needs to start.
const TOKEN = `${Buffer.from('{"alg":"HS256","typ":"JWT"}').toString('base64url')}.${Buffer.from('{"sub":"1","exp":9999999999}').toString('base64url')}.c2lnbmF0dXJl`;
const SPEC = {
  openapi: '3.0.3',
  info: { title: 'Notes', version: '1' },
  paths: {
    '/login': { post: { requestBody: { required: true, content: { 'application/json': { schema: { type: 'object', required: ['user', 'pass'], properties: { user: { type: 'string' }, pass: { type: 'string', format: 'password' } } } } } }, responses: { 200: { description: 'ok' } } } },
    '/admin/stats': { get: { responses: { 200: { description: 'stats' } } } },
  },
};

let server: Server;
let base: string;
let specPath: string;
before(async () => {
  // alice and bob log in; unknown names get 404, a wrong password 401; /admin/stats refuses everyone: 401 without a token, 403 with one.
  server = createServer((req, res) => {
    let text = '';
    req.on('data', (c: Buffer) => (text += c.toString()));
    req.on('end', () => {
      const send = (status: number, body: unknown): void => void res.writeHead(status, { 'content-type': 'application/json' }).end(JSON.stringify(body));
      if (req.method === 'POST' && req.url === '/login') {
        let body: { user?: unknown; pass?: unknown } = {};
        try {
          body = JSON.parse(text) as typeof body;
        } catch {
          return send(400, { error: 'bad json' });
        }
        const password = { alice: 'alice-pw-1', bob: 'bob-pw-22' }[String(body.user)];
        if (password === undefined) return send(404, { error: 'no such user' });
        return body.pass === password ? send(200, { token: TOKEN }) : send(401, { error: 'wrong password' });
      }
      if (req.url === '/admin/stats') return req.headers.authorization === undefined ? send(401, { error: 'sign in' }) : send(403, { error: 'admins only' });
      return send(404, { error: 'none' });
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  base = `http://127.0.0.1:${(server.address() as AddressInfo).port}/`;
  specPath = join(mkdtempSync(join(tmpdir(), 'rampart-notes-')), 'openapi.json');
  writeFileSync(specPath, JSON.stringify(SPEC));
});
after(() => new Promise<void>((resolve) => server.close(() => resolve())));

const audit = (only: string[]): ReturnType<typeof runAudit> =>
  runAudit({ target: base, openapi: specPath, rate: 2000, maxRequests: 1000, timeoutMs: 5000, only, intensive: true, identities: [
    { name: 'alice', role: 'user', credential: { kind: 'login', username: 'alice', password: 'alice-pw-1' } },
    { name: 'bob', role: 'user', credential: { kind: 'login', username: 'bob', password: 'bob-pw-22' } },
  ] });

describe('each skip names its real cause', () => {
  test('a login that answers 404 for unknown names: the notes say 404, not a limit, and never "throttled"', async () => {
    const result = await audit(['authentication']);
    const notes = result.notes.filter((n) => n.startsWith('authentication:'));
    assert.ok(notes.some((n) => n === 'authentication: /login: failed login 1 got 404 Not Found (the route, or an answer for unknown names), not a limit; no conclusion about a limit'), notes.join('\n'));
    assert.ok(notes.some((n) => n === 'authentication: /login: a timing sample was not a plain failed login (an unknown user got 404 Not Found (the route, or an answer for unknown names), not a limit); timing not judged'), notes.join('\n'));
    assert.ok(notes.every((n) => !/throttl/i.test(n)), notes.join('\n'));
  });

  test('a route that refuses anonymous callers and the identity’s token alike: the jwt note says both, with their statuses', async () => {
    const result = await audit(['jwt']);
    const note = result.notes.find((n) => n.startsWith('jwt: forged tokens not tried'));
    assert.equal(note, "jwt: forged tokens not tried: no protected GET route both answers alice's own token 2xx and refuses a call without it (/admin/stats: refuses anonymous callers (401), and refuses alice's own token too (403: a role or scope it lacks))", result.notes.join('\n'));
  });

  test('what a login attempt got, in words', () => {
    const request = { method: 'POST', url: 'http://x/login', headers: {} };
    const answer = (status: number, headers: Record<string, string> = {}, text = '{}'): HttpResult => ({ outcome: 'ok', request, response: { status, headers, body: Buffer.from(text), text, durationMs: 1, truncated: false } });
    assert.equal(attemptOutcome(answer(404)), '404 Not Found (the route, or an answer for unknown names), not a limit');
    assert.equal(attemptOutcome(answer(429)), '429, a limit (too many attempts)');
    assert.equal(attemptOutcome(answer(401, { 'retry-after': '30' })), '401, a limit (Retry-After: 30)');
    assert.equal(attemptOutcome(answer(401, {}, '{"error":"account locked"}')), '401, a limit (a limit or lockout message)');
    assert.equal(attemptOutcome(answer(200)), '200: the login succeeded');
    assert.equal(attemptOutcome(answer(502)), '502: a server error');
    assert.equal(attemptOutcome({ outcome: 'failed', request, error: 'connection refused' }), 'no usable answer (connection refused)');
  });
});
