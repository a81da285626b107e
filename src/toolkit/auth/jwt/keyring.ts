// Signing keys for access tokens, kept in the database with the private half sealed under a
// key derived from RAMPART_SECRET_KEY. The newest key signs; retired keys keep verifying
// until the last token they signed has expired, then disappear from the JWKS and the
// verifier. Other instances pick up keys rotated elsewhere on a kid miss (rate-limited).
import { randomBytes, randomUUID } from 'node:crypto';
import { exportJWK, generateKeyPair, importJWK, type CryptoKey, type JWK } from 'jose';
import type { Kysely } from 'kysely';
import { deriveKey } from '../../crypto/derive.ts';
import { seal } from '../../crypto/seal.ts';
import { unsealStoredKey } from '../../crypto/secret-mismatch.ts';
import type { IdentityTables, SigningKeysTable } from '../schema.ts';

export type SigningAlgorithm = 'EdDSA' | 'HS256';

export interface SigningKey {
  kid: string;
  alg: SigningAlgorithm;
  /** Signs (private key or HMAC secret). */
  signingKey: CryptoKey | Uint8Array;
  /** Verifies (public key or HMAC secret). */
  verificationKey: CryptoKey | Uint8Array;
  publicJwk: JWK | undefined;
  createdAt: number;
  retiredAt: number | null;
}

export interface KeyringOptions {
  db: Kysely<IdentityTables>;
  rootSecret: Uint8Array;
  alg: SigningAlgorithm;
  /** A retired key verifies for this long after retirement (token lifetime plus clock skew). */
  verifyGraceMs: number;
  now?: () => number;
}

export interface Keyring {
  current(): SigningKey;
  /** The key for a kid, if it may still verify. Reloads from the database on a miss (at most once every 5 s). */
  find(kid: string): Promise<SigningKey | undefined>;
  jwks(): { keys: JWK[] };
  /** Makes a new signing key and retires the current one. */
  rotate(): Promise<SigningKey>;
}

const RELOAD_MIN_INTERVAL_MS = 5000;

export async function openKeyring(options: KeyringOptions): Promise<Keyring> {
  const now = options.now ?? Date.now;
  const sealKey = deriveKey(options.rootSecret, 'signing-keys');
  let keys: SigningKey[] = [];
  let lastLoad = 0;

  async function load(): Promise<void> {
    const rows = await options.db.selectFrom('signing_keys').selectAll().where('alg', '=', options.alg).orderBy('created_at', 'desc').execute();
    keys = await Promise.all(rows.map((row) => toKey(row, sealKey)));
    lastLoad = now();
  }

  async function create(): Promise<SigningKey> {
    const kid = randomUUID();
    const createdAt = now();
    let secret: Uint8Array;
    let publicJwk: JWK | undefined;
    if (options.alg === 'EdDSA') {
      const pair = await generateKeyPair('EdDSA', { crv: 'Ed25519', extractable: true });
      secret = Buffer.from(JSON.stringify(await exportJWK(pair.privateKey)));
      publicJwk = { ...(await exportJWK(pair.publicKey)), kid, alg: 'EdDSA', use: 'sig' };
    } else {
      secret = randomBytes(32);
    }
    await options.db.transaction().execute(async (trx) => {
      await trx.updateTable('signing_keys').set({ retired_at: createdAt }).where('alg', '=', options.alg).where('retired_at', 'is', null).execute();
      await trx
        .insertInto('signing_keys')
        .values({ kid, alg: options.alg, public_jwk: JSON.stringify(publicJwk ?? {}), private_key_enc: seal(sealKey, secret, kid), created_at: createdAt, retired_at: null })
        .execute();
    });
    await load();
    return keys[0]!;
  }

  await load();
  if (!keys.some((key) => key.retiredAt === null)) await create();

  const usable = (key: SigningKey): boolean => key.retiredAt === null || now() < key.retiredAt + options.verifyGraceMs;

  return {
    current() {
      const key = keys.find((k) => k.retiredAt === null);
      if (!key) throw new Error('no signing key');
      return key;
    },
    async find(kid) {
      let key = keys.find((k) => k.kid === kid);
      if (key === undefined && now() - lastLoad > RELOAD_MIN_INTERVAL_MS) {
        await load();
        key = keys.find((k) => k.kid === kid);
      }
      return key !== undefined && usable(key) ? key : undefined;
    },
    jwks() {
      return { keys: keys.filter((k) => k.publicJwk !== undefined && usable(k)).map((k) => k.publicJwk!) };
    },
    rotate: create,
  };
}

async function toKey(row: SigningKeysTable, sealKey: Buffer): Promise<SigningKey> {
  const secret = unsealStoredKey(sealKey, row.private_key_enc, row.kid, 'access-token signing keys');
  const alg = row.alg as SigningAlgorithm;
  if (alg === 'HS256') {
    return { kid: row.kid, alg, signingKey: secret, verificationKey: secret, publicJwk: undefined, createdAt: row.created_at, retiredAt: row.retired_at === null ? null : row.retired_at };
  }
  const publicJwk = JSON.parse(row.public_jwk) as JWK;
  return {
    kid: row.kid,
    alg,
    signingKey: (await importJWK(JSON.parse(secret.toString('utf8')) as JWK, 'EdDSA')) as CryptoKey,
    verificationKey: (await importJWK(publicJwk, 'EdDSA')) as CryptoKey,
    publicJwk,
    createdAt: row.created_at,
    retiredAt: row.retired_at === null ? null : row.retired_at,
  };
}
