// Accounts of the audit's own (issue 19 item 4). On a target that lets anyone sign up, the audit
// registers an account (unique name, strong random password, a valid value for every required
// field), logs in as it and uses it, never a given identity, for privileged fields; it deletes the
// account at the end when the target offers a DELETE on it, else names it as left behind and the
// before/after comparison lists it without counting it as a change.
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:http';
import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { runAudit } from '../../src/audit/engine.ts';
import type { AuditResult } from '../../src/audit/engine.ts';
import type { IdentitySpec } from '../../src/audit/identities/config.ts';
import { findRegistration, newCredentials, registrationBody } from '../../src/audit/identities/accounts.ts';
import { Ajv } from 'ajv';
import type { AnySchema } from 'ajv';
import addFormatsModule from 'ajv-formats';
import { renderHtml } from '../../src/audit/report/html.ts';
import { renderJson } from '../../src/audit/report/json.ts';
import { renderText } from '../../src/audit/report/text.ts';
import { buildSpec } from '../../src/audit/spec/load.ts';
import { startFlask } from '../fixtures/vulnerable-flask/start.ts';
import type { RunningFlask } from '../fixtures/vulnerable-flask/start.ts';
import { closeAll } from '../helpers/close-all.ts';
import { describe as list } from './helpers.ts';

/** A club's API: sign-up (a required `plan` from an enum), login, its own profile, PATCH /me that copies `role` (planted), DELETE of one's own account. */
interface Member {
  id: number;
  handle: string;
  email: string;
  password: string;
  role: string;
  plan: string;
}

const ROLE = { type: 'string', enum: ['member', 'admin'] };
const PROFILE = { type: 'object', properties: { id: { type: 'integer' }, handle: { type: 'string' }, email: { type: 'string', format: 'email' }, role: ROLE, plan: { type: 'string' } } };
const json = (schema: object): object => ({ content: { 'application/json': { schema } } });
const SPEC = {
  openapi: '3.0.3',
  info: { title: 'Club', version: '1' },
  paths: {
    '/signup': { post: { requestBody: { required: true, ...json({ type: 'object', required: ['handle', 'password', 'email', 'plan'], properties: { handle: { type: 'string' }, password: { type: 'string', format: 'password' }, email: { type: 'string', format: 'email' }, plan: { type: 'string', enum: ['free', 'team'] } } }) }, responses: { 201: { description: 'made', ...json(PROFILE) } } } },
    '/login': { post: { requestBody: { required: true, ...json({ type: 'object', required: ['handle', 'password'], properties: { handle: { type: 'string' }, password: { type: 'string', format: 'password' } } }) }, responses: { 200: { description: 'ok' } } } },
    '/me': {
      get: { responses: { 200: { description: 'me', ...json(PROFILE) } } },
      patch: { requestBody: { required: true, ...json({ type: 'object', properties: { email: { type: 'string', format: 'email' } } }) }, responses: { 200: { description: 'changed', ...json(PROFILE) } } },
    },
    '/users/{id}': { delete: { parameters: [{ name: 'id', in: 'path', required: true, schema: { type: 'integer' } }], responses: { 204: { description: 'gone' } } } },
  },
};

interface Club {
  url: string;
  members: Member[];
  /** Every request, with who sent it (handle or `-`). */
  seen: { who: string; method: string; path: string; body: string }[];
  server: Server;
}

async function startClub(): Promise<Club> {
  const members: Member[] = [
    { id: 1, handle: 'alice', email: 'alice@club.test', password: 'alice-pw-1', role: 'member', plan: 'free' },
    { id: 2, handle: 'bob', email: 'bob@club.test', password: 'bob-pw-22', role: 'member', plan: 'free' },
  ];
  const tokens = new Map<string, Member>();
  const seen: Club['seen'] = [];
  let next = 3;
  const server = createServer((req, res) => {
    let text = '';
    req.on('data', (chunk: Buffer) => (text += chunk.toString()));
    req.on('end', () => {
      const send = (status: number, body?: unknown): void => {
        res.writeHead(status, body === undefined ? {} : { 'content-type': 'application/json' }).end(body === undefined ? undefined : JSON.stringify(body));
      };
      const me = tokens.get((req.headers.authorization ?? '').replace(/^Bearer /, ''));
      const path = new URL(req.url ?? '/', 'http://x').pathname;
      seen.push({ who: me?.handle ?? '-', method: req.method ?? '', path, body: text });
      let body: Record<string, unknown> = {};
      try {
        const parsed: unknown = text === '' ? {} : JSON.parse(text);
        if (typeof parsed === 'object' && parsed !== null) body = parsed as Record<string, unknown>;
      } catch {
        return send(400, { error: 'bad json' });
      }
      const profile = (m: Member): object => ({ id: m.id, handle: m.handle, email: m.email, role: m.role, plan: m.plan });
      if (req.method === 'POST' && path === '/signup') {
        const { handle, password, email, plan } = body;
        if (typeof handle !== 'string' || typeof password !== 'string' || password.length < 12 || typeof email !== 'string' || !email.includes('@') || (plan !== 'free' && plan !== 'team')) return send(400, { error: 'invalid' });
        const made: Member = { id: next++, handle, email, password, role: 'member', plan };
        members.push(made);
        return send(201, profile(made));
      }
      if (req.method === 'POST' && path === '/login') {
        const found = members.find((m) => m.handle === body.handle && m.password === body.password);
        if (found === undefined) return send(401, { error: 'no' });
        const token = randomBytes(12).toString('hex');
        tokens.set(token, found);
        return send(200, { token });
      }
      if (me === undefined) return send(401, { error: 'sign in' });
      if (path === '/me' && req.method === 'GET') return send(200, profile(me));
      if (path === '/me' && req.method === 'PATCH') {
        // Planted: every field of the body is copied, role included.
        if (typeof body.email === 'string') me.email = body.email;
        if (typeof body.role === 'string') me.role = body.role;
        return send(200, profile(me));
      }
      const item = /^\/users\/(\d+)$/.exec(path);
      if (item !== null && req.method === 'DELETE') {
        if (Number(item[1]) !== me.id) return send(403, { error: 'not yours' });
        members.splice(members.indexOf(me), 1);
        return send(204);
      }
      if (item !== null && req.method === 'GET') return members.some((m) => m.id === Number(item[1])) ? send(200, profile(members.find((m) => m.id === Number(item[1]))!)) : send(404, { error: 'none' });
      return send(404, { error: 'none' });
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return { url: `http://127.0.0.1:${(server.address() as AddressInfo).port}/`, members, seen, server };
}

const spec = buildSpec(SPEC, 'club.json');

describe('finding the sign-up and filling it', () => {
  test('the POST named like a sign-up, its name, email and password fields; every required field gets a value the spec allows', () => {
    const registration = findRegistration(spec);
    assert.ok(registration);
    assert.equal(registration.operation.path, '/signup');
    assert.deepEqual([registration.userField, registration.emailField, registration.passwordField], ['handle', 'email', 'password']);
    const one = newCredentials();
    const two = newCredentials();
    assert.notEqual(one.username, two.username);
    assert.match(one.username, /^[a-z0-9]{3,32}$/);
    assert.ok(one.password.length >= 20 && /[A-Z]/.test(one.password) && /[a-z]/.test(one.password) && /\d/.test(one.password) && /[^A-Za-z0-9]/.test(one.password));
    assert.notEqual(one.password, two.password);
    assert.deepEqual(registrationBody(spec, registration, one, { role: 'admin' }), { handle: one.username, password: one.password, email: one.email, plan: 'free', role: 'admin' });
    // A login is not a sign-up, and a spec without one has none.
    assert.equal(findRegistration(buildSpec({ ...SPEC, paths: { '/login': SPEC.paths['/login'] } }, 'x.json')), undefined);
  });
});

let club: Club;
let flask: RunningFlask;
let result: AuditResult;
const IDS: IdentitySpec[] = [
  { name: 'alice', role: 'user', credential: { kind: 'login', username: 'alice', password: 'alice-pw-1' } },
  { name: 'bob', role: 'user', credential: { kind: 'login', username: 'bob', password: 'bob-pw-22' } },
];
before(async () => {
  [club, flask] = await Promise.all([startClub(), startFlask()]);
  const path = join(mkdtempSync(join(tmpdir(), 'rampart-club-')), 'openapi.json');
  writeFileSync(path, JSON.stringify(SPEC));
  result = await runAudit({ target: club.url, openapi: path, rate: 2000, maxRequests: 2000, timeoutMs: 5000, only: ['mass-assignment'], identities: IDS });
});
after(() => closeAll(flask, { close: () => new Promise<void>((resolve) => club.server.close(() => resolve())) }));

describe('privileged fields on the audit’s own account, deleted at the end', () => {
  test('PATCH /me copies role: found on the account the audit registered, never tried as alice or bob', () => {
    const found = result.findings.find((f) => f.id === 'mass-assignment.update');
    assert.ok(found, `${list(result)}\n${result.notes.join('\n')}`);
    assert.deepEqual(found.location, { method: 'PATCH', route: '/me', parameter: 'role' });
    const account = result.accounts[0]!;
    assert.match(found.evidence.exchanges[1]!.label, new RegExp(`^${account.username} sends the fields`));
    // alice and bob never sent a write other than their logins; their roles are as they were.
    assert.deepEqual(club.seen.filter((s) => (s.who === 'alice' || s.who === 'bob') && s.method !== 'GET'), []);
    assert.deepEqual(club.members.map((m) => [m.handle, m.role]), [['alice', 'member'], ['bob', 'member']]);
  });

  test('one account: registered with a valid plan, first tried with role at sign-up (did not land), then the throwaway; deleted and verified gone', () => {
    assert.equal(result.accounts.length, 1, JSON.stringify(result.accounts));
    const account = result.accounts[0]!;
    assert.equal(account.fate, 'deleted');
    assert.deepEqual(account.extra, { role: 'admin' });
    // (The protection probe's sign-up carried truncated JSON: refused, nothing made.)
    const signUps = club.seen.filter((s) => s.path === '/signup' && s.body.endsWith('}'));
    assert.equal(signUps.length, 1);
    const sent = JSON.parse(signUps[0]!.body) as Record<string, unknown>;
    assert.equal(sent.plan, 'free');
    assert.equal(sent.handle, account.username);
    assert.ok(club.seen.some((s) => s.who === account.username && s.method === 'DELETE' && s.path === `/users/${account.id}`));
    assert.equal(club.members.length, 2, 'the account is gone');
    const write = result.writes.find((w) => w.route === '/signup' && w.why.startsWith('mass-assignment: register an account of the audit'));
    assert.match(write!.restored, /^yes: .*\/users\/\d+ deleted and verified gone/);
    assert.deepEqual(result.changes, []);
    assert.deepEqual(result.kept, []);
    // Its password is never in the report.
    const password = JSON.parse(signUps[0]!.body).password as string;
    assert.doesNotMatch(JSON.stringify(result) + renderText(result) + renderHtml(result), new RegExp(password.replace(/[^\w]/g, '.')));
    assert.match(renderText(result), new RegExp(`Accounts the audit registered for itself \\(1\\):\\n {2}${account.username} \\(id ${account.id}\\) .*: deleted and verified gone`));
  });
});

describe('a sign-up that copies role, with no way to delete an account (the Flask fixture)', () => {
  const ALICE_BOB = (): IdentitySpec[] => (['alice', 'bob'] as const).map((n) => ({ name: n, role: 'user', credential: { kind: 'login', username: n, password: flask.users[n].password } }));

  test('by default no account is registered where none could be deleted: no sign-up sent, the note says how to allow it, the data is unchanged', async () => {
    const before = ((await flask.state()) as { vuln: unknown }).vuln;
    const signUps: string[] = [];
    const vuln = await runAudit({ target: flask.vuln, openapi: flask.specPath, rate: 2000, maxRequests: 3000, timeoutMs: 5000, identities: ALICE_BOB() }, {
      onRequest: (request) => {
        if (request.method === 'POST' && new URL(request.url).pathname.endsWith('/api/auth/register')) signUps.push(String(request.body ?? ''));
      },
    });
    // Only probes whose body no parser accepts reach the sign-up.
    for (const body of signUps) assert.throws(() => JSON.parse(body) as unknown, SyntaxError, `a sign-up that could succeed was sent: ${body}`);
    assert.deepEqual(vuln.accounts, []);
    assert.ok(vuln.notes.includes("safety: no account of the audit's own: the spec offers no DELETE on an account, so one registered at POST /api/auth/register would stay behind; --unsafe 'POST /api/auth/register' allows it (the report then names it as left behind)"), vuln.notes.join('\n'));
    assert.deepEqual(((await flask.state()) as { vuln: unknown }).vuln, before);
  });

  test('with --unsafe naming the sign-up, vulnerable twin: mass-assignment.registration proven by the account reading its own profile; the account is left behind, listed, and not counted as a change', async () => {
    const before = ((await flask.state()) as { vuln: { users: { username: string }[] } }).vuln;
    const vuln = await runAudit({ target: flask.vuln, openapi: flask.specPath, rate: 2000, maxRequests: 3000, timeoutMs: 5000, only: ['mass-assignment'], unsafe: ['POST /api/auth/register'], identities: ALICE_BOB() });
    const found = vuln.findings.find((f) => f.id === 'mass-assignment.registration');
    assert.ok(found, list(vuln));
    assert.deepEqual(found.location, { method: 'POST', route: '/api/auth/register', parameter: 'role' });
    const [account] = vuln.accounts;
    assert.equal(vuln.accounts.length, 1);
    assert.equal(account!.fate, 'left behind');
    assert.match(found.evidence.exchanges[1]!.response!.bodyExcerpt, new RegExp(`"role": ?"${account!.extra.role as string}"`));
    assert.deepEqual(vuln.changes, []);
    assert.ok(vuln.kept.some((k) => k.startsWith(`GET /api/users as alice: (body): a new item with id ${account!.id}`)), vuln.kept.join('\n'));
    assert.ok(vuln.notes.some((n) => n.startsWith(`safety: left behind on purpose: the account ${account!.username} (id ${account!.id})`)));
    assert.match(vuln.writes.find((w) => w.route === '/api/auth/register' && w.answer === 201)!.restored, /^NO, on purpose: /);
    // The JSON report carries both, and validates against its schema.
    const json = JSON.parse(renderJson(vuln)) as { accounts: unknown; kept: unknown };
    assert.deepEqual([json.accounts, json.kept], [vuln.accounts, vuln.kept]);
    const ajv = new Ajv({ allErrors: true, strict: true });
    (addFormatsModule as unknown as (a: Ajv) => Ajv)(ajv);
    const validate = ajv.compile(JSON.parse(readFileSync(new URL('../../schemas/audit-report.v1.schema.json', import.meta.url), 'utf8')) as AnySchema);
    assert.ok(validate(json), JSON.stringify(validate.errors));
    assert.match(renderHtml(vuln), /<section id="accounts"><h2>Accounts the audit registered for itself \(1\)<\/h2>.*LEFT BEHIND on purpose/);
    // The target's data differs by that account alone.
    const now = ((await flask.state()) as { vuln: { users: { username: string }[] } }).vuln;
    assert.deepEqual({ ...now, users: now.users.filter((u) => u.username !== account!.username) }, before);
  });

  test('fixed twin: the sign-up refuses the extra field (400): no account, no finding, nothing changed', async () => {
    const before = ((await flask.state()) as { fixed: unknown }).fixed;
    const fixed = await runAudit({ target: flask.fixed, openapi: flask.specPath, rate: 2000, maxRequests: 3000, timeoutMs: 5000, only: ['mass-assignment'], unsafe: ['POST /api/auth/register'], identities: ALICE_BOB() });
    assert.deepEqual(fixed.findings, [], list(fixed));
    assert.deepEqual(fixed.accounts, []);
    assert.ok(fixed.notes.some((n) => /role not tried at sign-up: the sign-up at POST \/api\/auth\/register answered 400/.test(n)), fixed.notes.join('\n'));
    assert.deepEqual(((await flask.state()) as { fixed: unknown }).fixed, before);
  });
});
