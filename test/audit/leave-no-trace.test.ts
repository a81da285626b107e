// Issue 19 items 1-4 on APIs nobody here wrote for the auditor: a full audit of the Flask and the
// Express fixture (both twins), as alice, bob and admin logging in as the fixtures' READMEs say,
// leaves their data exactly as it found it (each fixture exposes its data state); it never calls
// their trap routes (a state-changing GET, a reset); every identity still logs in afterwards; the
// report's ledger lists every write it sent. Then, with --unsafe naming a trap, the audit sees the
// change it left, opens its report with it and exits 1 whatever --fail-on says.
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { createAuditCommand } from '../../src/audit/command.ts';
import { runAudit } from '../../src/audit/engine.ts';
import type { AuditResult } from '../../src/audit/engine.ts';
import type { IdentitySpec } from '../../src/audit/identities/config.ts';
import { renderHtml } from '../../src/audit/report/html.ts';
import { renderText } from '../../src/audit/report/text.ts';
import { startExpress } from '../fixtures/vulnerable-express/start.ts';
import type { RunningExpress } from '../fixtures/vulnerable-express/start.ts';
import { startFlask } from '../fixtures/vulnerable-flask/start.ts';
import type { RunningFlask } from '../fixtures/vulnerable-flask/start.ts';
import { call } from '../fixtures-check/http.ts';
import { closeAll } from '../helpers/close-all.ts';
import { Sink } from './helpers.ts';

type Twin = 'vuln' | 'fixed';
const READS = new Set(['GET', 'HEAD', 'OPTIONS', 'TRACE']);
let flask: RunningFlask | undefined;
let express: RunningExpress | undefined;

before(async () => {
  [flask, express] = await Promise.all([startFlask(), startExpress()]);
});
after(() => closeAll(flask, express));

function identities(users: Record<'alice' | 'bob' | 'admin', { password: string }>): IdentitySpec[] {
  return (['alice', 'bob', 'admin'] as const).map((name) => ({ name, role: name === 'admin' ? 'admin' : 'user', credential: { kind: 'login', username: name, password: users[name].password } }));
}

/**
 * The fixture's state without what the accounts the audit registered and left behind on purpose
 * account for (issue 19 item 4): their rows, and rows they own (their id under an owner key).
 */
function withoutOwnAccounts(state: unknown, result: AuditResult): unknown {
  const left = result.accounts.filter((a) => a.fate === 'left behind');
  const ours = (item: unknown): boolean =>
    typeof item === 'object' && item !== null && !Array.isArray(item) &&
    left.some((a) => Object.entries(item).some(([key, value]) => value === a.username || (a.id !== undefined && /^(?:owner_?id|user_?id|ownerId|userId)$/.test(key) && String(value) === a.id)));
  const walk = (node: unknown): unknown => {
    if (Array.isArray(node)) return node.filter((item) => !ours(item)).map(walk);
    if (typeof node === 'object' && node !== null) return Object.fromEntries(Object.entries(node).map(([k, v]) => [k, walk(v)]));
    return node;
  };
  return walk(state);
}

/**
 * A login after the audit. A fixed twin that limits failed logins per client (all of the audit's
 * come from this address) may still be refusing it: it says for how long, and then it logs in.
 */
async function logIn(base: string, path: string, body: Record<string, string>): ReturnType<typeof call> {
  const first = await call(base, 'POST', path, { body });
  const wait = Number(first.headers.get('retry-after'));
  if (first.status !== 429 || !(wait > 0 && wait <= 15)) return first;
  await new Promise((resolve) => setTimeout(resolve, wait * 1000));
  return call(base, 'POST', path, { body });
}

interface Sent {
  method: string;
  path: string;
  purpose: string;
  body?: string;
  /** Sent with the audit's credentials (an Authorization header or a cookie). */
  credentialed: boolean;
}

/**
 * Issue 19 item 3: every write sent without credentials carries a body no JSON parser accepts,
 * except the credential checks of a login and the audit's own sign-ups (which are in the ledger).
 */
function assertNoAnonymousWriteCouldSucceed(result: AuditResult, sent: Sent[], loginPaths: RegExp): void {
  const anonymous = sent.filter((s) => !READS.has(s.method) && !s.credentialed && !loginPaths.test(s.path) && !/register an account of the audit's own/.test(s.purpose));
  assert.ok(anonymous.length > 0);
  for (const write of anonymous) {
    let parsed = true;
    try {
      JSON.parse(write.body ?? '');
    } catch {
      parsed = false;
    }
    assert.equal(parsed, false, `${write.method} ${write.path} (${write.purpose}) without credentials: ${write.body?.slice(0, 80)}`);
  }
  for (const write of result.writes.filter((w) => w.identity === 'anonymous' && typeof w.answer === 'number' && w.answer >= 200 && w.answer < 300 && !loginPaths.test(w.route) && !/register an account of the audit's own/.test(w.why))) {
    assert.ok(result.notes.some((n) => n.startsWith(`safety: ${write.method} ${write.route} without credentials, with a body that should not be accepted`)), `${write.method} ${write.route} answered ${write.answer}: said in the notes`);
  }
}

async function fullAudit(base: string, specPath: string, users: Record<'alice' | 'bob' | 'admin', { password: string }>, unsafe: string[] = []): Promise<{ result: AuditResult; sent: Sent[] }> {
  const sent: Sent[] = [];
  const result = await runAudit(
    { target: base, openapi: specPath, rate: 2000, maxRequests: 5000, timeoutMs: 5000, maxRetryWaitMs: 2000, identities: identities(users), unsafe },
    {
      onRequest: (request, purpose) => {
        const names = Object.keys(request.headers).map((h) => h.toLowerCase());
        sent.push({ method: request.method, path: new URL(request.url).pathname, purpose: purpose ?? '', credentialed: names.includes('authorization') || names.includes('cookie'), ...(request.body === undefined ? {} : { body: request.body.toString() }) });
      },
    },
  );
  return { result, sent };
}

/** Every write the audit sent, the identities' own logins included, is a line of the ledger. */
function assertLedger(result: AuditResult, sent: Sent[]): void {
  const writes = sent.filter((s) => !READS.has(s.method));
  for (const name of ['alice', 'bob', 'admin']) assert.ok(result.writes.some((w) => w.identity === name && w.why === `log in as ${name}` && w.restored === 'nothing to restore: a login'), name);
  assert.ok(writes.length > 0, 'the audit did write (logins, malformed bodies, objects of its own)');
  assert.equal(result.writes.length, writes.length, JSON.stringify(result.writes.slice(0, 5)));
  for (const write of writes) assert.ok(result.writes.some((w) => w.method === write.method && write.purpose.endsWith(w.why)), `${write.method} ${write.path} (${write.purpose}) is in the ledger`);
  const text = renderText(result);
  assert.match(text, new RegExp(`Writes sent \\(${result.writes.length}\\):`));
  assert.match(text, /Before\/after comparison: no change found/);
  assert.doesNotMatch(text, /THE AUDIT LEFT/);
  const html = renderHtml(result);
  assert.match(html, new RegExp(`<section id="writes"><h2>Writes sent \\(${result.writes.length}\\)</h2>`));
  assert.doesNotMatch(html, /<section id="changes">/);
}

describe('a full audit leaves no trace on the Flask fixture', { timeout: 300_000 }, () => {
  for (const twin of ['vuln', 'fixed'] as const satisfies readonly Twin[]) {
    test(`${twin}: data equal before and after, no trap called, every identity still logs in, every write in the ledger`, async () => {
      const fx = flask!;
      const state = async (): Promise<unknown> => ((await fx.state()) as Record<Twin, unknown>)[twin];
      const before = await state();
      const { result, sent } = await fullAudit(fx[twin], fx.specPath, fx.users);
      assert.deepEqual(withoutOwnAccounts(await state(), result), before, 'the data, the reset stamp included, but for the accounts the audit registered and names');
      assert.deepEqual(sent.filter((s) => /\/api\/tasks\/[^/]+\/archive$|\/api\/admin\/reset-demo$/.test(s.path)), []);
      assert.deepEqual(result.changes, []);
      assert.ok(result.notes.some((n) => /^not called \(safety\): GET \/api\/admin\/reset-demo: its path says "reset"/.test(n)), result.notes.join('\n'));
      assert.ok(result.notes.some((n) => /^not called \(safety\): GET \/api\/tasks\/\{task_id\}\/archive: a GET whose path says "archive" changes state/.test(n)));
      for (const name of ['alice', 'bob', 'admin'] as const) {
        const login = await logIn(fx[twin], fx.login.path, { [fx.login.userField]: name, [fx.login.passwordField]: fx.users[name].password });
        assert.equal(login.status, 200, name);
        assert.equal((await call(fx[twin], 'GET', '/api/me', { token: login.json.data.jwt as string })).status, 200, name);
      }
      assertLedger(result, sent);
      assertNoAnonymousWriteCouldSucceed(result, sent, /\/api\/(?:auth|mobile)\/login$/);
      // The forgot-password route ignores its body: its first anonymous probe (truncated JSON) got 200, was noted and
      // recorded, and no other anonymous write went to it.
      const forgot = sent.filter((s) => s.method === 'POST' && s.path.endsWith('/api/auth/forgot-password') && !s.credentialed);
      assert.equal(forgot.length, 1, forgot.map((f) => f.purpose).join('\n'));
      assert.deepEqual(result.writes.filter((w) => w.route === '/api/auth/forgot-password').map((w) => [w.identity, w.answer]), [['anonymous', 200]]);
      assert.ok(result.notes.some((n) => /^safety: POST \/api\/auth\/forgot-password without credentials, .* answered 200: .*; no further anonymous write is sent to it$/.test(n)), result.notes.join('\n'));
      assert.ok(result.notes.some((n) => n.startsWith('not called (safety): POST /api/auth/forgot-password: it answered 2xx to a body no parser accepts')), result.notes.join('\n'));
    });
  }
});

describe('a full audit leaves no trace on the Express fixture', { timeout: 300_000 }, () => {
  for (const twin of ['vuln', 'fixed'] as const satisfies readonly Twin[]) {
    test(`${twin}: data equal before and after, the state-changing GET never called, every identity still logs in, every write in the ledger`, async () => {
      const fx = express!;
      const state = async (): Promise<unknown> => ((await fx.state()) as Record<Twin, unknown>)[twin];
      const before = await state();
      const { result, sent } = await fullAudit(fx[twin], fx.specPath, fx.users);
      assert.deepEqual(withoutOwnAccounts(await state(), result), before, 'the data, but for the accounts the audit registered and names');
      assert.deepEqual(sent.filter((s) => /\/tasks\/[^/]+\/complete$/.test(s.path)), []);
      assert.deepEqual(result.changes, []);
      for (const name of ['alice', 'bob', 'admin'] as const) {
        const login = await logIn(fx[twin], fx.login.path, { [fx.login.userField]: name, [fx.login.passwordField]: fx.users[name].password });
        assert.equal(login.status, 200, name);
        assert.equal((await call(fx[twin], 'GET', `/${fx.names.me}`, { token: login.json[fx.login.tokenField] as string })).status, 200, name);
      }
      assertLedger(result, sent);
      assertNoAnonymousWriteCouldSucceed(result, sent, new RegExp(`/${fx.names.auth}/${fx.names.signin}$`));
    });
  }
});

describe('a change the audit was allowed to make is seen and reported', { timeout: 300_000 }, () => {
  test('with --unsafe naming the archive GET, the Flask fixture’s chores change: the report opens with them and the exit status is 1 at --fail-on none', async () => {
    const fx = flask!;
    const before = ((await fx.state()) as { vuln: { tasks: { archived: boolean }[] } }).vuln;
    const out = new Sink();
    const err = new Sink();
    let code: number | undefined;
    const users = identities(fx.users);
    const env = Object.fromEntries(users.map((u) => [`PW_${u.name.toUpperCase()}`, (u.credential as { password: string }).password]));
    Object.assign(process.env, env);
    try {
      const command = createAuditCommand({ stdout: out, stderr: err, exit: (c) => (code = c) });
      const args = [fx.vuln, '--openapi', fx.specPath, '--rate', '2000', '--fail-on', 'none', '--unsafe', 'GET /api/tasks/{task_id}/archive'];
      for (const u of users) args.push('--identity', `name=${u.name},role=${u.role},login=${u.name},password-env=PW_${u.name.toUpperCase()}`);
      await command.parseAsync(args, { from: 'user' });
    } finally {
      for (const name of Object.keys(env)) Reflect.deleteProperty(process.env, name);
    }
    const after = ((await fx.state()) as { vuln: { tasks: { archived: boolean }[] } }).vuln;
    assert.notDeepEqual(after.tasks, before.tasks, 'the trap did change a chore');
    assert.equal(code, 1, err.text);
    assert.match(out.text, /^THE AUDIT LEFT THESE CHANGES \(\d+\)/);
    assert.match(out.text, /\n {2}! GET \/api\/tasks.* as alice: .*archived: false → true/);
    assert.match(err.text, /THE AUDIT LEFT \d+ CHANGE\(S\)/);
  });
});
