// Reading and forging compact JWS tokens for the JWT check. Signing and HMAC come from
// node:crypto; base64url from Buffer. Nothing here verifies a token: the auditor only makes
// tokens and lets the target say whether it accepts them.
import { createHmac } from 'node:crypto';

export type JsonRecord = Record<string, unknown>;

export interface DecodedJwt {
  header: JsonRecord;
  payload: JsonRecord;
  /** The three parts as they came, for re-use of the original signature. */
  parts: [string, string, string];
}

export const HMAC_ALGORITHMS = { HS256: 'sha256', HS384: 'sha384', HS512: 'sha512' } as const;
export type HmacAlgorithm = keyof typeof HMAC_ALGORITHMS;

export function isHmac(alg: unknown): alg is HmacAlgorithm {
  return typeof alg === 'string' && Object.hasOwn(HMAC_ALGORITHMS, alg);
}

/** Asymmetric algorithms: the server signs with a private key and publishes the public one. */
export function isAsymmetric(alg: unknown): boolean {
  return typeof alg === 'string' && /^(?:RS|PS|ES)(?:256|384|512)$|^ES256K$|^EdDSA$|^Ed25519$/.test(alg);
}

export function b64url(value: Buffer | string): string {
  return Buffer.from(value).toString('base64url');
}

function decodeJson(part: string): JsonRecord | undefined {
  try {
    const value: unknown = JSON.parse(Buffer.from(part, 'base64url').toString('utf8'));
    return typeof value === 'object' && value !== null && !Array.isArray(value) ? (value as JsonRecord) : undefined;
  } catch {
    return undefined;
  }
}

/** A compact JWS (three base64url parts, JSON header and payload), else undefined. */
export function decodeJwt(token: string): DecodedJwt | undefined {
  const parts = token.trim().split('.');
  if (parts.length !== 3 || parts.some((p) => !/^[\w-]*$/.test(p))) return undefined;
  const header = decodeJson(parts[0]!);
  const payload = decodeJson(parts[1]!);
  if (header === undefined || payload === undefined || typeof header.alg !== 'string') return undefined;
  return { header, payload, parts: [parts[0]!, parts[1]!, parts[2]!] };
}

/** The signing input and a signature over it made with an HMAC key. */
export function hmacSign(header: JsonRecord, payload: JsonRecord, key: Buffer | string): string {
  const alg = header.alg;
  if (!isHmac(alg)) throw new RangeError(`not an HMAC algorithm: ${String(alg)}`);
  const input = `${b64url(JSON.stringify(header))}.${b64url(JSON.stringify(payload))}`;
  return `${input}.${createHmac(HMAC_ALGORITHMS[alg], key).update(input).digest('base64url')}`;
}

/** The HMAC signature of an existing signing input (for cracking: no re-encoding). */
export function hmacOf(alg: HmacAlgorithm, input: string, key: Buffer | string): Buffer {
  return createHmac(HMAC_ALGORITHMS[alg], key).update(input).digest();
}

/** An unsecured token (`alg` as given, e.g. `none` or `None`) with an empty signature. */
export function unsigned(header: JsonRecord, payload: JsonRecord): string {
  return `${b64url(JSON.stringify(header))}.${b64url(JSON.stringify(payload))}.`;
}

/** The original header and payload with the signature removed. */
export function stripped(token: DecodedJwt): string {
  return `${token.parts[0]}.${token.parts[1]}.`;
}

/** The original token with its signature changed (every byte flipped): a valid length, a wrong value. */
export function alteredSignature(token: DecodedJwt): string {
  const signature = Buffer.from(token.parts[2], 'base64url');
  const altered = signature.length === 0 ? Buffer.from('rampart-probe') : Buffer.from(signature.map((byte) => byte ^ 0xff));
  return `${token.parts[0]}.${token.parts[1]}.${altered.toString('base64url')}`;
}
