// The target's published signing keys (JWKS), found at the usual same-origin paths, and the
// forms of a public key a confused server might use as an HMAC secret.
import { createPublicKey } from 'node:crypto';
import type { JsonWebKey } from 'node:crypto';
import type { HttpRequestSpec, HttpResult } from '../http/client.ts';
import { usable } from '../http/client.ts';
import { parseJson } from '../lib/links.ts';
import { isObject } from '../spec/refs.ts';
import type { Target } from '../target.ts';

const JWKS_PATHS = ['/.well-known/jwks.json', '/jwks.json', '/.well-known/keys', '/oauth/jwks', '/auth/jwks', '/keys'];
const DISCOVERY_PATH = '/.well-known/openid-configuration';

export interface PublishedKey {
  kid?: string;
  jwk: JsonWebKey;
  /** Where it was found. */
  source: string;
}

type Send = (request: HttpRequestSpec) => Promise<HttpResult>;

function keysOf(text: string, source: string): PublishedKey[] {
  const json = parseJson(text);
  if (!isObject(json) || !Array.isArray(json.keys)) return [];
  const out: PublishedKey[] = [];
  for (const key of json.keys) {
    if (!isObject(key) || typeof key.kty !== 'string' || key.d !== undefined) continue;
    out.push({ jwk: key, source, ...(typeof key.kid === 'string' ? { kid: key.kid } : {}) });
  }
  return out;
}

/** The first JWKS found under the target (its prefix, then its origin root); same origin only. */
export async function findJwks(target: Target, send: Send): Promise<PublishedKey[]> {
  const candidates = new Map<string, URL>();
  for (const path of [DISCOVERY_PATH, ...JWKS_PATHS]) {
    const underPrefix = target.url(path);
    candidates.set(underPrefix.href, underPrefix);
    const atRoot = new URL(path, target.origin);
    candidates.set(atRoot.href, atRoot);
  }
  for (const url of candidates.values()) {
    const result = await send({ method: 'GET', url, purpose: 'look for the published signing keys (JWKS)' });
    if (!usable(result) || result.response.status !== 200) continue;
    if (url.pathname.endsWith(DISCOVERY_PATH)) {
      const json = parseJson(result.response.text);
      const jwksUri = isObject(json) && typeof json.jwks_uri === 'string' ? json.jwks_uri : undefined;
      if (jwksUri === undefined) continue;
      let next: URL;
      try {
        next = new URL(jwksUri, url);
      } catch {
        continue;
      }
      if (next.origin !== target.origin) continue; // never fetch keys from another host
      const keys = await send({ method: 'GET', url: next, purpose: 'read the JWKS named by the discovery document' });
      if (usable(keys) && keys.response.status === 200) {
        const found = keysOf(keys.response.text, next.href);
        if (found.length > 0) return found;
      }
      continue;
    }
    const found = keysOf(result.response.text, url.href);
    if (found.length > 0) return found;
  }
  return [];
}

/** Byte strings a server confusing HS256 with its public key could use as the HMAC secret. */
export function publicKeyForms(key: PublishedKey): { label: string; secret: Buffer }[] {
  let object;
  try {
    object = createPublicKey({ key: key.jwk, format: 'jwk' });
  } catch {
    return [];
  }
  const spki = object.export({ type: 'spki', format: 'pem' }).toString();
  const forms = [
    { label: 'the public key as PEM (SPKI)', secret: Buffer.from(spki) },
    { label: 'the public key as PEM without its final newline', secret: Buffer.from(spki.trimEnd()) },
  ];
  if (object.asymmetricKeyType === 'rsa') {
    forms.push({ label: 'the public key as PEM (PKCS#1)', secret: Buffer.from(object.export({ type: 'pkcs1', format: 'pem' }).toString()) });
  }
  forms.push({ label: 'the public key as DER', secret: object.export({ type: 'spki', format: 'der' }) });
  return forms;
}
