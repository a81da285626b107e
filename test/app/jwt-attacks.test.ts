// Security: access-token attacks against the reference service. Every forged, altered,
// expired or revoked token gets 401 with `WWW-Authenticate: Bearer error="invalid_token"`,
// the security headers, and no library message — never a 500.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { createServer as createHttpServer, type Server } from 'node:http';
import { createPrivateKey, createPublicKey, generateKeyPairSync } from 'node:crypto';
import { SignJWT, exportJWK, base64url, generateKeyPair, type JWK } from 'jose';
import { request, type Response } from '../helpers/http.ts';
import { bearer, login, startReferenceService, STRONG_PASSWORD, type RunningService, type Tokens } from '../helpers/app.ts';
import { closeAll } from '../helpers/close-all.ts';

const INVALID = 'Bearer error="invalid_token"';

function assertRejected(response: Response, label: string): void {
  assert.equal(response.status, 401, `${label}: ${response.body}`);
  assert.equal(response.headers['www-authenticate'], INVALID, label);
  assert.equal(response.headers['x-content-type-options'], 'nosniff', label);
  assert.equal(response.headers['content-type'], 'application/problem+json', label);
  assert.equal((response.json() as { detail: string }).detail, 'The access token is invalid, expired or revoked.', label);
}

const encode = (value: object): string => base64url.encode(JSON.stringify(value));

describe('Security: forged and tampered access tokens', () => {
  let service: RunningService;
  let tokens: Tokens;
  let claims: Record<string, unknown>;
  let kid: string;
  let publicJwk: JWK;
  let listener: Server;
  let listenerHits = 0;
  let listenerUrl: string;

  const me = (token: string): Promise<Response> => request(service.url, '/v1/users/me', { headers: bearer(token) });
  const signReal = async (payload: Record<string, unknown>, header: Record<string, unknown> = {}): Promise<string> => {
    const key = service.identity.keyring.current();
    return new SignJWT(payload).setProtectedHeader({ alg: 'EdDSA', typ: 'at+jwt', kid: key.kid, ...header }).sign(key.signingKey);
  };

  before(async () => {
    service = await startReferenceService();
    await service.identity.createUser({ username: 'alice', password: STRONG_PASSWORD, role: 'user' }, { id: null, clientIp: null });
    tokens = await login(service.url, 'alice');
    const [header, payload] = tokens.access_token.split('.') as [string, string];
    claims = JSON.parse(Buffer.from(payload, 'base64url').toString()) as Record<string, unknown>;
    kid = (JSON.parse(Buffer.from(header, 'base64url').toString()) as { kid: string }).kid;
    publicJwk = service.identity.keyring.jwks().keys[0]!;
    listener = createHttpServer((_req, res) => {
      listenerHits++;
      res.end('{}');
    });
    await new Promise<void>((resolve) => listener.listen(0, '127.0.0.1', resolve));
    listenerUrl = `http://127.0.0.1:${(listener.address() as { port: number }).port}`;
  });
  after(() => closeAll(listener, service));

  test('the real token works (control)', async () => {
    const response = await me(tokens.access_token);
    assert.equal(response.status, 200);
    assert.equal((response.json() as { username: string }).username, 'alice');
    assert.equal(response.headers['cache-control'], 'no-store');
  });

  for (const alg of ['none', 'None', 'NONE', 'nOnE']) {
    test(`alg: ${alg}`, async () => {
      assertRejected(await me(`${encode({ alg, typ: 'at+jwt', kid })}.${encode(claims)}.`), alg);
    });
  }

  test('HS256 signed with the public key (JWK JSON, PEM and raw bytes as the secret)', async () => {
    const pem = createPublicKey({ key: publicJwk, format: 'jwk' }).export({ type: 'spki', format: 'pem' });
    const secrets = [Buffer.from(JSON.stringify(publicJwk)), Buffer.from(String(pem)), Buffer.from(publicJwk.x!, 'base64url')];
    for (const secret of secrets) {
      const forged = await new SignJWT(claims).setProtectedHeader({ alg: 'HS256', typ: 'at+jwt', kid }).sign(secret);
      assertRejected(await me(forged), 'HS256 confusion');
    }
  });

  test('unknown kid, and kid with path or SQL characters', async () => {
    for (const evil of ['no-such-key', '../../../../etc/passwd', "' OR '1'='1", 'x'.repeat(300)]) {
      assertRejected(await me(await signReal(claims, { kid: evil })), `kid ${evil.slice(0, 20)}`);
    }
  });

  test('jku, x5u and an embedded jwk are never followed or trusted', async () => {
    const attacker = await generateKeyPair('EdDSA', { crv: 'Ed25519', extractable: true });
    const attackerJwk = await exportJWK(attacker.publicKey);
    const headers = [
      { jku: `${listenerUrl}/jwks.json`, kid: 'attacker' },
      { x5u: `${listenerUrl}/cert.pem`, kid: 'attacker' },
      { jwk: attackerJwk },
      { jwk: attackerJwk, kid },
    ];
    for (const header of headers) {
      const forged = await new SignJWT(claims).setProtectedHeader({ alg: 'EdDSA', typ: 'at+jwt', ...header }).sign(attacker.privateKey);
      assertRejected(await me(forged), JSON.stringify(Object.keys(header)));
    }
    assert.equal(listenerHits, 0, 'the loopback listener received nothing');
  });

  test('wrong issuer, wrong audience, wrong typ (signed with the real key)', async () => {
    assertRejected(await me(await signReal({ ...claims, iss: 'https://evil.example' })), 'iss');
    assertRejected(await me(await signReal({ ...claims, aud: 'another-api' })), 'aud');
    assertRejected(await me(await signReal(claims, { typ: 'JWT' })), 'typ JWT');
    assertRejected(await me(await signReal(claims, { typ: undefined })), 'typ missing');
  });

  test('expired beyond the skew, and nbf in the future', async () => {
    const t = Math.floor(Date.now() / 1000);
    assertRejected(await me(await signReal({ ...claims, iat: t - 1000, exp: t - 31 })), 'expired');
    assertRejected(await me(await signReal({ ...claims, nbf: t + 120 })), 'nbf');
  });

  for (const claim of ['iss', 'aud', 'sub', 'iat', 'exp', 'jti', 'client_id', 'scope']) {
    test(`missing required claim ${claim}`, async () => {
      const rest = { ...claims };
      Reflect.deleteProperty(rest, claim);
      assertRejected(await me(await signReal(rest)), claim);
    });
  }

  test('signature stripped or altered', async () => {
    const [h, p, s] = tokens.access_token.split('.') as [string, string, string];
    assertRejected(await me(`${h}.${p}.`), 'stripped');
    assertRejected(await me(`${h}.${p}`), 'two parts');
    const flipped = s.slice(0, 10) + (s[10] === 'A' ? 'B' : 'A') + s.slice(11);
    assertRejected(await me(`${h}.${p}.${flipped}`), 'altered signature');
    assertRejected(await me(`${h}.${encode({ ...claims, scope: 'admin:users profile' })}.${s}`), 'altered payload');
  });

  test('garbage and a 20 kB token', async () => {
    for (const garbage of ['garbage', 'a.b.c', '...', '\u00ff\u00fe', 'eyJ.eyJ.eyJ']) {
      const response = await request(service.url, '/v1/users/me', { headers: { authorization: `Bearer ${garbage}` } });
      assert.equal(response.status, 401, garbage);
    }
    // Over our 4 kB token bound but inside the header limit: refused before any parsing.
    assertRejected(await me(await signReal({ ...claims, pad: 'x'.repeat(10_000) })), '10 kB');
    // 20 kB does not fit in the 16 KiB header limit: Node's parser answers 431 first.
    const huge = await me(await signReal({ ...claims, pad: 'x'.repeat(20_000) }));
    assert.equal(huge.status, 431);
    assert.equal(huge.headers['content-type'], 'application/problem+json');
  });

  test('a key of another type entirely (RSA) is refused', async () => {
    const { privateKey } = generateKeyPairSync('rsa', { modulusLength: 2048 });
    const forged = await new SignJWT(claims).setProtectedHeader({ alg: 'RS256', typ: 'at+jwt', kid }).sign(createPrivateKey(privateKey.export({ type: 'pkcs8', format: 'pem' })));
    assertRejected(await me(forged), 'RS256');
  });
});
