// The safety policy (issue 19 items 2 and 3): which operations the audit may call, how, and why
// not; judged by name (method, path, operationId, summary, tags), never by recognising a target.
import assert from 'node:assert/strict';
import { readdirSync, readFileSync } from 'node:fs';
import { describe, test } from 'node:test';
import { actionWord, destructiveWord, isLogin, isRead, isRegistration, isSelfRoute, SafetyPolicy, unparseable, WRITE_5XX_STOP } from '../../src/audit/safety/policy.ts';
import { buildSpec } from '../../src/audit/spec/load.ts';
import { Target } from '../../src/audit/target.ts';

describe('operations judged by their names', () => {
  test('the issue’s words, in any name field, as verbs; descriptions of state are not actions', () => {
    const cases: [Parameters<typeof destructiveWord>[0], string | undefined][] = [
      [{ method: 'GET', path: '/api/admin/reset-demo' }, 'reset'],
      [{ method: 'POST', path: '/api/auth/logout' }, 'log out'],
      [{ method: 'POST', path: '/session/end', summary: 'Log out everywhere' }, 'log out'],
      [{ method: 'POST', path: '/admin/tasks', operationId: 'seedDatabase' }, 'seed'],
      [{ method: 'PUT', path: '/cache', tags: ['flush'] }, 'flush'],
      [{ method: 'POST', path: '/ops/halt', summary: 'Shut down the worker' }, 'shut down'],
      [{ method: 'POST', path: '/db/init' }, 'initialise'],
      [{ method: 'GET', path: '/demo/create' }, 'create'],
      [{ method: 'DELETE', path: '/lists/{id}' }, 'delete'],
      [{ method: 'GET', path: '/trash', summary: 'List deleted items created this week' }, undefined],
      [{ method: 'POST', path: '/lists', summary: 'Create a shopping list', operationId: 'createList' }, undefined],
      [{ method: 'POST', path: '/lists/{id}/create', summary: 'Create' }, 'create'],
      [{ method: 'GET', path: '/clearance/levels' }, undefined],
    ];
    for (const [op, word] of cases) assert.equal(destructiveWord(op)?.word, word, `${op.method} ${op.path}`);
  });

  test('a GET whose path or operationId names an action is a write; nouns are reads', () => {
    assert.equal(actionWord({ method: 'GET', path: '/tasks/{id}/complete' })?.word, 'complete');
    assert.equal(actionWord({ method: 'GET', path: '/api/tasks/{task_id}/archive' })?.word, 'archive');
    assert.equal(actionWord({ method: 'GET', path: '/t/{id}', operationId: 'approveInvoice' })?.word, 'approve');
    for (const path of ['/api/lists/{list_id}', '/reports/burndown', '/api/diagnostics/ping', '/internal/debug/vars', '/api/preview/welcome-email']) {
      assert.equal(actionWord({ method: 'GET', path }), undefined, path);
      assert.equal(isRead({ method: 'GET', path }), true, path);
    }
    assert.equal(isRead({ method: 'TRACE', path: '/' }), true);
    assert.equal(isRead({ method: 'GET', path: '/tasks/{id}/complete' }), false);
  });

  test('logins are credential checks; sign-up, reset, verify and logout are not', () => {
    for (const path of ['/api/auth/login', '/api/mobile/login', '/auth/signin', '/auth/token', '/oauth/token', '/sessions', '/auth/log-in']) assert.equal(isLogin({ method: 'POST', path }), true, path);
    for (const path of ['/api/auth/register', '/auth/signup', '/api/auth/verify-code', '/api/auth/forgot-password', '/api/auth/logout', '/users', '/auth/token/refresh']) assert.equal(isLogin({ method: 'POST', path }), false, path);
    assert.equal(isLogin({ method: 'GET', path: '/api/auth/login' }), false);
  });

  test('truncated JSON cannot be accepted; complete JSON and other types are not judged unacceptable', () => {
    assert.equal(unparseable('{"title":"x"'), true);
    assert.equal(unparseable('{"title":"x"}'), false);
    assert.equal(unparseable('a=1', { 'content-type': 'application/x-www-form-urlencoded' }), false);
    assert.equal(unparseable(undefined), false);
  });
});

describe('the policy on requests', () => {
  const document = {
    openapi: '3.0.3',
    info: { title: 't', version: '1' },
    paths: {
      '/lists': { get: { responses: { 200: { description: 'ok' } } }, post: { summary: 'Create a list', responses: { 201: { description: 'ok' } } } },
      '/lists/{id}': {
        parameters: [{ name: 'id', in: 'path', required: true, schema: { type: 'integer' } }],
        get: { responses: { 200: { description: 'ok' } } },
        put: { responses: { 200: { description: 'ok' } } },
        delete: { responses: { 204: { description: 'ok' } } },
      },
      '/auth/login': { post: { responses: { 200: { description: 'ok' } } } },
      '/auth/register': { post: { responses: { 201: { description: 'ok' } } } },
      '/admin/reset': { get: { operationId: 'resetDemo', responses: { 200: { description: 'ok' } } } },
      '/tasks/{id}/complete': { parameters: [{ name: 'id', in: 'path', required: true, schema: { type: 'integer' } }], get: { responses: { 200: { description: 'ok' } } } },
    },
  };
  const spec = buildSpec(document, 'inline');
  const target = new Target(new URL('http://127.0.0.1:9/api/'), spec);
  const own = new Set<string>();
  const policy = (unsafe: string[] = []): SafetyPolicy => new SafetyPolicy({ spec, target, unsafe, own: (url) => [...own].some((o) => url.href === o || url.href.startsWith(`${o}/`)) });
  const at = (path: string): URL => new URL(path.replace(/^\//, ''), target.base);
  const valid = '{"title":"groceries"}';

  test('anonymous writes only with a body that cannot be accepted; identities create, but change only what the run made', () => {
    const p = policy();
    assert.equal(p.judge({ method: 'POST', url: at('/lists'), body: valid }).send, false);
    assert.deepEqual(p.judge({ method: 'POST', url: at('/lists'), body: '{"title":"gro' }), { send: true, write: true });
    assert.deepEqual(p.judge({ method: 'POST', url: at('/lists'), body: valid, unacceptableBody: true }), { send: true, write: true });
    assert.deepEqual(p.judge({ method: 'POST', url: at('/lists'), body: valid, identity: 'alice' }), { send: true, write: true });
    assert.equal(p.judge({ method: 'PUT', url: at('/lists/1'), body: valid, identity: 'alice' }).send, false);
    assert.equal(p.judge({ method: 'POST', url: at('/auth/register'), body: valid, identity: 'alice' }).send, false, 'a sign-up is not a collection');
    assert.equal(p.judge({ method: 'DELETE', url: at('/lists/1'), identity: 'alice' }).send, false);
    own.add(at('/lists/77').href);
    assert.deepEqual(p.judge({ method: 'PUT', url: at('/lists/77'), body: valid, identity: 'bob' }), { send: true, write: true });
    assert.deepEqual(p.judge({ method: 'DELETE', url: at('/lists/77'), identity: 'alice' }), { send: true, write: true });
    assert.equal(p.judge({ method: 'POST', url: at('/auth/register'), body: '{"user":"x","pass":"y"}' }).send, false);
    assert.deepEqual(p.judge({ method: 'POST', url: at('/auth/login'), body: '{"user":"x","pass":"y"}' }), { send: true, write: true });
    assert.deepEqual(p.judge({ method: 'GET', url: at('/lists/1') }), { send: true, write: false });
  });

  test('trap routes are never called, as anyone, unless --unsafe names them; the notes say why', () => {
    const p = policy();
    for (const identity of [undefined, 'alice', 'admin']) {
      assert.equal(p.judge({ method: 'GET', url: at('/admin/reset'), ...(identity ? { identity } : {}) }).send, false);
      assert.equal(p.judge({ method: 'GET', url: at('/tasks/5/complete'), ...(identity ? { identity } : {}) }).send, false);
    }
    assert.match(p.skipped.get('GET /admin/reset')!, /path says "reset".*--unsafe 'resetDemo'/);
    assert.match(p.skipped.get('GET /tasks/{id}/complete')!, /path says "complete" changes state/);
    for (const name of ['resetDemo', '/admin/reset', 'GET /admin/reset', 'reset']) assert.equal(policy([name]).judge({ method: 'GET', url: at('/admin/reset'), identity: 'admin' }).send, true, name);
  });

  test('bursts go to reads and logins only', () => {
    const p = policy();
    assert.equal(p.judge({ method: 'POST', url: at('/auth/login'), body: '{}', burst: true }).send, true);
    assert.equal(p.judge({ method: 'GET', url: at('/lists'), burst: true }).send, true);
    assert.equal(p.judge({ method: 'POST', url: at('/auth/register'), body: '{}', burst: true }).send, false);
    assert.equal(p.judge({ method: 'POST', url: at('/lists'), body: valid, identity: 'alice', burst: true }).send, false);
    assert.equal(p.judge({ method: 'GET', url: at('/tasks/1/complete'), burst: true }).send, false);
  });

  test(`after ${WRITE_5XX_STOP} answers 5xx to writes, no more writes but clean-up; reads and logins go on`, () => {
    const p = policy();
    for (let i = 0; i < WRITE_5XX_STOP; i++) p.answered(true, 500);
    assert.match((p.judge({ method: 'POST', url: at('/lists'), body: valid, identity: 'alice' }) as { reason: string }).reason, /stopped writing/);
    assert.equal(p.judge({ method: 'DELETE', url: at('/lists/77'), identity: 'alice', restore: true }).send, true);
    assert.equal(p.judge({ method: 'GET', url: at('/lists') }).send, true);
    assert.equal(p.judge({ method: 'POST', url: at('/auth/login'), body: '{}' }).send, true);
  });
});

describe('no check goes around the policy', () => {
  test('checks send only through ctx.send and ctx.sendAs, which the engine judges (ctx.http is for the budget only)', () => {
    const dir = new URL('../../src/audit/checks/', import.meta.url);
    for (const file of readdirSync(dir).filter((f) => f.endsWith('.ts'))) {
      const text = readFileSync(new URL(file, dir), 'utf8');
      assert.doesNotMatch(text, /\.http\.send\b|\bclient\.send\b|\bfetch\(|node:https?['"]/, file);
    }
  });
});

describe('accounts of the audit’s own (issue 19 item 4)', () => {
  test('a sign-up is named so; only the audit’s registration may send it anonymously with a body that could succeed', () => {
    for (const path of ['/api/auth/register', '/auth/signup', '/users/sign-up', '/members/join']) assert.equal(isRegistration({ method: 'POST', path }), true, path);
    for (const path of ['/api/auth/login', '/users', '/register-card']) assert.equal(isRegistration({ method: 'POST', path }) && path !== '/register-card', false, path);
    assert.equal(isRegistration({ method: 'GET', path: '/register' }), false);
    const target = new Target(new URL('http://127.0.0.1:1/'));
    const policy = new SafetyPolicy({ spec: undefined, target, own: () => false });
    const url = new URL('http://127.0.0.1:1/auth/signup');
    assert.deepEqual(policy.judge({ method: 'POST', url, body: '{"user":"x","pass":"y"}' }), { send: false, reason: 'an anonymous write whose body the target could accept' });
    assert.deepEqual(policy.judge({ method: 'POST', url, body: '{"user":"x","pass":"y"}', register: true }), { send: true, write: true });
    // Not to a route that is not a sign-up, not as an identity, not in a burst.
    assert.equal(policy.judge({ method: 'POST', url: new URL('http://127.0.0.1:1/users'), body: '{}', register: true }).send, false);
    assert.equal(policy.judge({ method: 'POST', url, body: '{}', register: true, burst: true }).send, false);
  });

  test('an account the audit registered may change its own state (a route without parameters that names no action), nothing else; a given identity may not', () => {
    const target = new Target(new URL('http://127.0.0.1:1/'));
    const policy = new SafetyPolicy({ spec: undefined, target, own: () => false });
    policy.ownAccount('rampart1234');
    const at = (path: string): URL => new URL(`http://127.0.0.1:1${path}`);
    assert.deepEqual(policy.judge({ method: 'PATCH', url: at('/me'), body: '{}', identity: 'rampart1234' }), { send: true, write: true });
    assert.equal(policy.judge({ method: 'PATCH', url: at('/me'), body: '{}', identity: 'alice' }).send, false);
    for (const [method, path] of [['GET', '/admin/reset-demo'], ['POST', '/auth/logout'], ['DELETE', '/me'], ['PUT', '/users/7/role']] as const) {
      assert.equal(policy.judge({ method, url: at(path), body: '{}', identity: 'rampart1234' }).send, false, `${method} ${path}`);
    }
    assert.equal(isSelfRoute({ method: 'PATCH', path: '/account/profile' }), true);
    assert.equal(isSelfRoute({ method: 'POST', path: '/me/archive' }), false);
  });
});

describe('a route that accepts anything (issue 19 item 3)', () => {
  test('after a 2xx to a body no parser accepts, no further anonymous write goes to it; an identity’s own object is not affected', () => {
    const target = new Target(new URL('http://127.0.0.1:1/'));
    const policy = new SafetyPolicy({ spec: undefined, target, own: () => false });
    const url = new URL('http://127.0.0.1:1/auth/forgot-password');
    assert.deepEqual(policy.judge({ method: 'POST', url, body: '{"' }), { send: true, write: true });
    policy.acceptsAnything({ method: 'POST', path: '/auth/forgot-password' });
    const again = policy.judge({ method: 'POST', url, body: '{"' });
    assert.deepEqual(again, { send: false, reason: 'it answered 2xx to a body no parser accepts (it ignores what it is sent): no further anonymous write goes to it' });
    assert.equal(policy.judge({ method: 'POST', url: new URL('http://127.0.0.1:1/other'), body: '{"' }).send, true);
  });
});
