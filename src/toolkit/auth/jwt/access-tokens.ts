// RFC 9068 access tokens: issued with `typ: at+jwt` and a `kid`; verified with the algorithm
// pinned, every claim required, issuer/audience/type checked, 30 s of clock skew, keys found
// by kid only (jku, x5u and embedded jwk headers are never followed), then the revocation
// denylist. A verified token's claims are cached until it expires, keyed by the whole token;
// revocation and disabled-user checks still run on every request. `ver` is the user's token
// version when the token was issued: the bearer authenticator accepts it only while it is still
// the user's current one (see UserState), so revoking every token of a user is a counter bump.
// `sid` is the login the token belongs to (its refresh-token family): ending the login (logout,
// refresh-token reuse, revocation of the refresh token) denylists the sid, which every access
// token of that login carries, so none of them outlives it. Both denylists are checked after
// the cache, on every request.
import { randomUUID } from 'node:crypto';
import { SignJWT, jwtVerify, type JWTHeaderParameters, type JWTPayload } from 'jose';
import { HttpProblem } from '../../errors/problem.ts';
import type { KeyValueStore } from '../../stores/index.ts';
import type { Keyring } from './keyring.ts';
import { VerifiedTokenCache } from './token-cache.ts';

export interface AccessTokenClaims {
  iss: string;
  aud: string;
  sub: string;
  iat: number;
  exp: number;
  jti: string;
  client_id: string;
  scope: string;
  roles: string[];
  /** The user's token version at issue (see UserState). */
  ver: number;
  /** The login (refresh-token family) this token was issued for. */
  sid: string;
}

/** What binds a token to its user's state and its login. */
export interface TokenBinding {
  ver: number;
  sid: string;
}

export interface AccessTokenOptions {
  keyring: Keyring;
  store: KeyValueStore;
  issuer: string;
  audience: string;
  ttlSeconds: number;
  cacheSize?: number;
  now?: () => number;
}

export interface IssuedAccessToken {
  token: string;
  expiresIn: number;
  claims: AccessTokenClaims;
}

export const CLOCK_SKEW_SECONDS = 30;
/** Real access tokens are well under 1 kB; refuse huge ones before any parsing. */
const MAX_TOKEN_LENGTH = 4096;
const KID = /^[A-Za-z0-9_-]{1,64}$/;
const REQUIRED = ['iss', 'aud', 'sub', 'iat', 'exp', 'jti', 'client_id', 'scope', 'ver', 'sid'];

export const INVALID_TOKEN = new HttpProblem(401, {
  slug: 'invalid-token',
  title: 'Invalid token',
  detail: 'The access token is invalid, expired or revoked.',
  headers: { 'www-authenticate': 'Bearer error="invalid_token"' },
});

export const deniedJtiKey = (jti: string): string => `jwt:deny:${jti}`;
export const deniedSidKey = (sid: string): string => `jwt:deny-sid:${sid}`;

export function createAccessTokens(options: AccessTokenOptions) {
  const now = options.now ?? Date.now;
  const cache = new VerifiedTokenCache<AccessTokenClaims>(options.cacheSize ?? 10_000);
  const alg = options.keyring.current().alg;

  async function getKey(header: JWTHeaderParameters) {
    if (typeof header.kid !== 'string' || !KID.test(header.kid)) throw new Error('kid');
    const key = await options.keyring.find(header.kid);
    if (key === undefined) throw new Error('kid');
    return key.verificationKey;
  }

  async function verifySignature(token: string): Promise<AccessTokenClaims> {
    const cached = cache.get(token, now());
    if (cached !== undefined) return cached;
    let payload: JWTPayload;
    try {
      ({ payload } = await jwtVerify(token, getKey, {
        algorithms: [alg],
        issuer: options.issuer,
        audience: options.audience,
        typ: 'at+jwt',
        clockTolerance: CLOCK_SKEW_SECONDS,
        requiredClaims: REQUIRED,
        currentDate: new Date(now()),
      }));
    } catch {
      throw INVALID_TOKEN;
    }
    const claims = toClaims(payload);
    cache.set(token, claims, (claims.exp + CLOCK_SKEW_SECONDS) * 1000);
    return claims;
  }

  return {
    async issue(subject: string, scope: string, clientId: string, roles: string[], { ver, sid }: TokenBinding): Promise<IssuedAccessToken> {
      const key = options.keyring.current();
      const iat = Math.floor(now() / 1000);
      const claims: AccessTokenClaims = { iss: options.issuer, aud: options.audience, sub: subject, iat, exp: iat + options.ttlSeconds, jti: randomUUID(), client_id: clientId, scope, roles, ver, sid };
      const token = await new SignJWT({ client_id: clientId, scope, roles, ver, sid })
        .setProtectedHeader({ alg: key.alg, typ: 'at+jwt', kid: key.kid })
        .setIssuer(claims.iss)
        .setAudience(claims.aud)
        .setSubject(subject)
        .setIssuedAt(iat)
        .setExpirationTime(claims.exp)
        .setJti(claims.jti)
        .sign(key.signingKey);
      return { token, expiresIn: options.ttlSeconds, claims };
    },

    /** Verifies signature, claims and revocation; throws INVALID_TOKEN (401) for any failure. */
    async verify(token: string): Promise<AccessTokenClaims> {
      if (token.length > MAX_TOKEN_LENGTH) throw INVALID_TOKEN;
      const claims = await verifySignature(token);
      const [deniedToken, deniedLogin] = await Promise.all([options.store.get(deniedJtiKey(claims.jti)), options.store.get(deniedSidKey(claims.sid))]);
      if (deniedToken !== undefined || deniedLogin !== undefined) throw INVALID_TOKEN;
      return claims;
    },

    /**
     * Ends a login's access tokens: until the last one it could have issued has expired (its
     * refresh-token family is revoked with it, so no newer one can be issued).
     */
    async revokeSession(sid: string): Promise<void> {
      await options.store.set(deniedSidKey(sid), '1', (options.ttlSeconds + CLOCK_SKEW_SECONDS) * 1000 + 1000);
    },

    /** Denylists one token's jti until it would have expired anyway. */
    async revoke(claims: Pick<AccessTokenClaims, 'jti' | 'exp'>): Promise<void> {
      const ttl = (claims.exp + CLOCK_SKEW_SECONDS) * 1000 - now();
      if (ttl > 0) await options.store.set(deniedJtiKey(claims.jti), '1', ttl);
    },
  };
}

export type AccessTokens = ReturnType<typeof createAccessTokens>;

function toClaims(payload: JWTPayload): AccessTokenClaims {
  const { iss, aud, sub, iat, exp, jti } = payload;
  const clientId = payload.client_id;
  const scope = payload.scope;
  const roles = payload.roles ?? [];
  const { ver, sid } = payload;
  if (!Number.isSafeInteger(ver) || (ver as number) < 0 || typeof sid !== 'string' || sid === '' || sid.length > 64) throw INVALID_TOKEN;
  if (typeof iss !== 'string' || typeof aud !== 'string' || typeof sub !== 'string' || typeof iat !== 'number' || typeof exp !== 'number' || typeof jti !== 'string' || typeof clientId !== 'string' || typeof scope !== 'string' || !Array.isArray(roles) || !roles.every((r) => typeof r === 'string')) {
    throw INVALID_TOKEN;
  }
  return { iss, aud, sub, iat, exp, jti, client_id: clientId, scope, roles, ver: ver as number, sid };
}
