// JWT findings on the Express fixture: a signing secret from the common-password lists public
// JWT crackers use, and claims that carry an email and a password hash, whichever header the
// token travels in. The fixed twin signs with a random key and puts only sub and role in claims.
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { runAudit } from '../../../src/audit/engine.ts';
import type { AuditResult } from '../../../src/audit/engine.ts';
import type { IdentitySpec } from '../../../src/audit/identities/config.ts';
import { sensitiveClaims } from '../../../src/audit/jwt/claims.ts';
import { crackHmacSecret, jwtSecretWords, MAX_WORDS } from '../../../src/audit/jwt/secrets.ts';
import { decodeJwt, hmacSign } from '../../../src/audit/jwt/token.ts';
import { startExpress } from '../../fixtures/vulnerable-express/start.ts';
import type { RunningExpress } from '../../fixtures/vulnerable-express/start.ts';
import { closeAll } from '../../helpers/close-all.ts';
import { describe as list, findingAt } from '../helpers.ts';
import { expressIdentities } from './fixture-identities.ts';

let fx: RunningExpress;
before(async () => {
  fx = await startExpress();
});
after(() => closeAll(fx));

function jwtAudit(base: string, identities: IdentitySpec[]): Promise<AuditResult> {
  return runAudit({ target: base, openapi: fx.specPath, rate: 2000, maxRequests: 3000, timeoutMs: 5000, maxRetryWaitMs: 2000, only: ['jwt'], identities });
}

describe('JWT on the Express fixture', () => {
  test('the vulnerable twin: secret123 guessed and proven by a re-signed token; email and password hash in the claims', async () => {
    const result = await jwtAudit(fx.vuln, await expressIdentities(fx, fx.vuln));
    assert.ok(result.findings.some((f) => f.id === 'jwt.weak-secret'), list(result));
    const claims = result.findings.find((f) => f.id === 'jwt.sensitive-claims');
    assert.ok(claims, list(result));
    assert.equal(claims.severity, 'high');
    assert.match(claims.evidence.summary, /`pwd` \(a secret: scrypt\$… \(\d+ characters\)\)/);
    assert.match(claims.evidence.summary, /`email` \(personal data: a…@taskboard\.example\)/);
    assert.doesNotMatch(JSON.stringify(claims.evidence), /eyJ[\w-]+\.eyJ[\w-]+\.[\w-]{10,}/, 'the token itself is masked');
  });

  test('a token given as a header credential (not a bearer identity) is found and forged where it travels', async () => {
    const [alice, bob] = await expressIdentities(fx, fx.vuln, ['alice', 'bob']);
    const asHeader = (spec: IdentitySpec): IdentitySpec => ({ ...spec, credential: { kind: 'header', name: 'Authorization', value: `Bearer ${(spec.credential as { token: string }).token}` } });
    const result = await jwtAudit(fx.vuln, [asHeader(alice!), asHeader(bob!)]);
    assert.ok(findingAt(result, 'jwt.weak-secret', 'GET', '/me') ?? result.findings.find((f) => f.id === 'jwt.weak-secret'), list(result));
  });

  test('the fixed twin: nothing', async () => {
    const result = await jwtAudit(fx.fixed, await expressIdentities(fx, fx.fixed));
    assert.deepEqual(result.findings, [], list(result));
  });
});

describe('JWT word lists and claims', () => {
  test("John the Ripper's common passwords are guessed after the JWT list, within the size cap", async () => {
    const words = jwtSecretWords();
    assert.ok(words.length > 3000 && words.length <= MAX_WORDS, String(words.length));
    assert.ok(words.includes('secret123') && words.includes('trustno1'));
    const token = decodeJwt(hmacSign({ alg: 'HS256' }, { sub: '1' }, 'trustno1'))!;
    assert.equal((await crackHmacSecret(token))?.secret, 'trustno1');
  });

  test('secrets by name and by hash shape; personal data by name and email shape; ordinary claims left alone', () => {
    const found = sensitiveClaims({ sub: '42', role: 'admin', iat: 1, exp: 2, scope: 'read', pwd: 'scrypt$ab$cd', email: 'a@b.example', h: '$2b$12$abcdefghijklmnopqrstuv', phone: '+33 6', contact: 'x@y.example' });
    assert.deepEqual(found.map((c) => `${c.claim}:${c.kind}`), ['pwd:secret', 'email:personal', 'h:secret', 'phone:personal', 'contact:personal']);
    assert.deepEqual(sensitiveClaims({ sub: 'u1', role: 'member', jti: 'x', iss: 'https://id.example', aud: 'api' }), []);
  });
});
