import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { crackHmacSecret, jwtSecretWords, numericSecrets } from '../../../src/audit/jwt/secrets.ts';
import { alteredSignature, decodeJwt, hmacSign, stripped, unsigned } from '../../../src/audit/jwt/token.ts';
import { placeholderSecrets } from '../../../src/toolkit/config/placeholders.ts';
import { startFastApi } from '../../fixtures/vulnerable-fastapi/start.ts';
import type { RunningFastApi } from '../../fixtures/vulnerable-fastapi/start.ts';
import { audit, describe as list, findingAt, findingsOf, IDENTITIES, startTwins } from '../helpers.ts';
import type { Twins } from '../helpers.ts';
import { closeAll } from '../../helpers/close-all.ts';

let twins: Twins;
before(async () => {
  twins = await startTwins();
});
after(() => closeAll(twins));

describe('jwt check on the Node fixture', () => {
  test('proves alg none, the weak secret, unchecked exp and nbf, and the unverified legacy route', async () => {
    const result = await audit(twins.vuln, { only: ['jwt'], identities: IDENTITIES });
    const none = findingAt(result, 'jwt.alg-none', 'GET', '/me');
    assert.ok(none, list(result));
    assert.equal(none.severity, 'critical');
    assert.equal(none.evidence.exchanges.at(-1)!.response!.status, 200);
    assert.equal(none.evidence.exchanges[1]!.response!.status, 401, 'the control without a token is refused');
    const weak = findingsOf(result, 'jwt.weak-secret')[0];
    assert.ok(weak, list(result));
    assert.match(weak.evidence.summary, /yo… \(19 characters\)/);
    assert.doesNotMatch(JSON.stringify(weak), /your-256-bit-secret/, 'the secret itself is not printed whole');
    assert.ok(findingsOf(result, 'jwt.expired-accepted')[0], list(result));
    assert.ok(findingsOf(result, 'jwt.not-before-ignored')[0], list(result));
    const legacy = findingAt(result, 'jwt.signature-not-verified', 'GET', '/legacy/profile');
    assert.ok(legacy, list(result));
    assert.deepEqual(legacy.affected.map((l) => l.route), ['/legacy/profile'], 'only the legacy route skips the signature');
    assert.equal(findingsOf(result, 'jwt.algorithm-confusion').length, 0, 'HS256 tokens: no key confusion to test');
    assert.equal(findingsOf(result, 'jwt.kid-injection').length, 0);
  });

  test('reports nothing on the fixed twin, which pins HS256, signs with a random key and checks times', async () => {
    const result = await audit(twins.fixed, { only: ['jwt'], identities: IDENTITIES, ca: twins.ca });
    assert.deepEqual(result.findings, [], list(result));
    assert.ok(result.notes.some((n) => /expiry and not-before were not tested/.test(n)), result.notes.join('\n'));
  });

  test('probes as many protected GET routes as its share of the budget allows, and names what it left out', async () => {
    // 250: the before-snapshot and the protection probes come out of the same budget first.
    const tight = await audit(twins.vuln, { only: ['jwt'], identities: IDENTITIES, maxRequests: 250 });
    assert.ok(tight.notes.some((n) => /protected GET route\(s\) were not probed with forged tokens: 8 routes/.test(n)), tight.notes.join('\n'));
    const full = await audit(twins.vuln, { only: ['jwt'], identities: IDENTITIES });
    assert.ok(!full.notes.some((n) => /not probed with forged tokens/.test(n)), full.notes.join('\n'));
  });

  test('is skipped, with the reason, without identities', async () => {
    const result = await audit(twins.vuln, { only: ['jwt'] });
    assert.equal(result.checks.skipped[0]?.id, 'jwt');
    assert.match(result.checks.skipped[0].reason, /identities/);
  });
});

describe('jwt check on the FastAPI fixture (RS256 with a published JWKS)', () => {
  let fastapi: RunningFastApi;
  before(async () => {
    fastapi = await startFastApi();
  });
  after(() => closeAll(fastapi));

  test('proves HS256 keyed with the published public key, and a kid naming /dev/null, are accepted; times are checked', async () => {
    const result = await audit(fastapi.vuln, { openapi: fastapi.specPath, only: ['jwt'], identities: IDENTITIES });
    const confusion = findingsOf(result, 'jwt.algorithm-confusion')[0];
    assert.ok(confusion, list(result));
    assert.match(confusion.evidence.summary, /\/vuln\/\.well-known\/jwks\.json/);
    assert.match(confusion.evidence.summary, /"alg":"HS256"/);
    const kid = findingsOf(result, 'jwt.kid-injection')[0];
    assert.ok(kid, list(result));
    assert.match(kid.evidence.summary, /dev\/null/);
    // The confused key signs tokens the twin accepts, and its expired or early ones are refused.
    assert.deepEqual(result.findings.map((f) => f.id).sort(), ['jwt.algorithm-confusion', 'jwt.kid-injection'], list(result));
    assert.ok(!result.notes.some((n) => /expiry and not-before were not tested/.test(n)), 'time claims were tested');
  });

  test('reports nothing on the fixed twin, which accepts RS256 only and looks kid up in a table', async () => {
    const result = await audit(fastapi.fixed, { openapi: fastapi.specPath, only: ['jwt'], identities: IDENTITIES });
    assert.deepEqual(result.findings, [], list(result));
  });
});

describe('jwt forging and guessing', () => {
  const token = decodeJwt(hmacSign({ alg: 'HS256', typ: 'JWT' }, { sub: '1' }, 'changeme'))!;

  test('forged variants keep the claims and break the signature in the named way', () => {
    assert.deepEqual(decodeJwt(unsigned({ alg: 'none' }, token.payload))!.header, { alg: 'none' });
    assert.equal(stripped(token).split('.')[2], '');
    const altered = decodeJwt(alteredSignature(token))!;
    assert.deepEqual(altered.payload, token.payload);
    assert.notEqual(altered.parts[2], token.parts[2]);
    assert.equal(Buffer.from(altered.parts[2], 'base64url').length, Buffer.from(token.parts[2], 'base64url').length);
    assert.equal(decodeJwt('a.b'), undefined);
    assert.equal(decodeJwt('e30.e30.'), undefined, 'a header without alg is not a JWS');
  });

  test('guesses list and numeric secrets, and not a strong one', async () => {
    assert.equal((await crackHmacSecret(token))?.secret, 'changeme');
    const numeric = decodeJwt(hmacSign({ alg: 'HS384' }, { sub: '1' }, '004217'))!;
    assert.equal((await crackHmacSecret(numeric))?.secret, '004217');
    const strong = decodeJwt(hmacSign({ alg: 'HS256' }, { sub: '1' }, 'kq9D2v7Xw1mZ0cL5rT8yB3nH6jF4gS1a'))!;
    assert.equal(await crackHmacSecret(strong), undefined);
  });

  test('the word list holds every placeholder secret Rampart refuses to boot with, and numeric secrets are generated', () => {
    const words = new Set(jwtSecretWords().map((w) => w.toLowerCase()));
    assert.deepEqual(placeholderSecrets().filter((p) => !words.has(p)), []);
    assert.ok(words.has('your-256-bit-secret') && words.has('keyboard cat') && words.has('dragon'));
    const numbers = [...numericSecrets(2)];
    assert.equal(numbers.length, 110);
    assert.deepEqual([numbers[0], numbers[10], numbers.at(-1)], ['0', '00', '99']);
  });
});
