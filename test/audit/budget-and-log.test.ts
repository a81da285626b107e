// The request budget shared out per check, and the truth about where it ran out; every exchange
// recorded with --log-requests in a file only its owner may read, credentials redacted there and
// in notes; several --format/--output pairs in one run (issue 19 item 8).
import assert from 'node:assert/strict';
import { chmodSync, existsSync, mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { CheckBudget } from '../../src/audit/budget.ts';
import type { Check } from '../../src/audit/check.ts';
import { resolveSettings } from '../../src/audit/config.ts';
import { runAudit } from '../../src/audit/engine.ts';
import { parseIdentity } from '../../src/audit/identities/config.ts';
import { closeAll } from '../helpers/close-all.ts';
import { runCli } from './helpers.ts';

const PASSWORD = 'Budget-Pw-31337';
const TOKEN = 'tok-9f8e7d6c5b4a';

function sender(id: string, count: number, seen: Record<string, number>): Check {
  return {
    id, title: id, owasp: 'API4:2023', cwe: 1, summary: 'test', needs: [], rules: [],
    async run(ctx) {
      for (let i = 0; i < count; i++) {
        const result = await ctx.sendAs(ctx.identities[0]!, { method: 'GET', url: ctx.target.url(`/item?n=${i}&api_key=${TOKEN}`) });
        if (result.outcome === 'ok') seen[id] = (seen[id] ?? 0) + 1;
      }
    },
  };
}

describe('the budget shared out per check', () => {
  test('even shares; what a finished check leaves goes to the others; where it ran out is said', () => {
    const budget = new CheckBudget(10, ['a', 'b', 'c']);
    assert.equal(budget.remaining('a'), 4); // 3 each and 1 in the pool
    for (let i = 0; i < 4; i++) assert.equal(budget.take('a'), true);
    assert.equal(budget.take('a'), false);
    budget.release('b');
    assert.equal(budget.take('a'), true, 'b finished: its share is free');
    assert.equal(budget.take('survey'), true, 'not a check');
    assert.match(budget.ranOut('a')!, /share of the request budget \(3 requests, and what other checks left\) ran out: 1 probe was not sent/);
    assert.equal(budget.ranOut('c'), undefined);
  });

  let server: http.Server;
  let base: string;
  let dir: string;
  before(async () => {
    dir = mkdtempSync(join(tmpdir(), 'rampart-budget-'));
    server = http.createServer((req, res) => {
      const chunks: Buffer[] = [];
      req.on('data', (c: Buffer) => chunks.push(c));
      req.on('end', () => {
        if (req.method === 'POST' && req.url === '/login') {
          const body = JSON.parse(Buffer.concat(chunks).toString() || '{}') as Record<string, string>;
          if (body.email !== 'gil@example.com' || body.password !== PASSWORD) return void res.writeHead(401, { 'content-type': 'application/json' }).end('{"error":"bad"}');
          res.writeHead(200, { 'content-type': 'application/json', 'set-cookie': `sid=${TOKEN}; HttpOnly` }).end(JSON.stringify({ auth: { token: TOKEN } }));
          return;
        }
        res.writeHead(req.headers.authorization === `Bearer ${TOKEN}` ? 200 : 401, { 'content-type': 'application/json' }).end('{"ok":true}');
      });
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    base = `http://127.0.0.1:${(server.address() as AddressInfo).port}/`;
  });
  after(() => closeAll(() => new Promise<void>((resolve) => server.close(() => resolve())), () => rmSync(dir, { recursive: true, force: true })));

  const identity = (): ReturnType<typeof parseIdentity> => parseIdentity('name=gil,login=gil@example.com,password-env=PW,login-url=/login,login-body=json,user-field=email,password-field=password', 'command line', { PW: PASSWORD });

  test('a greedy check cannot starve a modest one; the report says where the budget ran out', async () => {
    const seen: Record<string, number> = {};
    const result = await runAudit({ target: base, rate: 2000, maxRequests: 100, timeoutMs: 2000, checks: [sender('greedy', 500, seen), sender('modest', 30, seen)], identities: [identity()] });
    assert.equal(seen.modest, 30, 'the modest check got every request it asked for');
    assert.ok((seen.greedy ?? 0) >= 30 && (seen.greedy ?? 0) < 100, String(seen.greedy));
    assert.ok(result.notes.some((n) => /^greedy: its share of the request budget \(\d+ requests, and what other checks left\) ran out: \d+ probes were not sent/.test(n)), result.notes.join('\n'));
    assert.ok(!result.notes.some((n) => n.startsWith('modest:')), result.notes.join('\n'));
    assert.ok(result.notes.some((n) => /audit incomplete: the request budget ran out for greedy/.test(n)));
    assert.equal(result.complete, false);
    assert.ok(result.requests <= 100);
    assert.equal(result.requestsBy.modest, 30);
  });

  test('--log-requests: every exchange, mode 0600 even over an older file, no password, token or cookie in it', async () => {
    const path = join(dir, 'exchanges.jsonl');
    writeFileSync(path, 'old\n');
    chmodSync(path, 0o644);
    const seen: Record<string, number> = {};
    const result = await runAudit({ target: base, rate: 2000, maxRequests: 50, timeoutMs: 2000, checks: [sender('reader', 3, seen)], identities: [identity()], logRequests: path });
    assert.equal(statSync(path).mode & 0o777, 0o600);
    const text = readFileSync(path, 'utf8');
    const lines = text.trim().split('\n').map((line) => JSON.parse(line) as { purpose?: string; request: { headers: Record<string, string>; body?: string; url: string }; response?: { headers: Record<string, string>; body: string } });
    assert.equal(lines.length, result.requests);
    for (const secret of [PASSWORD, TOKEN]) assert.ok(!text.includes(secret), `${secret} is in the log`);
    const login = lines.find((l) => l.purpose === 'log in as gil')!;
    assert.equal(login.request.body, '{"email":"gil@example.com","password":"<redacted>"}');
    assert.equal(login.response!.headers['set-cookie'], '<redacted>');
    assert.equal(login.response!.body, '{"auth":{"token":"<redacted>"}}');
    const read = lines.find((l) => l.purpose?.startsWith('reader:'))!;
    assert.equal(read.request.headers.authorization, '<redacted>');
    assert.match(read.request.url, /api_key=<redacted>/);
  });

  test('several --format/--output pairs in one run; the last format may go to standard output', async () => {
    const settings = resolveSettings({ target: base, format: ['json', 'sarif', 'text'], output: ['a.json', 'b.sarif'] }, undefined);
    assert.deepEqual(settings.reports, [{ format: 'json', output: 'a.json' }, { format: 'sarif', output: 'b.sarif' }, { format: 'text' }]);
    assert.throws(() => resolveSettings({ target: base, format: ['json'], output: ['a.json', 'b.json'] }, undefined), /one --output per --format/);
    assert.throws(() => resolveSettings({ target: base, output: ['a.json', 'b.json'] }, undefined), /need a --format for each/);
    const json = join(dir, 'report.json');
    const sarif = join(dir, 'report.sarif');
    const ran = await runCli([base, '--only', 'headers', '--rate', '500', '--format', 'json', '--output', json, '--format', 'sarif', '--output', sarif, '--format', 'text', '--fail-on', 'none']);
    assert.equal(ran.code, 0, ran.stderr);
    assert.ok(existsSync(json) && existsSync(sarif));
    assert.equal((JSON.parse(readFileSync(json, 'utf8')) as { schemaVersion: number }).schemaVersion, 1);
    assert.equal((JSON.parse(readFileSync(sarif, 'utf8')) as { version: string }).version, '2.1.0');
    assert.match(ran.stdout, /^Rampart audit of /);
    assert.match(ran.stderr, /Report written to .*report\.json \(json\)/);
  });
});
