// Logins as real APIs do them (issue 19 item 6): found in the spec with no hints (the Flask and
// Express fixtures: JSON bodies with their own field names, tokens at `data.jwt` and
// `accessToken`), given by options (form body, a custom header without a scheme, the token at a
// dotted path), a session taken from Set-Cookie, a new login before the token's `exp`, and a
// failed login that says what was sent (password masked), what came back and what to try.
import assert from 'node:assert/strict';
import { createHmac } from 'node:crypto';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { after, before, describe, test } from 'node:test';
import type { Check, CheckContext } from '../../../src/audit/check.ts';
import { runAudit } from '../../../src/audit/engine.ts';
import { AuditError } from '../../../src/audit/errors.ts';
import { parseIdentity } from '../../../src/audit/identities/config.ts';
import type { IdentitySpec } from '../../../src/audit/identities/config.ts';
import { startExpress } from '../../fixtures/vulnerable-express/start.ts';
import type { RunningExpress } from '../../fixtures/vulnerable-express/start.ts';
import { startFlask } from '../../fixtures/vulnerable-flask/start.ts';
import type { RunningFlask } from '../../fixtures/vulnerable-flask/start.ts';
import { closeAll } from '../../helpers/close-all.ts';
import { docsPage } from '../../helpers/readme.ts';

const ENV = { PW: 'Wonder-Pass-77' };

/** A check that runs `body` with the context (identities logged in already). */
function probe(body: (ctx: CheckContext) => Promise<void>): Check {
  return { id: 'probe', title: 'probe', owasp: 'API2:2023', cwe: 1, summary: 'test', needs: [], rules: [], run: body };
}

function quick(target: string, checks: Check[], identities: IdentitySpec[], openapi?: string): ReturnType<typeof runAudit> {
  return runAudit({ target, rate: 1000, maxRequests: 200, timeoutMs: 5000, checks, identities, ...(openapi === undefined ? {} : { openapi }) });
}

function login(name: string, username: string, password: string, role: 'user' | 'admin' = 'user'): IdentitySpec {
  return { name, role, credential: { kind: 'login', username, password } };
}

describe('logins found in the fixtures’ specs, with no hints', () => {
  let flask: RunningFlask | undefined;
  let express: RunningExpress | undefined;
  before(async () => {
    [flask, express] = await Promise.all([startFlask(), startExpress()]);
  });
  after(() => closeAll(flask, express));

  test('Flask: a JSON login {user, pass} at /api/auth/login, the token at data.jwt, sent as a bearer token', async () => {
    const fx = flask!;
    const seen: { status: number; authorization?: string; login?: unknown; token?: string }[] = [];
    await quick(fx.vuln, [probe(async (ctx) => {
      for (const identity of ctx.identities) {
        const me = await ctx.sendAs(identity, { method: 'GET', url: ctx.target.url('/api/me') });
        seen.push({ status: me.outcome === 'ok' ? me.response.status : 0, ...(me.request.headers.authorization === undefined ? {} : { authorization: me.request.headers.authorization }), login: identity.login, ...(identity.token() === undefined ? {} : { token: identity.token()! }) });
      }
    })], [login('alice', 'alice', fx.users.alice.password), login('admin', 'admin', fx.users.admin.password, 'admin')], fx.specPath);
    assert.equal(seen.length, 2);
    for (const s of seen) {
      assert.equal(s.status, 200);
      assert.equal(s.authorization, `Bearer ${s.token!}`);
      assert.match(s.token!, /^eyJ/);
      assert.deepEqual({ ...(s.login as object), tokenUrl: undefined, username: undefined }, { tokenUrl: undefined, username: undefined, fields: {}, body: 'json', userField: 'user', passwordField: 'pass' });
      assert.match((s.login as { tokenUrl: string }).tokenUrl, /\/vuln\/api\/auth\/login$/);
    }
  });

  test('Express: a JSON login {username, password} at /auth/signin, the token at accessToken; renamed routes and fields too', async () => {
    const renamed = await startExpress({ seed: 7 });
    try {
      for (const fx of [express!, renamed]) {
        const statuses: number[] = [];
        await quick(fx.vuln, [probe(async (ctx) => {
          for (const identity of ctx.identities) {
            const me = await ctx.sendAs(identity, { method: 'GET', url: ctx.target.url(`/${fx.names.me}`) });
            statuses.push(me.outcome === 'ok' ? me.response.status : 0);
            assert.equal(identity.login!.tokenUrl, new URL(fx.login.path.slice(1), fx.vuln).href);
            assert.equal(identity.login!.userField, fx.login.userField);
          }
        })], [login('alice', 'alice', fx.users.alice.password), login('bob', 'bob', fx.users.bob.password)], fx.specPath);
        assert.deepEqual(statuses, [200, 200], fx.login.path);
      }
    } finally {
      await renamed.close();
    }
  });

  test('a wrong password: the error names what was sent (password masked), what came back, and options to try', async () => {
    const fx = flask!;
    await assert.rejects(quick(fx.vuln, [], [login('alice', 'alice', 'Wrong-s3cret-pw')], fx.specPath), (error: unknown) => {
      assert.ok(error instanceof AuditError && error.code === 'IDENTITY_FAILED');
      assert.match(error.message, /identity alice: no login worked/);
      assert.match(error.message, /\/api\/auth\/login \(POST \/api\/auth\/login of the spec\) answered 401/);
      assert.match(error.message, /sent POST \S+\/api\/auth\/login JSON \{"user":"alice","pass":"<redacted>"\}/);
      assert.match(error.message, /Options that may fix it: login-url=\/api\/mobile\/login,login-body=json,user-field=email,password-field=password/);
      assert.ok(!error.message.includes('s3cret'));
      return true;
    });
  });
});

describe('logins a test server shapes', () => {
  const SECRET = 'logins-test-key';
  let server: http.Server;
  let base: string;
  const logins: string[] = [];
  let refusedWithToken = 0;
  const jwt = (sub: string, lifetime: number): string => {
    const enc = (v: object): string => Buffer.from(JSON.stringify(v)).toString('base64url');
    const now = Math.floor(Date.now() / 1000);
    const input = `${enc({ alg: 'HS256', typ: 'JWT' })}.${enc({ sub, iat: now, exp: now + lifetime })}`;
    return `${input}.${createHmac('sha256', SECRET).update(input).digest('base64url')}`;
  };
  const valid = (token: string | undefined): boolean => {
    if (token === undefined) return false;
    const [h, p, s] = token.split('.');
    if (s !== createHmac('sha256', SECRET).update(`${h}.${p}`).digest('base64url')) return false;
    return (JSON.parse(Buffer.from(p!, 'base64url').toString()) as { exp: number }).exp * 1000 > Date.now();
  };
  before(async () => {
    server = http.createServer((req, res) => {
      const chunks: Buffer[] = [];
      req.on('data', (c: Buffer) => chunks.push(c));
      req.on('end', () => {
        const body = Buffer.concat(chunks).toString();
        if (req.method === 'POST' && req.url === '/session/open') {
          // A form login with its own names; the token two levels down; lives 3 s.
          const form = new URLSearchParams(body);
          if (form.get('handle') !== 'dana' || form.get('secret_word') !== ENV.PW) return void res.writeHead(403).end('{"problem":"bad"}');
          logins.push('form');
          res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify({ result: { session: { value: jwt('dana', 3) } } }));
          return;
        }
        if (req.method === 'POST' && req.url === '/web/login') {
          // A JSON login whose only credential is the cookie it sets.
          const json = JSON.parse(body || '{}') as Record<string, string>;
          if (json.login !== 'erin' || json.pw !== ENV.PW) return void res.writeHead(401).end();
          logins.push('cookie');
          res.writeHead(204, { 'set-cookie': ['sid=cookie-session-77aa; HttpOnly; Path=/', 'theme=dark; Path=/'] }).end();
          return;
        }
        const custom = req.headers['x-auth'] as string | undefined;
        const ok = valid(custom) || /(?:^|; )sid=cookie-session-77aa(?:;|$)/.test(req.headers.cookie ?? '') || req.headers.authorization === 'Token static-77';
        if (!ok && (custom !== undefined || req.headers.cookie !== undefined)) refusedWithToken++;
        res.writeHead(ok ? 200 : 401, { 'content-type': 'application/json' }).end(ok ? '{"me":true}' : '{"error":"unauthorized"}');
      });
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    base = `http://127.0.0.1:${(server.address() as AddressInfo).port}/`;
  });
  after(() => closeAll(() => new Promise<void>((resolve) => server.close(() => resolve()))));

  test('given options: a form body with any field names, the token at a dotted path, sent in a custom header without a scheme; a new login before exp', async () => {
    const identity = parseIdentity('name=dana,login=dana,password-env=PW,login-url=/session/open,login-body=form,user-field=handle,password-field=secret_word,token-field=result.session.value,token-header=X-Auth', 'command line', ENV);
    const statuses: number[] = [];
    const tokens = new Set<string>();
    logins.length = 0;
    refusedWithToken = 0;
    await quick(base, [probe(async (ctx) => {
      const dana = ctx.identities[0]!;
      // 4.5 s of requests with a token that lives 3 s: each is sent with a live token.
      for (let i = 0; i < 9; i++) {
        const result = await ctx.sendAs(dana, { method: 'GET', url: ctx.target.url('/me') });
        statuses.push(result.outcome === 'ok' ? result.response.status : 0);
        assert.equal(result.request.headers['x-auth'], dana.token());
        assert.equal(result.request.headers.authorization, undefined);
        tokens.add(dana.token()!);
        await new Promise((resolve) => setTimeout(resolve, 500));
      }
    })], [identity]);
    assert.deepEqual(statuses, Array(9).fill(200) as number[]);
    assert.equal(refusedWithToken, 0, 'no request went out with an expired token');
    assert.ok(tokens.size >= 2 && logins.length >= tokens.size, `logged in ${logins.length} times, ${tokens.size} tokens seen`);
  });

  test('a session from Set-Cookie travels as the Cookie header; a static credential in Authorization with another scheme', async () => {
    logins.length = 0;
    const seen: { cookie?: string; authorization?: string; status: number; token?: string; inCookie: boolean }[] = [];
    await quick(base, [probe(async (ctx) => {
      for (const identity of ctx.identities) {
        const result = await ctx.sendAs(identity, { method: 'GET', url: ctx.target.url('/me') });
        seen.push({ ...result.request.headers, status: result.outcome === 'ok' ? result.response.status : 0, ...(identity.token() === undefined ? {} : { token: identity.token()! }), inCookie: identity.inCookie });
      }
    })], [
      parseIdentity('name=erin,login=erin,password-env=PW,login-url=/web/login,login-body=json,user-field=login,password-field=pw', 'command line', ENV),
      parseIdentity('name=fay,header=Authorization:Token static-77', 'command line', ENV),
    ]);
    assert.equal(seen[0]!.cookie, 'sid=cookie-session-77aa; theme=dark');
    assert.equal(seen[0]!.status, 200);
    assert.equal(seen[0]!.inCookie, true);
    assert.equal(seen[1]!.authorization, 'Token static-77');
    assert.equal(seen[1]!.token, 'static-77');
    assert.equal(seen[1]!.status, 200);
  });
});

describe('the README says what identities take', () => {
  const readme = docsPage('auditor.md');
  test('every login option it names is accepted, and the log and protection sentences are there', () => {
    const paragraph = readme.slice(readme.indexOf('**Identities.**'), readme.indexOf('```sh', readme.indexOf('**Identities.**')));
    const named = [...paragraph.matchAll(/`([a-z-]+)=(?:[a-z|]*)`/g)].map((m) => m[1]!);
    for (const key of ['login-url', 'login-body', 'user-field', 'password-field', 'token-field', 'token-header', 'token-scheme', 'token-cookie', 'client-id', 'client-secret-env', 'client-auth']) assert.ok(named.includes(key), key);
    const env = { PW: 'x-pass-1', SECRET: 'client-s3cret' };
    const parsed = parseIdentity('name=a,login=a,password-env=PW,login-url=/in,login-body=json,user-field=u,password-field=p,token-field=d.t,token-header=X-T,token-scheme=none,client-id=c,client-secret-env=SECRET,client-auth=body', 'command line', env);
    assert.deepEqual(parsed.credential, { kind: 'login', username: 'a', password: 'x-pass-1', tokenUrl: '/in', body: 'json', userField: 'u', passwordField: 'p', tokenField: 'd.t', tokenHeader: 'X-T', tokenScheme: 'none', clientId: 'c', clientSecret: 'client-s3cret', clientAuth: 'body' });
    assert.throws(() => parseIdentity('name=a,bearer=t,login-body=json', 'command line', env), /login-body goes with login=/);
    assert.match(paragraph, /created with mode 0600/);
    assert.match(readme, /Every check uses\s+this one classification, and the report lists it/);
  });
});
