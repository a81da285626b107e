// --identities-from-har: a HAR in which alice and bob signed in to the no-spec fixture (and one
// wrong password) gives the audit two login identities, so the checks that compare two users run
// as those users (the admin listing that any signed-in user reads is found); neither password reaches the report or the request log. Without a
// sign-in, tokens are used one per JWT subject, and at most one opaque credential.
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { runAudit } from '../../src/audit/engine.ts';
import { identitiesFromHar } from '../../src/audit/imports/identities.ts';
import type { Observed } from '../../src/audit/imports/openapi.ts';
import { startNoSpec } from '../fixtures/nospec-express/start.ts';
import type { RunningNoSpec } from '../fixtures/nospec-express/start.ts';
import { closeAll } from '../helpers/close-all.ts';
import { harFile, record } from '../helpers/har.ts';

const dir = mkdtempSync(join(tmpdir(), 'rampart-har-ids-'));
const harPath = join(dir, 'two-users.har');
const logPath = join(dir, 'requests.jsonl');
let fx: RunningNoSpec | undefined;

before(async () => {
  fx = await startNoSpec();
  const origin = fx.vuln.replace(/\/$/, '');
  const entries: unknown[] = [];
  const json = { 'Content-Type': 'application/json' };
  entries.push((await record('POST', `${origin}/api/session`, json, JSON.stringify({ login: 'carol', password: 'not-her-password' }))).entry);
  for (const user of ['alice', 'bob'] as const) {
    const login = await record('POST', `${origin}/api/session`, json, JSON.stringify({ login: user, password: fx.users[user].password }));
    entries.push(login.entry);
    const token = (login.json as { result: { session_token: string } }).result.session_token;
    const orders = await record('GET', `${origin}/api/orders`, { 'X-Auth-Token': token });
    entries.push(orders.entry);
    for (const order of (orders.json as { id: number }[]).slice(0, 1)) entries.push((await record('GET', `${origin}/api/orders/${order.id}`, { 'X-Auth-Token': token })).entry);
  }
  writeFileSync(harPath, harFile(entries));
});
after(() => closeAll(fx, () => rmSync(dir, { recursive: true, force: true })));

describe('rampart audit --har --identities-from-har', () => {
  test('the two sign-ins act as identities and their tokens travel where the browser sent them; no password in the result or the log', async () => {
    const result = await runAudit({ target: fx!.vuln, har: harPath, identitiesFromHar: true, logRequests: logPath, rate: 2000, maxRequests: 2500, timeoutMs: 5000, maxRetryWaitMs: 1000 });
    const notes = result.notes.join('\n');
    assert.match(notes, /--identities-from-har: 2 sign-in\(s\) in the HAR act as identities \(har-alice, har-bob\)/);
    assert.ok(result.checks.ran.includes('bola'), `bola skipped: ${JSON.stringify(result.checks.skipped.find((s) => s.id === 'bola'))}`);
    // Only a user's token (in X-Auth-Token, as the HAR sent it) reads the admin listing.
    assert.ok(result.findings.some((f) => f.id === 'function-level.admin-route' && f.location.route === '/api/admin/orders'), result.findings.map((f) => `${f.id} ${f.location.route}`).join(', '));
    assert.doesNotMatch(notes, /as har-(?:alice|bob) answered 401/);
    const everything = JSON.stringify(result) + readFileSync(logPath, 'utf8');
    for (const user of ['alice', 'bob'] as const) assert.ok(!everything.includes(fx!.users[user].password), `${user}'s password leaked`);
    assert.deepEqual(result.changes, []);
  });

  test('without --har it is a usage error', async () => {
    await assert.rejects(runAudit({ target: fx!.vuln, identitiesFromHar: true, rate: 2000, maxRequests: 10, timeoutMs: 5000 }), /--identities-from-har takes its identities from the file given with --har/);
  });
});

describe('identitiesFromHar without a sign-in', () => {
  const origin = 'http://127.0.0.1:9999';
  const jwt = (sub: string): string => `eyJhbGciOiJIUzI1NiJ9.${Buffer.from(JSON.stringify({ sub })).toString('base64url')}.c2ln`;
  const seen = (headers: [string, string][], url = `${origin}/things`): Observed => ({ method: 'GET', url: new URL(url), headers: headers.map(([name, value]) => ({ name, value })), response: { status: 200 } });

  test('one identity per JWT subject, the latest token of each', () => {
    const found = identitiesFromHar([seen([['Authorization', `Bearer ${jwt('7')}`]]), seen([['Authorization', `Bearer ${jwt('8')}`]]), seen([['Authorization', `Bearer ${jwt('7')}x`]])], origin, new Set());
    assert.deepEqual(found.identities.map((i) => [i.name, i.credential]), [['har-sub-7', { kind: 'bearer', token: `${jwt('7')}x` }], ['har-sub-8', { kind: 'bearer', token: jwt('8') }]]);
  });

  test('opaque credentials cannot be told apart by user: only one is used, and the note says so', () => {
    const found = identitiesFromHar([seen([['X-Auth-Token', 'aaaa']]), seen([['X-Auth-Token', 'bbbb']]), seen([['X-Auth-Token', 'cccc']], 'http://127.0.0.1:1/elsewhere')], origin, new Set(['har-1']));
    assert.deepEqual(found.identities.map((i) => [i.name, i.credential]), [['har-1-2', { kind: 'header', name: 'X-Auth-Token', value: 'bbbb' }]]);
    assert.match(found.notes[0]!, /2 were seen, but opaque credentials cannot be told apart by user, so only one is used/);
  });

  test('a failed sign-in and a request without credentials give nothing', () => {
    const failed: Observed = { method: 'POST', url: new URL(`${origin}/login`), headers: [], body: { mimeType: 'application/json', text: '{"username":"a","password":"b"}' }, response: { status: 401 } };
    assert.deepEqual(identitiesFromHar([failed, seen([])], origin, new Set()).identities, []);
  });
});
