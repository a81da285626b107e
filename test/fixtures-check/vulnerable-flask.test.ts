// The Flask fixture's planted flaws are real behaviour on its vulnerable twin and absent on its
// fixed twin, each shown by HTTP; and the fixture starts, seeds, exposes its data and closes.
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { after, before, describe, test } from 'node:test';
import { FLASK_PLANTED_PATH, startFlask } from '../fixtures/vulnerable-flask/start.ts';
import type { RunningFlask } from '../fixtures/vulnerable-flask/start.ts';
import { call, claimsOf } from './http.ts';

type Twin = 'vuln' | 'fixed';
const twins = ['vuln', 'fixed'] as const;
let fx: RunningFlask;
const tokens: Record<Twin, Record<string, string>> = { vuln: {}, fixed: {} };
const base = (twin: Twin): string => fx[twin];

async function logIn(twin: Twin, user: string, pass: string): Promise<string> {
  const answer = await call(base(twin), 'POST', '/api/auth/login', { body: { user, pass } });
  assert.equal(answer.status, 200, answer.text);
  return answer.json.data.jwt as string;
}
async function register(twin: Twin, user: string, extra: Record<string, string> = {}): Promise<{ id: number; token: string }> {
  const answer = await call(base(twin), 'POST', '/api/auth/register', { body: { user, pass: `${user}-Passw0rd`, email: `${user}@mail.example`, ...extra } });
  assert.equal(answer.status, 201, answer.text);
  return { id: answer.json.id as number, token: await logIn(twin, user, `${user}-Passw0rd`) };
}
interface FlaskState {
  users: { username: string; password: string; email: string; role: string }[];
  lists: { id: number; title: string }[];
  tasks: unknown[];
  reset_codes: Record<string, { code: string; attempts: number }>;
  seeded_at: number;
}
const state = async (): Promise<Record<Twin, FlaskState>> => (await fx.state()) as Record<Twin, FlaskState>;

before(async () => {
  fx = await startFlask();
  for (const twin of twins) for (const name of ['alice', 'bob', 'admin'] as const) tokens[twin][name] = await logIn(twin, name, fx.users[name].password);
});
after(async () => {
  await fx.close();
});

describe('the Flask fixture runs', () => {
  test('both twins are seeded; state() returns all their data; passwords are plaintext only in the vulnerable twin', async () => {
    const data = await state();
    for (const twin of twins) {
      assert.deepEqual(data[twin].users.map((u) => u.username).slice(0, 3), ['alice', 'bob', 'admin']);
      assert.ok(data[twin].lists.length >= 3 && data[twin].tasks.length >= 2);
    }
    assert.equal(data.vuln.users[0]!.password, 'alice-Pantry-2024');
    assert.match(data.fixed.users[0]!.password, /^pbkdf2:sha256/);
  });
  test('the spec declares no security and lists every planted route', () => {
    const spec = JSON.parse(readFileSync(fx.specPath, 'utf8'));
    assert.equal(JSON.stringify(spec).includes('securitySchemes'), false);
    const planted = (JSON.parse(readFileSync(FLASK_PLANTED_PATH, 'utf8')) as { flaws: { method: string; route: string }[] }).flaws;
    for (const flaw of planted.filter((f) => f.route !== '*')) assert.ok(spec.paths[flaw.route]?.[flaw.method.toLowerCase()], `${flaw.method} ${flaw.route}`);
  });
  test('tokens live 120 s; protected routes refuse anonymous callers', async () => {
    for (const twin of twins) {
      const claims = claimsOf(tokens[twin]['alice']!);
      assert.equal(Number(claims['exp']) - Number(claims['iat']), 120);
      assert.equal((await call(base(twin), 'GET', '/api/me')).status, 401);
    }
  });
  test('the state-changing GET archives only the caller’s own chore', async () => {
    for (const twin of twins) {
      const task = await call(base(twin), 'POST', '/api/tasks', { token: tokens[twin]['alice']!, body: { title: 'mop' } });
      assert.equal((await call(base(twin), 'GET', `/api/tasks/${task.json.id}/archive`, { token: tokens[twin]['bob']! })).status, 404);
      const archived = await call(base(twin), 'GET', `/api/tasks/${task.json.id}/archive`, { token: tokens[twin]['alice']! });
      assert.equal(archived.json.archived, true);
    }
  });
});

describe('planted flaws of the Flask fixture, vulnerable vs fixed', () => {
  test('injection.sql-login-bypass: a tautology logs in without the password', async () => {
    for (const [user, pass] of [["admin' --", 'x'], ['alice', "' OR '1'='1"]]) {
      const vuln = await call(base('vuln'), 'POST', '/api/auth/login', { body: { user, pass } });
      assert.equal(vuln.status, 200, user);
      assert.ok(vuln.json.data.jwt);
      assert.equal((await call(base('fixed'), 'POST', '/api/auth/login', { body: { user, pass } })).status, 401);
    }
    const quote = await call(base('vuln'), 'POST', '/api/auth/login', { body: { user: "'", pass: 'x' } });
    assert.equal(quote.status, 401, 'a broken query is a failed login, not an error page');
  });
  test('injection.nosql: an operator object matches any password on the mobile login', async () => {
    const body = { email: 'bob@pantry.example', password: { $ne: '' } };
    const vuln = await call(base('vuln'), 'POST', '/api/mobile/login', { body });
    assert.equal(vuln.status, 200);
    assert.equal(claimsOf(vuln.json.token as string)['sub'], '2');
    assert.equal((await call(base('fixed'), 'POST', '/api/mobile/login', { body })).status, 400);
    assert.equal((await call(base('fixed'), 'POST', '/api/mobile/login', { body: { email: 'bob@pantry.example', password: 'bob-Pantry-2024' } })).status, 200);
  });
  test('authentication.no-login-limit and resources.rate-limit: failures never lock on the vulnerable twin; the fixed one answers 429 after 10', async () => {
    for (const twin of twins) {
      await register(twin, 'gina');
      const statuses: number[] = [];
      for (let i = 0; i < 11; i++) statuses.push((await call(base(twin), 'POST', '/api/auth/login', { body: { user: 'gina', pass: 'wrong-pass' } })).status);
      assert.deepEqual(statuses, twin === 'vuln' ? Array(11).fill(401) : [...Array(10).fill(401), 429]);
      const mobile: number[] = [];
      for (let i = 0; i < 11; i++) mobile.push((await call(base(twin), 'POST', '/api/mobile/login', { body: { email: 'gina@mail.example', password: 'wrong-pass' } })).status);
      assert.deepEqual(mobile, twin === 'vuln' ? Array(11).fill(401) : [...Array(10).fill(401), 429]);
    }
  });
  test('resources.rate-limit: wrong passwords for ever new names are never limited on the vulnerable twin; the fixed one limits the client (30 failures in 10 s, then 429 for a while), not only each name', async () => {
    for (const twin of twins) {
      const statuses: number[] = [];
      for (let i = 0; i < 31; i++) statuses.push((await call(base(twin), 'POST', '/api/auth/login', { body: { user: `spray${i}`, pass: 'Summer2024!' } })).status);
      if (twin === 'vuln') {
        assert.deepEqual(statuses, Array(31).fill(401));
        continue;
      }
      const first = statuses.indexOf(429);
      assert.ok(first >= 1, statuses.join(','));
      assert.deepEqual(statuses.slice(0, first), Array(first).fill(401));
      const refused = await call(base(twin), 'POST', '/api/auth/login', { body: { user: 'alice', pass: fx.users.alice.password } });
      assert.equal(refused.status, 429, 'the right password too, while the client is limited');
      const wait = Number(refused.headers.get('retry-after'));
      assert.ok(wait >= 1 && wait <= 11, String(wait));
      await new Promise((resolve) => setTimeout(resolve, wait * 1000));
      assert.equal((await call(base(twin), 'POST', '/api/auth/login', { body: { user: 'alice', pass: fx.users.alice.password } })).status, 200, 'after Retry-After');
    }
  });
  test('cookies.missing-*: the session cookie has no Secure, HttpOnly or SameSite on the vulnerable twin', async () => {
    for (const twin of twins) {
      const answer = await call(base(twin), 'POST', '/api/auth/login', { body: { user: 'alice', pass: fx.users.alice.password } });
      const cookie = answer.headers.get('set-cookie') ?? '';
      assert.match(cookie, /^pantry_session=ey/);
      if (twin === 'vuln') assert.doesNotMatch(cookie, /Secure|HttpOnly|SameSite/i);
      else assert.match(cookie, /Secure.*HttpOnly.*SameSite=Strict/i);
      const token = /^pantry_session=([^;]+)/.exec(cookie)![1]!;
      assert.equal((await call(base(twin), 'GET', '/api/me', { headers: { cookie: `pantry_session=${token}` } })).status, 200, 'GET routes read the cookie');
    }
  });
  test('authentication.logout-not-revoking: the token still works after logout on the vulnerable twin', async () => {
    for (const twin of twins) {
      const token = await logIn(twin, 'alice', fx.users.alice.password);
      assert.equal((await call(base(twin), 'POST', '/api/auth/logout', { token })).status, 200);
      assert.equal((await call(base(twin), 'GET', '/api/me', { token })).status, twin === 'vuln' ? 200 : 401);
    }
  });
  test('authentication.code-no-limit: wrong reset codes are never counted on the vulnerable twin', async () => {
    for (const twin of twins) {
      await register(twin, 'hank');
      assert.equal((await call(base(twin), 'POST', '/api/auth/forgot-password', { body: { user: 'hank' } })).status, 200);
      const code = (await state())[twin].reset_codes['hank']!.code;
      const wrong = code === '000000' ? '000001' : '000000';
      const statuses: number[] = [];
      for (let i = 0; i < 7; i++) statuses.push((await call(base(twin), 'POST', '/api/auth/verify-code', { body: { user: 'hank', code: wrong, new_pass: 'hank-New-Passw0rd' } })).status);
      assert.deepEqual(statuses, twin === 'vuln' ? Array(7).fill(400) : [400, 400, 400, 400, 400, 429, 429]);
      const right = await call(base(twin), 'POST', '/api/auth/verify-code', { body: { user: 'hank', code, new_pass: 'hank-New-Passw0rd' } });
      assert.equal(right.status, twin === 'vuln' ? 200 : 429, 'after five misses the fixed twin burns the code');
    }
  });
  test('mass-assignment.registration: role is taken from the body; an invalid role breaks the account', async () => {
    for (const twin of twins) {
      const answer = await call(base(twin), 'POST', '/api/auth/register', { body: { user: 'ivan', pass: 'ivan-Passw0rd', email: 'ivan@mail.example', role: 'admin' } });
      if (twin === 'vuln') {
        assert.equal(answer.status, 201);
        assert.equal(answer.json.role, 'admin');
        const token = await logIn(twin, 'ivan', 'ivan-Passw0rd');
        assert.equal((await call(base(twin), 'GET', '/api/admin/users', { token })).status, 200);
        await register(twin, 'jack', { role: 'superuser' });
        const broken = await call(base(twin), 'GET', '/api/me', { token: await logIn(twin, 'jack', 'jack-Passw0rd') });
        assert.equal(broken.status, 500);
        assert.match(broken.text, /KeyError: &#39;superuser&#39;/);
      } else assert.equal(answer.status, 400);
    }
  });
  test('bola.update and bola.delete: bob changes and removes alice’s list (he still cannot read it)', async () => {
    for (const twin of twins) {
      const list = await call(base(twin), 'POST', '/api/lists', { token: tokens[twin]['alice']!, body: { title: 'camping', items: ['tent'] } });
      assert.equal(list.status, 201);
      const path = `/api/lists/${list.json.id}`;
      assert.equal((await call(base(twin), 'GET', path, { token: tokens[twin]['bob']! })).status, 404);
      const put = await call(base(twin), 'PUT', path, { token: tokens[twin]['bob']!, body: { title: 'bob was here', items: [] } });
      const read = await call(base(twin), 'GET', path, { token: tokens[twin]['alice']! });
      const del = await call(base(twin), 'DELETE', path, { token: tokens[twin]['bob']! });
      const gone = await call(base(twin), 'GET', path, { token: tokens[twin]['alice']! });
      if (twin === 'vuln') {
        assert.equal(put.status, 200);
        assert.equal(read.json.title, 'bob was here');
        assert.equal(del.status, 204);
        assert.equal(gone.status, 404);
      } else {
        assert.deepEqual([put.status, read.json.title, del.status, gone.status], [404, 'camping', 404, 200]);
      }
    }
  });
  test('bola.account-takeover: bob sets alice’s email and password', async () => {
    for (const twin of twins) {
      const kate = await register(twin, 'kate');
      const answer = await call(base(twin), 'PATCH', `/api/users/${kate.id}`, { token: tokens[twin]['bob']!, body: { email: 'bob@evil.example', pass: 'taken-over-1' } });
      const login = await call(base(twin), 'POST', '/api/auth/login', { body: { user: 'kate', pass: 'taken-over-1' } });
      if (twin === 'vuln') {
        assert.equal(answer.status, 200);
        assert.equal(answer.json.email, 'bob@evil.example');
        assert.equal(login.status, 200);
      } else {
        assert.equal(answer.status, 404);
        assert.equal(login.status, 401);
        assert.equal((await call(base(twin), 'PATCH', `/api/users/${kate.id}`, { token: kate.token, body: { pass: 'changed-pass-1' } })).status, 403, 'the owner needs current_pass');
      }
    }
  });
  test('data-exposure.plaintext-password and personal-data: the member listing', async () => {
    const vuln = await call(base('vuln'), 'GET', '/api/users', { token: tokens['vuln']['alice']! });
    const bob = vuln.json.find((u: { user: string }) => u.user === 'bob');
    assert.equal(bob.pass, 'bob-Pantry-2024');
    assert.equal(bob.email, 'bob@pantry.example');
    const fixed = await call(base('fixed'), 'GET', '/api/users', { token: tokens['fixed']['alice']! });
    assert.deepEqual(Object.keys(fixed.json[1]).sort(), ['display_name', 'id', 'user']);
  });
  test('injection.os-command: the shell computes $((7*13)); the fixed twin echoes it as text or refuses it', async () => {
    const payload = encodeURIComponent('127.0.0.1; echo $((7*13))');
    const vuln = await call(base('vuln'), 'GET', `/api/diagnostics/ping?host=${payload}`, { token: tokens['vuln']['alice']! });
    assert.match(vuln.json.output, /^91\b/m);
    const fixed = await call(base('fixed'), 'GET', `/api/diagnostics/ping?host=${payload}`, { token: tokens['fixed']['alice']! });
    assert.equal(fixed.status, 400);
    const plain = await call(base('fixed'), 'GET', '/api/diagnostics/ping?host=127.0.0.1', { token: tokens['fixed']['alice']! });
    assert.equal(plain.json.output, 'PING 127.0.0.1 56 data bytes\n');
  });
  test('the shell box: no files read or written, no processes signalled, no external commands', async () => {
    for (const attempt of ['x; echo $(</etc/hostname)', 'x; cat /etc/hostname', 'x; echo hi > f; echo *', 'x; kill -0 1', 'x; eval echo pwned', 'x`command -v ls`']) {
      const answer = await call(base('vuln'), 'GET', `/api/diagnostics/ping?host=${encodeURIComponent(attempt)}`, { token: tokens['vuln']['alice']! });
      assert.equal(answer.status, 200);
      assert.doesNotMatch(answer.json.output, /pwned|\/usr\/bin\/ls|^hi$/m, attempt);
      assert.match(answer.json.output, /command not found|PING x/, attempt);
    }
  });
  test('injection.template: {{7*191}} renders 1337 on the vulnerable twin only', async () => {
    const name = encodeURIComponent('{{7*191}}');
    assert.equal((await call(base('vuln'), 'GET', `/api/preview/welcome-email?name=${name}`)).text, '<p>Hello 1337, welcome to Pantry!</p>');
    assert.equal((await call(base('fixed'), 'GET', `/api/preview/welcome-email?name=${name}`)).text, '<p>Hello {{7*191}}, welcome to Pantry!</p>');
  });
  test('errors.debug-page: a non-number id and an unparsable template give Werkzeug’s debugger page, without its console', async () => {
    const list = await call(base('vuln'), 'GET', '/api/lists/abc', { token: tokens['vuln']['alice']! });
    const template = await call(base('vuln'), 'GET', `/api/preview/welcome-email?name=${encodeURIComponent('{{')}`);
    for (const page of [list, template]) {
      assert.equal(page.status, 500);
      assert.match(page.text, /\/\/ Werkzeug Debugger<\/title>/);
      assert.match(page.text, /EVALEX = false/);
      assert.match(page.text, /Traceback \(most recent call last\)/);
    }
    assert.equal((await call(base('vuln'), 'GET', `/api/lists/abc?__debugger__=yes&cmd=resource&f=debugger.js`, { token: tokens['vuln']['alice']! })).status, 500, 'no debugger behind the page');
    assert.deepEqual([(await call(base('fixed'), 'GET', '/api/lists/abc', { token: tokens['fixed']['alice']! })).status, (await call(base('fixed'), 'GET', `/api/preview/welcome-email?name=${encodeURIComponent('{{')}`)).status], [404, 200]);
  });
  test('errors.edge-value-crash: Infinity, NaN or a 10,000-digit list id answers 500 every time; the fixed twin 404', async () => {
    for (const id of ['Infinity', 'NaN', `9${'0'.repeat(9_999)}`]) {
      for (let i = 0; i < 2; i++) assert.equal((await call(base('vuln'), 'GET', `/api/lists/${id}`, { token: tokens['vuln']['alice']! })).status, 500, id.slice(0, 10));
      assert.equal((await call(base('fixed'), 'GET', `/api/lists/${id}`, { token: tokens['fixed']['alice']! })).status, 404, id.slice(0, 10));
    }
  });
  test('errors.verbose-auth: PyJWT’s exception text on a bad token', async () => {
    const forged = `${tokens['vuln']['alice']!.slice(0, -4)}AAAA`;
    const cases: [string, RegExp][] = [['x.y', /DecodeError: Not enough segments/], [forged, /InvalidSignatureError: Signature verification failed/]];
    for (const [token, message] of cases) {
      assert.match((await call(base('vuln'), 'GET', '/api/me', { token })).json.error, message);
      assert.equal((await call(base('fixed'), 'GET', '/api/me', { token })).json.error, 'unauthorized');
    }
  });
  test('errors.secret: an unknown bucket answers 500 with the storage keys; the fixed twin 404', async () => {
    const vuln = await call(base('vuln'), 'GET', '/api/diagnostics/storage?bucket=nope');
    assert.equal(vuln.status, 500);
    assert.match(vuln.json.client_config.access_key_id, /^AKIA[0-9A-Z]{16}$/);
    assert.match(vuln.json.client_config.signing_key, /^-----BEGIN PRIVATE KEY-----\n/);
    const fixed = await call(base('fixed'), 'GET', '/api/diagnostics/storage?bucket=nope');
    assert.equal(fixed.status, 404);
    assert.doesNotMatch(fixed.text, /PRIVATE KEY|AKIA/);
    for (const twin of twins) assert.deepEqual((await call(base(twin), 'GET', '/api/diagnostics/storage?bucket=pantry-uploads')).json, { bucket: 'pantry-uploads', ok: true });
  });
  test('the reset trap: GET /api/admin/reset-demo (admins) puts the seed back, visibly in state()', async () => {
    for (const twin of twins) {
      const before = (await state())[twin];
      assert.equal((await call(base(twin), 'GET', '/api/admin/reset-demo', { token: tokens[twin]['admin']! })).status, 200);
      const after = (await state())[twin];
      assert.notEqual(after.seeded_at, before.seeded_at);
      assert.deepEqual(after.lists.map((l) => l.id), [1, 2, 3]);
      tokens[twin]['admin'] = await logIn(twin, 'admin', fx.users.admin.password);
    }
  });
  test('not planted: owners only on list reads; admin routes for admins only', async () => {
    for (const twin of twins) {
      assert.equal((await call(base(twin), 'GET', '/api/lists/1', { token: tokens[twin]['bob']! })).status, 404);
      assert.equal((await call(base(twin), 'GET', '/api/admin/users', { token: tokens[twin]['alice']! })).status, 403);
      assert.equal((await call(base(twin), 'GET', '/api/admin/reset-demo', { token: tokens[twin]['alice']! })).status, 403);
    }
  });
  test('resources.body-limit: a 100 kB body is read by the vulnerable twin, refused with 413 by the fixed one', async () => {
    const raw = JSON.stringify({ user: 'nobody', pad: 'x'.repeat(100 * 1024) });
    assert.equal((await call(base('vuln'), 'POST', '/api/auth/forgot-password', { raw })).status, 200);
    assert.equal((await call(base('fixed'), 'POST', '/api/auth/forgot-password', { raw })).status, 413);
  });
  test('hostile input: malformed JSON is a 400 on both twins', async () => {
    for (const twin of twins) assert.equal((await call(base(twin), 'POST', '/api/auth/login', { raw: '{"user":' })).status, 400);
  });
});
