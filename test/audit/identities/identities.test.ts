// Identities: parsed from the command line and the config file (secrets from the environment),
// sent as static headers or through an OAuth2 password login the auditor performs, refreshed
// once on 401, and missing identities skip the checks that need them, with the reason.
import assert from 'node:assert/strict';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { after, before, describe, test } from 'node:test';
import type { Check } from '../../../src/audit/check.ts';
import { resolveSettings } from '../../../src/audit/config.ts';
import { runAudit } from '../../../src/audit/engine.ts';
import { AuditError } from '../../../src/audit/errors.ts';
import { parseIdentity, parseIdentityEntry } from '../../../src/audit/identities/config.ts';
import { audit, IDENTITIES, IDENTITY_CHECKS, runCli, SPEC_PATH, startTwins } from '../helpers.ts';
import type { Twins } from '../helpers.ts';
import { closeAll } from '../../helpers/close-all.ts';

const ENV = { ALICE_PW: 'alice-Passw0rd-2024', TOKEN: 'tok-123456' };

describe('identity settings', () => {
  test('reads each credential kind from --identity', () => {
    assert.deepEqual(parseIdentity('name=a,bearer=abc.def', 'command line', ENV), { name: 'a', role: 'user', credential: { kind: 'bearer', token: 'abc.def' } });
    assert.deepEqual(parseIdentity('name=k,role=admin,header=X-API-Key:k1,2', 'command line', ENV).credential, { kind: 'header', name: 'X-API-Key', value: 'k1,2' });
    assert.deepEqual(parseIdentity('name=c,cookie=sid=1; csrf=2', 'command line', ENV).credential, { kind: 'cookie', value: 'sid=1; csrf=2' });
    assert.deepEqual(parseIdentity('name=alice,login=alice,password-env=ALICE_PW', 'command line', ENV).credential, { kind: 'login', username: 'alice', password: ENV.ALICE_PW });
    assert.deepEqual(parseIdentity('name=b,bearer-env=TOKEN', 'command line', ENV).credential, { kind: 'bearer', token: ENV.TOKEN });
    const login = parseIdentity('name=x,login=x:pw-with:colon,token-url=/token,scope=read write', 'command line', ENV).credential;
    assert.deepEqual(login, { kind: 'login', username: 'x', password: 'pw-with:colon', tokenUrl: '/token', scope: 'read write' });
  });

  test('refuses bad identities with a message that teaches, never echoing a secret', () => {
    const refused = (text: string, pattern: RegExp): void => {
      assert.throws(() => parseIdentity(text, 'command line', ENV), (error: unknown) => error instanceof AuditError && error.code === 'USAGE' && pattern.test(error.message) && !error.message.includes('s3cret'));
    };
    refused('name=a', /exactly one credential/);
    refused('name=a,bearer=x,cookie=y', /exactly one credential/);
    refused('bearer=x', /needs name=/);
    refused('name=a,role=root,bearer=x', /role must be user or admin/);
    refused('name=a,login=alice', /needs a password: password-env=/);
    refused('name=a,login=alice,password-env=NOPE', /NOPE .* is not set/);
    refused('name=a,header=novalue', /Name:value/);
    refused('name=a,bearer=s3cret,pasword-env=X', /unknown key `pasword-env`.*password-env/);
  });

  test('the config file takes objects (camelCase) or command-line strings; the command line wins', () => {
    const entry = parseIdentityEntry({ name: 'alice', login: 'alice', passwordEnv: 'ALICE_PW' }, 'config file', 0, ENV);
    assert.deepEqual(entry.credential, { kind: 'login', username: 'alice', password: ENV.ALICE_PW });
    assert.equal(parseIdentityEntry('name=b,bearer=t', 'config file', 1, ENV).name, 'b');
    assert.throws(() => parseIdentityEntry({ name: 'x', bearer: 1 }, 'config file', 2, ENV), (e: unknown) => e instanceof AuditError && e.code === 'CONFIG_INVALID');
    process.env.RAMPART_TEST_ALICE_PW = ENV.ALICE_PW;
    try {
      const fromFile = resolveSettings({ target: 'http://127.0.0.1:1/' }, { identities: [{ name: 'f', bearer: 'x' }], intensive: true }, 'audit.yaml');
      assert.deepEqual(fromFile.identities.map((i) => i.name), ['f']);
      assert.equal(fromFile.intensive, true);
      const both = resolveSettings({ target: 'http://127.0.0.1:1/', identities: ['name=c,login=alice,password-env=RAMPART_TEST_ALICE_PW'] }, { identities: [{ name: 'f', bearer: 'x' }] });
      assert.deepEqual(both.identities.map((i) => i.name), ['c']);
      assert.throws(() => resolveSettings({ target: 'http://127.0.0.1:1/', identities: ['name=a,bearer=1', 'name=a,bearer=2'] }, undefined), /two identities are named a/);
      assert.throws(() => resolveSettings({ target: 'http://127.0.0.1:1/', callbackUrl: 'ftp://x' }, undefined), /callbackUrl/);
    } finally {
      delete process.env.RAMPART_TEST_ALICE_PW;
    }
  });
});

/** A check that records what each identity's requests carried and what the context holds. */
interface Seen {
  headers: Record<string, string>[];
  tokens: (string | undefined)[];
  intensive?: boolean;
  callback?: string | undefined;
}

function recorder(seen: Seen): Check {
  return {
    id: 'recorder',
    title: 'records',
    owasp: 'API1:2023',
    cwe: 1,
    summary: 'test',
    needs: ['identities'],
    rules: [],
    async run(ctx) {
      seen.intensive = ctx.intensive;
      seen.callback = ctx.callbackUrl;
      for (const identity of ctx.identities) {
        const result = await ctx.sendAs(identity, { method: 'GET', url: ctx.target.url('/echo') });
        seen.headers.push(result.request.headers);
        seen.tokens.push(identity.token());
      }
    },
  };
}

describe('identities against a server', () => {
  let server: http.Server;
  let base: string;
  let logins = 0;
  let valid = new Set<string>();
  let objectGone = false;
  before(async () => {
    server = http.createServer((req, res) => {
      const chunks: Buffer[] = [];
      req.on('data', (c: Buffer) => chunks.push(c));
      req.on('end', () => {
        if (req.url === '/token' && req.method === 'POST') {
          const form = new URLSearchParams(Buffer.concat(chunks).toString());
          if (form.get('grant_type') !== 'password' || form.get('password') !== ENV.ALICE_PW) {
            res.writeHead(400, { 'content-type': 'application/json' }).end('{"error":"invalid_grant"}');
            return;
          }
          const token = `t${++logins}`;
          valid.add(token);
          res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify({ access_token: token, token_type: 'bearer' }));
          return;
        }
        if (req.url === '/objects/1') {
          // Deleted only by its creator (the static identity a), then gone.
          if (req.method === 'DELETE' && req.headers.authorization === 'Bearer static-token') objectGone = true;
          res.writeHead(objectGone ? 404 : 200).end();
          return;
        }
        if (req.url === '/stuck') {
          res.writeHead(req.method === 'DELETE' ? 403 : 200).end();
          return;
        }
        const auth = req.headers.authorization ?? '';
        if (auth.startsWith('Bearer t') && !valid.has(auth.slice(7))) {
          res.writeHead(401).end();
          return;
        }
        res.writeHead(200, { 'content-type': 'application/json' }).end('{}');
      });
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    base = `http://127.0.0.1:${(server.address() as AddressInfo).port}/`;
  });
  after(async () => {
    await new Promise<void>((resolve) => server.close(() => resolve()));
  });

  test('static headers are sent as given; a login identity logs in at --token-url', async () => {
    const seen: Seen = { headers: [], tokens: [] };
    const result = await runAudit({
      target: base, rate: 1000, maxRequests: 100, timeoutMs: 2000, checks: [recorder(seen)], intensive: true, callbackUrl: 'http://127.0.0.1:9/cb', tokenUrl: '/token',
      identities: [
        parseIdentity('name=a,bearer=static-token', 'command line'),
        parseIdentity('name=b,header=X-API-Key:key-1', 'command line'),
        parseIdentity('name=c,cookie=sid=abc', 'command line'),
        parseIdentity('name=d,login=alice,password-env=ALICE_PW', 'command line', ENV),
      ],
    });
    assert.deepEqual(result.checks.ran, ['recorder']);
    assert.equal(seen.headers[0]!.authorization, 'Bearer static-token');
    assert.equal(seen.headers[1]!['x-api-key'], 'key-1');
    assert.equal(seen.headers[2]!.cookie, 'sid=abc');
    assert.match(seen.headers[3]!.authorization!, /^Bearer t\d+$/);
    assert.deepEqual(seen.tokens.slice(0, 3), ['static-token', 'key-1', 'abc'], 'the token wherever it travels');
    assert.equal(seen.tokens[3], seen.headers[3]!.authorization!.slice(7));
    assert.equal(seen.intensive, true);
    assert.equal(seen.callback, 'http://127.0.0.1:9/cb');
  });

  test('a 401 makes a login identity log in again and retry once', async () => {
    const seen: Seen = { headers: [], tokens: [] };
    const check = recorder(seen);
    const expiring: Check = {
      ...check,
      async run(ctx) {
        const identity = ctx.identities[0]!;
        await identity.headers();
        valid = new Set(); // every token issued so far stops working
        const result = await ctx.sendAs(identity, { method: 'GET', url: ctx.target.url('/echo') });
        seen.headers.push(result.request.headers);
        seen.tokens.push(result.outcome === 'ok' ? String(result.response.status) : result.error);
      },
    };
    const before = logins;
    await runAudit({ target: base, rate: 1000, maxRequests: 100, timeoutMs: 2000, checks: [expiring], tokenUrl: '/token', identities: [parseIdentity('name=d,login=alice,password-env=ALICE_PW', 'command line', ENV), parseIdentity('name=e,bearer=x', 'command line')] });
    assert.equal(seen.tokens[0], '200');
    assert.equal(logins - before, 2, 'one login at the start, one after the 401');
  });

  test('the safety ledger deletes what a check created, as its creator, and names what it could not remove', async () => {
    const creator: Check = {
      id: 'creator', title: 'creates', owasp: 'API1:2023', cwe: 1, summary: 'test', needs: ['identities'], rules: [],
      run(ctx) {
        ctx.created(ctx.target.url('/objects/1'), ctx.identities[0]!);
        ctx.created(ctx.target.url('/stuck'), ctx.identities[1]!);
        return Promise.resolve();
      },
    };
    const result = await runAudit({ target: base, rate: 1000, maxRequests: 100, timeoutMs: 2000, checks: [creator], identities: [parseIdentity('name=a,bearer=static-token', 'command line'), parseIdentity('name=b,bearer=other', 'command line')] });
    assert.equal(objectGone, true);
    const safety = result.notes.filter((n) => n.startsWith('safety:'));
    assert.equal(safety.length, 1, result.notes.join('\n'));
    assert.match(safety[0]!, /could not remove http:\/\/127\.0\.0\.1:\d+\/stuck \(created as b\): DELETE answered 403, then GET answered 200; remove it by hand/);
  });

  test('credentials go only to the audited origin: an object the target placed elsewhere is not touched', async () => {
    let elsewhere = 0;
    const other = http.createServer((_req, res) => {
      elsewhere++;
      res.writeHead(200).end();
    });
    await new Promise<void>((resolve) => other.listen(0, '127.0.0.1', resolve));
    try {
      const away = `http://127.0.0.1:${(other.address() as AddressInfo).port}/objects/9`;
      const seen: string[] = [];
      const creator: Check = {
        id: 'creator', title: 'creates', owasp: 'API1:2023', cwe: 1, summary: 'test', needs: ['identities'], rules: [],
        async run(ctx) {
          const result = await ctx.sendAs(ctx.identities[0]!, { method: 'GET', url: away });
          seen.push(result.outcome === 'ok' ? 'sent' : result.error);
          ctx.created(away, ctx.identities[0]!);
        },
      };
      const result = await runAudit({ target: base, rate: 1000, maxRequests: 100, timeoutMs: 2000, checks: [creator], identities: [parseIdentity('name=a,bearer=static-token', 'command line'), parseIdentity('name=b,bearer=other', 'command line')] });
      assert.equal(elsewhere, 0, 'nothing reached the other origin');
      assert.match(seen[0]!, /not sent: http:\/\/127\.0\.0\.1:\d+ is not the audited origin/);
      assert.ok(result.notes.some((n) => /safety: could not remove .*\/objects\/9 \(created as a\): not sent/.test(n)), result.notes.join('\n'));
    } finally {
      await new Promise<void>((resolve) => other.close(() => resolve()));
    }
  });

  test('a failed login stops the audit with a clear error and no password in it', async () => {
    await assert.rejects(
      runAudit({ target: base, rate: 1000, maxRequests: 100, timeoutMs: 2000, checks: [], tokenUrl: '/token', identities: [parseIdentity('name=d,login=alice:wrong-s3cret', 'command line')] }),
      (error: unknown) => error instanceof AuditError && error.code === 'IDENTITY_FAILED' && /identity d: the login at .*\/token \(--token-url\) answered 400 \(invalid_grant\): .*; sent POST .*password=<redacted>/.test(error.message) && !error.message.includes('s3cret'),
    );
  });

  test('a login identity without any token URL is refused', async () => {
    await assert.rejects(
      runAudit({ target: base, rate: 1000, maxRequests: 100, timeoutMs: 2000, checks: [], identities: [parseIdentity('name=d,login=alice,password-env=ALICE_PW', 'command line', ENV)] }),
      /no login found: the spec has no OAuth2 password flow .* pass login-url=.* or --token-url/,
    );
  });
});

describe('identities against the fixture', () => {
  let twins: Twins;
  before(async () => {
    twins = await startTwins();
  });
  after(() => closeAll(twins));

  test("logs in through the spec's OAuth2 password flow (tokenUrl) and redacts every credential from the report", async () => {
    // PATCH /me writes to a given identity: only when --unsafe names it (issue 19 item 4).
    const result = await audit(twins.vuln, { only: ['mass-assignment'], identities: IDENTITIES, unsafe: ['PATCH /me'] });
    assert.deepEqual(result.checks.ran, ['mass-assignment']);
    const text = JSON.stringify(result);
    assert.ok(result.findings.length > 0);
    for (const identity of IDENTITIES) {
      if (identity.credential.kind === 'login') assert.ok(!text.includes(identity.credential.password));
    }
    assert.ok(!/Bearer eyJ/.test(text), 'no access token in the report');
  });

  test('without identities the checks that need them are skipped, with the reason', async () => {
    const none = await audit(twins.vuln, { only: IDENTITY_CHECKS });
    assert.deepEqual(none.checks.ran, []);
    assert.deepEqual(none.checks.skipped.map((s) => s.id).sort(), [...IDENTITY_CHECKS].sort());
    for (const skipped of none.checks.skipped) assert.match(skipped.reason, /needs two ordinary identities \(role=user\), none configured/);
    const one = await audit(twins.vuln, { only: ['bola'], identities: IDENTITIES.filter((i) => i.name !== 'bob') });
    assert.match(one.checks.skipped[0]!.reason, /only one configured/);
    assert.deepEqual(none.findings, []);
  });

  test('the command takes --identity with passwords from the environment', async () => {
    process.env.RAMPART_TEST_ALICE = 'alice-Passw0rd-2024';
    process.env.RAMPART_TEST_BOB = 'bob-Passw0rd-2024';
    try {
      const ran = await runCli([twins.vuln, '--openapi', SPEC_PATH, '--only', 'mass-assignment', '--format', 'json', '--fail-on', 'none', '--unsafe', 'PATCH /me', '--identity', 'name=alice,login=alice,password-env=RAMPART_TEST_ALICE', '--identity', 'name=bob,login=bob,password-env=RAMPART_TEST_BOB']);
      assert.equal(ran.code, 0, ran.stderr);
      const report = JSON.parse(ran.stdout) as { findings: { id: string }[] };
      assert.deepEqual(report.findings.map((f) => f.id), ['mass-assignment.update']);
      const bad = await runCli([twins.vuln, '--openapi', SPEC_PATH, '--identity', 'name=alice,login=alice,password-env=RAMPART_TEST_NOT_SET']);
      assert.equal(bad.code, 2);
      assert.match(bad.stderr, /RAMPART_TEST_NOT_SET .* is not set/);
    } finally {
      delete process.env.RAMPART_TEST_ALICE;
      delete process.env.RAMPART_TEST_BOB;
    }
  });
});
