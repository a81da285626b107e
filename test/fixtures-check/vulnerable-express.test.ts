// The Express fixture's planted flaws are real behaviour on its vulnerable twin and absent on its
// fixed twin, each shown by HTTP; the fixture starts, seeds, exposes its data and closes; and a
// seeded renaming renames the app, its spec and its planted flaws together.
import assert from 'node:assert/strict';
import { jwtVerify } from 'jose';
import { after, before, describe, test } from 'node:test';
import { AUTH_RATE, VULN_EMAIL_PATTERN } from '../fixtures/vulnerable-express/app.ts';
import { startExpress } from '../fixtures/vulnerable-express/start.ts';
import type { RunningExpress } from '../fixtures/vulnerable-express/start.ts';
import { NODE24, startChild } from '../fixtures/child-fixture.ts';
import { call, canary, claimsOf } from './http.ts';

let fx: RunningExpress;
const tokens: Record<string, Record<string, string>> = { vuln: {}, fixed: {} };
const twins = ['vuln', 'fixed'] as const;
const base = (twin: 'vuln' | 'fixed'): string => fx[twin];

async function signIn(twin: 'vuln' | 'fixed', username: string, password: string): Promise<string> {
  const answer = await call(base(twin), 'POST', '/auth/signin', { body: { username, password } });
  assert.equal(answer.status, 200, answer.text);
  return answer.json.accessToken as string;
}
async function signUp(twin: 'vuln' | 'fixed', username: string): Promise<{ id: number; token: string }> {
  const answer = await call(base(twin), 'POST', '/auth/signup', { body: { username, password: `${username}-Passw0rd!`, email: `${username}@mail.example` } });
  assert.equal(answer.status, 201, answer.text);
  return { id: answer.json.id as number, token: await signIn(twin, username, `${username}-Passw0rd!`) };
}

before(async () => {
  fx = await startExpress({ lockSeconds: 30 });
  for (const twin of twins) for (const name of ['alice', 'bob', 'admin'] as const) tokens[twin]![name] = await signIn(twin, name, fx.users[name].password);
});
after(async () => {
  await fx.close();
});

describe('the Express fixture runs', () => {
  test('both twins are seeded, and state() returns all their data', async () => {
    const state = (await fx.state()) as Record<'vuln' | 'fixed', { users: { username: string }[]; tasks: unknown[]; projects: unknown[]; announcements: unknown[] }>;
    for (const twin of twins) {
      assert.deepEqual(state[twin].users.map((u) => u.username).slice(0, 3), ['alice', 'bob', 'admin']);
      assert.ok(state[twin].tasks.length >= 300);
      assert.ok(state[twin].projects.length >= 3);
    }
  });
  test('the spec declares no security, and lists every planted route', () => {
    assert.equal(JSON.stringify(fx.spec).includes('securitySchemes'), false);
    const paths = fx.spec['paths'] as Record<string, Record<string, unknown>>;
    for (const flaw of fx.planted.filter((f) => f.route !== '*')) assert.ok(paths[flaw.route]?.[flaw.method.toLowerCase()], `${flaw.method} ${flaw.route}`);
  });
  test('tokens are short-lived (90 s)', () => {
    for (const twin of twins) {
      const claims = claimsOf(tokens[twin]!['alice']!);
      assert.equal(Number(claims['exp']) - Number(claims['iat']), 90);
    }
  });
  test('a start that fails is reported, and close() may be called twice', async () => {
    await assert.rejects(startChild(NODE24, ['-e', 'process.exit(3)'], '.'), /exited/);
    const other = await startExpress();
    await other.close();
    await other.close();
  });
});

describe('planted flaws of the Express fixture, vulnerable vs fixed', () => {
  test('jwt.weak-secret: the vulnerable twin signs with secret123', async () => {
    const key = new TextEncoder().encode('secret123');
    await jwtVerify(tokens['vuln']!['alice']!, key);
    await assert.rejects(jwtVerify(tokens['fixed']!['alice']!, key));
  });
  test('jwt.sensitive-claims: the email and the password hash travel in the vulnerable token', () => {
    const vuln = claimsOf(tokens['vuln']!['alice']!);
    assert.equal(vuln['email'], 'alice@taskboard.example');
    assert.match(String(vuln['pwd']), /^scrypt\$/);
    assert.deepEqual(Object.keys(claimsOf(tokens['fixed']!['alice']!)).sort(), ['exp', 'iat', 'role', 'sub']);
  });
  test('function-level.header-privilege: X-User-Role: admin opens the admin listing', async () => {
    for (const twin of twins) assert.equal((await call(base(twin), 'GET', '/admin/users', { token: tokens[twin]!['alice']! })).status, 403);
    const vuln = await call(base('vuln'), 'GET', '/admin/users', { token: tokens['vuln']!['alice']!, headers: { 'x-user-role': 'admin' } });
    assert.equal(vuln.status, 200);
    assert.ok(vuln.json.some((u: { email: string }) => u.email === 'bob@taskboard.example'));
    assert.equal((await call(base('fixed'), 'GET', '/admin/users', { token: tokens['fixed']!['alice']!, headers: { 'x-user-role': 'admin' } })).status, 403);
  });
  test("function-level.admin-write: a user edits and withdraws an admin's announcement", async () => {
    for (const twin of twins) {
      const created = await call(base(twin), 'POST', '/admin/announcements', { token: tokens[twin]!['admin']!, body: { title: 'Maintenance', body: 'Sunday' } });
      assert.equal(created.status, 201);
      assert.equal((await call(base(twin), 'POST', '/admin/announcements', { token: tokens[twin]!['alice']!, body: { title: 'x', body: 'y' } })).status, 403);
      const edit = await call(base(twin), 'PUT', `/admin/announcements/${created.json.id}`, { token: tokens[twin]!['alice']!, body: { title: 'hacked', body: 'by alice' } });
      const listed = await call(base(twin), 'GET', '/announcements', { token: tokens[twin]!['admin']! });
      const remove = await call(base(twin), 'DELETE', `/admin/announcements/${created.json.id}`, { token: tokens[twin]!['bob']! });
      const after = await call(base(twin), 'GET', '/announcements', { token: tokens[twin]!['admin']! });
      if (twin === 'vuln') {
        assert.equal(edit.status, 200);
        assert.ok(listed.json.some((a: { title: string }) => a.title === 'hacked'));
        assert.equal(remove.status, 204);
        assert.ok(!after.json.some((a: { id: number }) => a.id === created.json.id));
      } else {
        assert.equal(edit.status, 403);
        assert.equal(remove.status, 403);
        assert.ok(after.json.some((a: { id: number; title: string }) => a.id === created.json.id && a.title === 'Maintenance'));
        assert.equal((await call(base(twin), 'DELETE', `/admin/announcements/${created.json.id}`, { token: tokens[twin]!['admin']! })).status, 204);
      }
    }
  });
  test("function-level.role-change: a user sets another's role; a raw invalid role breaks the account", async () => {
    for (const twin of twins) {
      const dave = await signUp(twin, 'dave');
      const change = await call(base(twin), 'PUT', `/users/${dave.id}/role`, { token: tokens[twin]!['alice']!, body: { role: 'admin' } });
      const me = await call(base(twin), 'GET', '/me', { token: dave.token });
      if (twin === 'vuln') {
        assert.equal(change.status, 200);
        assert.equal(me.json.role, 'admin');
        assert.equal((await call(base(twin), 'PUT', `/users/${dave.id}/role`, { token: dave.token, body: { role: 'superuser' } })).status, 200);
        const broken = await call(base(twin), 'GET', '/me', { token: dave.token });
        assert.equal(broken.status, 500);
        assert.match(broken.json.stack, /TypeError/);
      } else {
        assert.equal(change.status, 403);
        assert.equal(me.json.role, 'member');
        assert.equal((await call(base(twin), 'PUT', `/users/${dave.id}/role`, { token: tokens[twin]!['admin']!, body: { role: 'superuser' } })).status, 400);
        assert.equal((await call(base(twin), 'GET', '/me', { token: dave.token })).status, 200);
      }
    }
  });
  test('cors.any-origin-credentials (preflight only) and cors.insecure-origin-credentials (http:// downgrade)', async () => {
    const preflight = { 'access-control-request-method': 'PUT', origin: 'https://evil.example' };
    const vulnPre = await call(base('vuln'), 'OPTIONS', '/projects', { headers: preflight });
    assert.equal(vulnPre.headers.get('access-control-allow-origin'), 'https://evil.example');
    assert.equal(vulnPre.headers.get('access-control-allow-credentials'), 'true');
    const plainEvil = await call(base('vuln'), 'GET', '/projects', { token: tokens['vuln']!['alice']!, headers: { origin: 'https://evil.example' } });
    assert.equal(plainEvil.headers.get('access-control-allow-origin'), 'https://app.taskboard.example', 'simple requests do not reflect');
    const downgrade = await call(base('vuln'), 'GET', '/projects', { token: tokens['vuln']!['alice']!, headers: { origin: 'http://app.taskboard.example' } });
    assert.equal(downgrade.headers.get('access-control-allow-origin'), 'http://app.taskboard.example');
    assert.equal(downgrade.headers.get('access-control-allow-credentials'), 'true');
    assert.equal((await call(base('fixed'), 'OPTIONS', '/projects', { headers: preflight })).headers.get('access-control-allow-origin'), 'https://app.taskboard.example');
    assert.equal((await call(base('fixed'), 'GET', '/projects', { headers: { origin: 'http://app.taskboard.example' } })).headers.get('access-control-allow-origin'), 'https://app.taskboard.example');
  });
  test('authentication.limit-bypass-variant: a locked name is walked around by case and spaces', async () => {
    for (const twin of twins) {
      await signUp(twin, 'erin');
      for (let i = 0; i < 5; i++) assert.equal((await call(base(twin), 'POST', '/auth/signin', { body: { username: 'erin', password: 'wrong-password' } })).status, 401);
      assert.equal((await call(base(twin), 'POST', '/auth/signin', { body: { username: 'erin', password: 'erin-Passw0rd!' } })).status, 429, 'the lock holds for the name as typed');
      for (const variant of ['Erin', ' erin', 'ＥＲＩＮ']) {
        const answer = await call(base(twin), 'POST', '/auth/signin', { body: { username: variant, password: 'erin-Passw0rd!' } });
        assert.equal(answer.status, twin === 'vuln' ? 200 : 429, `${twin} ${JSON.stringify(variant)}`);
      }
    }
  });
  test('ssrf.url-fetched: the webhook URL of a project is fetched by the vulnerable twin', async () => {
    const target = await canary();
    try {
      for (const twin of twins) {
        const project = await call(base(twin), 'POST', '/projects', { token: tokens[twin]!['alice']!, body: { name: 'hooks' } });
        const answer = await call(base(twin), 'PATCH', `/projects/${project.json.id}`, { token: tokens[twin]!['alice']!, body: { webhookUrl: `${target.url}/${twin}` } });
        if (twin === 'vuln') {
          assert.equal(answer.status, 200);
          assert.equal(answer.json.webhookStatus, 200);
        } else assert.equal(answer.status, 400);
        assert.equal((await call(base(twin), 'DELETE', `/projects/${project.json.id}`, { token: tokens[twin]!['alice']! })).status, 204);
      }
      assert.deepEqual(target.hits, ['/vuln']);
    } finally {
      await target.close();
    }
  });
  test('resources.page-size: per_page far beyond the default is honoured on the protected listing', async () => {
    for (const twin of twins) {
      const normal = await call(base(twin), 'GET', '/tasks?per_page=20', { token: tokens[twin]!['alice']! });
      assert.equal(normal.json.items.length, 20);
      const big = await call(base(twin), 'GET', '/tasks?per_page=150', { token: tokens[twin]!['alice']! });
      if (twin === 'vuln') assert.equal(big.json.items.length, 150);
      else assert.equal(big.status, 400);
      assert.equal((await call(base(twin), 'GET', '/tasks')).status, 401, 'the listing is protected');
    }
  });
  test('not planted, a trap: GET /tasks/{id}/complete changes a task (its owner’s only)', async () => {
    for (const twin of twins) {
      const first = (await call(base(twin), 'GET', '/tasks?per_page=1', { token: tokens[twin]!['alice']! })).json.items[0];
      assert.equal(first.done, false);
      assert.equal((await call(base(twin), 'GET', `/tasks/${first.id}/complete`, { token: tokens[twin]!['bob']! })).status, 404);
      assert.equal((await call(base(twin), 'GET', `/tasks/${first.id}/complete`, { token: tokens[twin]!['alice']! })).json.done, true);
      const state = (await fx.state()) as Record<string, { tasks: { id: number; done: boolean }[] }>;
      assert.equal(state[twin]!.tasks.find((t) => t.id === first.id)!.done, true);
    }
  });
  test('errors.edge-value-crash and errors.stack-trace: edge numbers crash the burndown report', async () => {
    for (const twin of twins) {
      assert.equal((await call(base(twin), 'GET', '/reports/burndown?days=14', { token: tokens[twin]!['alice']! })).status, 200);
      for (const value of ['Infinity', '1e400', '9223372036854775808', 'NaN', '-1']) {
        const answer = await call(base(twin), 'GET', `/reports/burndown?days=${value}`, { token: tokens[twin]!['alice']! });
        if (twin === 'vuln') {
          assert.equal(answer.status, 500, value);
          assert.match(answer.json.stack, /RangeError: Invalid array length\n\s+at /);
        } else assert.equal(answer.status, 400, value);
      }
    }
  });
  test('resources.page-size: days sets how many points the burndown report holds, without bound on the vulnerable twin; 1 to 365 on the fixed one', async () => {
    for (const twin of twins) {
      const answer = await call(base(twin), 'GET', '/reports/burndown?days=10000', { token: tokens[twin]!['alice']! });
      if (twin === 'vuln') assert.equal((answer.json.points as unknown[]).length, 10000);
      else assert.equal(answer.status, 400);
      assert.equal(((await call(base(twin), 'GET', '/reports/burndown?days=365', { token: tokens[twin]!['alice']! })).json.points as unknown[]).length, 365);
    }
  });
  test('resources.redos: the vulnerable email pattern nests a quantifier; both twins refuse a bad address and take a good one', async () => {
    assert.match(VULN_EMAIL_PATTERN.source, /\(\[[^\]]+\]\+\)\+/, 'a group repeated around a repeated class backtracks exponentially');
    for (const twin of twins) {
      const bad = await call(base(twin), 'POST', '/auth/signup', { body: { username: 'frank', password: 'frank-Passw0rd!', email: `${'a'.repeat(12)}!` } });
      assert.equal(bad.status, 400);
      const good = await call(base(twin), 'POST', '/auth/signup', { body: { username: 'frank', password: 'frank-Passw0rd!', email: 'frank.jones+tb@mail.example.org' } });
      assert.equal(good.status, 201);
    }
  });
  test('inventory.debug-endpoint: a public dump of the environment', async () => {
    const vuln = await call(base('vuln'), 'GET', '/internal/debug/vars');
    assert.equal(vuln.status, 200);
    assert.equal(vuln.json.env.JWT_SECRET, 'secret123');
    assert.equal((await call(base('fixed'), 'GET', '/internal/debug/vars')).status, 404);
  });
  test('hostile input: malformed JSON is a 400 without internals on both twins', async () => {
    for (const twin of twins) {
      const answer = await call(base(twin), 'POST', '/auth/signin', { raw: '{"username":' });
      assert.equal(answer.status, 400);
      assert.ok(!answer.text.includes(' at '), answer.text);
    }
  });
  test('resources.rate-limit (last: it spends the fixed twin’s budget): sign-ins are never throttled on the vulnerable twin', async () => {
    for (const twin of twins) {
      const statuses: number[] = [];
      for (let i = 0; i <= AUTH_RATE; i++) statuses.push((await call(base(twin), 'POST', '/auth/signin', { body: { username: 'bob', password: fx.users.bob.password } })).status);
      if (twin === 'vuln') assert.deepEqual(new Set(statuses), new Set([200]));
      else {
        const first = statuses.indexOf(429);
        assert.ok(first > 0, statuses.join(','));
        assert.ok(statuses.slice(first).every((s) => s === 429));
        const limited = await call(base(twin), 'POST', '/auth/signup', { body: { username: 'zed', password: 'zed-Passw0rd!', email: 'zed@mail.example' } });
        assert.equal(limited.status, 429, 'sign-ups share the limit');
        assert.match(limited.headers.get('ratelimit') ?? '', /limit=30/);
      }
    }
  });
  test('not planted: ownership of projects holds on both twins', async () => {
    for (const twin of twins) {
      const projects = await call(base(twin), 'GET', '/projects', { token: tokens[twin]!['alice']! });
      const id = projects.json[0].id as number;
      assert.equal((await call(base(twin), 'GET', `/projects/${id}`, { token: tokens[twin]!['bob']! })).status, 404);
      assert.equal((await call(base(twin), 'PATCH', `/projects/${id}`, { token: tokens[twin]!['bob']!, body: { name: 'mine' } })).status, 404);
    }
  });
});

describe('the seeded renaming', () => {
  test('renames routes, fields, the spec and the planted flaws together; the renamed app answers', async () => {
    const renamed = await startExpress({ seed: 424242 });
    try {
      assert.notEqual(renamed.login.path, '/auth/signin');
      const paths = renamed.spec['paths'] as Record<string, Record<string, unknown>>;
      for (const flaw of renamed.planted.filter((f) => f.route !== '*')) assert.ok(paths[flaw.route]?.[flaw.method.toLowerCase()], `${flaw.method} ${flaw.route}`);
      assert.ok(!Object.keys(paths).some((p) => /signin|projects|tasks|burndown/.test(p)), Object.keys(paths).join(' '));
      const login = await call(renamed.vuln, 'POST', renamed.login.path, { body: { [renamed.login.userField]: 'alice', [renamed.login.passwordField]: renamed.users.alice.password } });
      assert.equal(login.status, 200);
      const token = login.json[renamed.login.tokenField] as string;
      const pageSize = renamed.planted.find((f) => f.rule === 'resources.page-size')!;
      const big = await call(renamed.vuln, 'GET', `${pageSize.route}?${pageSize.parameter!}=150`, { token });
      assert.equal(big.json.items.length, 150);
      assert.equal((await call(renamed.vuln, 'GET', '/tasks', { token })).status, 404, 'the old names are gone');
    } finally {
      await renamed.close();
    }
  });
});
