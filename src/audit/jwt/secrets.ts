// Offline guessing of a weak HMAC key: the committed word lists (wordlists/jwt-secrets.txt, the
// secrets of guides and framework templates, then wordlists/common-passwords.txt, John the
// Ripper's public-domain list of common passwords), then every numeric secret of 1 to 6 digits.
// No request is sent per guess: each candidate's HMAC of the token's signing input is compared
// with the token's signature.
import { readFileSync } from 'node:fs';
import type { DecodedJwt } from './token.ts';
import { hmacOf, isHmac } from './token.ts';

export const NUMERIC_DIGITS = 6;

/** The lists, most likely first. */
const LISTS = ['jwt-secrets.txt', 'common-passwords.txt'];
/** Words tried at most: the lists may grow, the time an audit spends guessing may not. */
export const MAX_WORDS = 20_000;

let cached: readonly string[] | undefined;

function words(file: string): string[] {
  return readFileSync(new URL(`../../../wordlists/${file}`, import.meta.url), 'utf8')
    .split('\n')
    .map((line) => line.replace(/\r$/, ''))
    .filter((line) => line.trim() !== '' && !line.startsWith('#'));
}

/** The word lists as written (case kept: HMAC keys are case-sensitive), without duplicates, at most MAX_WORDS. */
export function jwtSecretWords(): readonly string[] {
  cached ??= [...new Set(LISTS.flatMap(words))].slice(0, MAX_WORDS);
  return cached;
}

/** Every string of 1 to `digits` decimal digits, shortest first ("0" … "999999"). */
export function* numericSecrets(digits = NUMERIC_DIGITS): Generator<string> {
  for (let length = 1; length <= digits; length++) {
    const count = 10 ** length;
    for (let n = 0; n < count; n++) yield String(n).padStart(length, '0');
  }
}

export interface Cracked {
  secret: string;
  /** Candidates tried, the winner included. */
  tried: number;
}

const YIELD_EVERY = 20_000;

/**
 * The HMAC key of an HS256/384/512 token, if it is in the list or numeric; else undefined.
 * About a million HMACs: it yields to the event loop now and then so that other checks'
 * requests keep flowing.
 */
export async function crackHmacSecret(token: DecodedJwt, extra: readonly string[] = []): Promise<Cracked | undefined> {
  const alg = token.header.alg;
  if (!isHmac(alg)) return undefined;
  const input = `${token.parts[0]}.${token.parts[1]}`;
  const signature = Buffer.from(token.parts[2], 'base64url');
  if (signature.length === 0) return undefined;
  let tried = 0;
  const attempt = (candidate: string): boolean => {
    tried++;
    return hmacOf(alg, input, candidate).equals(signature);
  };
  for (const list of [extra, jwtSecretWords()]) {
    for (const word of list) if (attempt(word)) return { secret: word, tried };
  }
  for (const digits of numericSecrets()) {
    if (attempt(digits)) return { secret: digits, tried };
    if (tried % YIELD_EVERY === 0) await new Promise<void>((resolve) => setImmediate(resolve));
  }
  return undefined;
}
