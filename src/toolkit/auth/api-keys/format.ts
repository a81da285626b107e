// The text of an API key, in the style of GitHub's and Stripe's tokens:
//
//   rmp_<id><secret><checksum>  — written  rmp_ + 12 + "_" + 43 + 6 characters, 66 in all:
//   rmp_Xk3p9QaZ0bLm_<43 base62 secret characters><6 base62 checksum characters>
//
// - `rmp_`: a fixed prefix, so secret scanners (and our own query-string guard) recognise a
//   leaked key. The separators `_` are not in the alphabet, so a double click selects it all.
// - id: 12 random base62 characters (~71 bits). Public: the indexed database lookup and the
//   id users see in listings and events. It says nothing about the secret.
// - secret: 43 random base62 characters, 256 bits (62^43 > 2^256), drawn without modulo bias.
// - checksum: CRC-32 (zlib) of everything before it, as 6 base62 digits (62^6 > 2^32),
//   left-padded with `0`. Not a security control — anyone can compute it — but it rejects
//   typos and random strings before any database work, and lets scanners drop false hits.
//   CRC-32 catches every single-character change and every adjacent transposition.
//
// Parsing is strict — exact length, alphabet and checksum — and happens before any lookup.
import { randomBytes } from 'node:crypto';
import { crc32 } from 'node:zlib';

export const API_KEY_PREFIX = 'rmp_';
export const API_KEY_LENGTH = 66;
const ALPHABET = '0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz';
const ID_LENGTH = 12;
const SECRET_LENGTH = 43;
const CHECKSUM_LENGTH = 6;

/** A whole API key, anchored. For secret scanners: `rmp_[0-9A-Za-z]{12}_[0-9A-Za-z]{49}`. */
export const API_KEY_PATTERN = /^rmp_[0-9A-Za-z]{12}_[0-9A-Za-z]{49}$/;
/** An API key anywhere inside a text (logs, URLs, files). */
export const API_KEY_SEARCH_PATTERN = /rmp_[0-9A-Za-z]{12}_[0-9A-Za-z]{49}(?![0-9A-Za-z])/;
/** The public key id alone, as it appears in URLs such as DELETE /v1/api-keys/:id. */
export const API_KEY_ID_PATTERN = /^[0-9A-Za-z]{12}$/;

/** `length` uniformly random base62 characters (bytes ≥ 248 are dropped: no modulo bias). */
export function randomBase62(length: number): string {
  let out = '';
  while (out.length < length) {
    for (const byte of randomBytes(length + 8)) {
      if (byte >= 248) continue;
      out += ALPHABET[byte % 62]!;
      if (out.length === length) break;
    }
  }
  return out;
}

function checksum(body: string): string {
  let value = crc32(body);
  let out = '';
  for (let i = 0; i < CHECKSUM_LENGTH; i++) {
    out = ALPHABET[value % 62]! + out;
    value = Math.floor(value / 62);
  }
  return out;
}

/** A new key; the caller stores only a keyed hash of `key` and shows `key` once. */
export function generateApiKey(): { id: string; key: string } {
  const id = randomBase62(ID_LENGTH);
  const body = `${API_KEY_PREFIX}${id}_${randomBase62(SECRET_LENGTH)}`;
  return { id, key: body + checksum(body) };
}

/** The key id when `text` is a well-formed key with a valid checksum; undefined otherwise. */
export function parseApiKey(text: string): { id: string } | undefined {
  if (text.length !== API_KEY_LENGTH || !API_KEY_PATTERN.test(text)) return undefined;
  const split = API_KEY_LENGTH - CHECKSUM_LENGTH;
  if (checksum(text.slice(0, split)) !== text.slice(split)) return undefined;
  return { id: text.slice(API_KEY_PREFIX.length, API_KEY_PREFIX.length + ID_LENGTH) };
}
