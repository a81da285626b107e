// Bearer tokens for the authenticated rows: one Ed25519 key and one EdDSA-signed JWT for
// each of 1,000 distinct users, as real traffic carries. The harness writes them to a
// temporary directory: the public key (SPKI PEM) for the servers, one token per line for
// wrk's token-cycling script (bench/lua/tokens.lua).
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { exportSPKI, generateKeyPair, SignJWT } from 'jose';
import { REQUIRED_ROLE, TOKEN_AUDIENCE, TOKEN_ISSUER } from './servers/common.ts';

export interface TokenFiles {
  publicKeyFile: string;
  tokensFile: string;
  count: number;
}

export async function writeTokens(dir: string, count = 1000, lifetimeSeconds = 4 * 3600): Promise<TokenFiles> {
  const { publicKey, privateKey } = await generateKeyPair('EdDSA', { crv: 'Ed25519' });
  const now = Math.floor(Date.now() / 1000);
  const tokens: string[] = [];
  for (let i = 1; i <= count; i++) {
    tokens.push(
      await new SignJWT({ roles: [REQUIRED_ROLE] })
        .setProtectedHeader({ alg: 'EdDSA', typ: 'JWT' })
        .setSubject(`user-${String(i).padStart(4, '0')}`)
        .setIssuer(TOKEN_ISSUER)
        .setAudience(TOKEN_AUDIENCE)
        .setIssuedAt(now)
        .setExpirationTime(now + lifetimeSeconds)
        .sign(privateKey),
    );
  }
  const publicKeyFile = join(dir, 'public-key.pem');
  const tokensFile = join(dir, 'tokens.txt');
  await writeFile(publicKeyFile, await exportSPKI(publicKey), { mode: 0o600 });
  await writeFile(tokensFile, `${tokens.join('\n')}\n`, { mode: 0o600 });
  return { publicKeyFile, tokensFile, count };
}
