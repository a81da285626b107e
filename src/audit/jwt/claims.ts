// What a token's payload should never hold: a JWT is only base64, so every client, proxy log and
// browser extension that sees it reads its claims. Secrets (passwords, their hashes, security
// answers, keys) and personal data (emails, phone numbers, addresses, birth dates) are found by
// claim name and by the shape of the value.
import type { UsableResult } from '../http/client.ts';
import { parseSetCookies } from '../lib/cookies.ts';
import { parseJson } from '../lib/links.ts';
import { isObject } from '../spec/refs.ts';
import type { Json } from '../spec/refs.ts';
import type { DecodedJwt } from './token.ts';
import { decodeJwt } from './token.ts';

export interface SensitiveClaim {
  claim: string;
  kind: 'secret' | 'personal';
  /** What it holds, masked for the report. */
  shown: string;
}

const SECRET_NAME =
  /^(?:pass(?:word|wd|phrase)?|pwd|pw|(?:password|pwd|pass)_?hash|hash(?:ed)?_?(?:password|pwd|pass)|secret|client_?secret|api_?key|private_?key|security_?(?:answer|question_answer)|secret_?answer|otp|pin|card_?number|cvv|credit_?card)$/i;
const PERSONAL_NAME = /^(?:e-?mail|email_?address|phone(?:_?number)?|mobile|tel|address|street|postal_?address|birth_?date|date_?of_?birth|dob|ssn|national_?id|passport(?:_?number)?|iban)$/i;
const HASH_VALUE = /^(?:\$2[aby]?\$\d\d\$|\$argon2i?d?\$|\$scrypt\$|scrypt\$|pbkdf2[:$_]|\$pbkdf2|sha(?:256|512)\$|\$[156]\$)/i;
const EMAIL_VALUE = /^[^\s@]{1,64}@[^\s@]+\.[a-z]{2,}$/i;
/** Tokens the audit forged itself carry this in a claim: never judged. */
const PROBE_MARK = 'rampart-probe';

function mask(value: Json): string {
  if (typeof value !== 'string') return typeof value;
  if (EMAIL_VALUE.test(value)) return `${value.slice(0, 1)}…@${value.split('@')[1]!}`;
  const scheme = HASH_VALUE.exec(value)?.[0];
  return `${scheme ?? value.slice(0, 2)}… (${value.length} characters)`;
}

/** The claims of a token payload that hold secrets or personal data. */
export function sensitiveClaims(payload: Record<string, unknown>): SensitiveClaim[] {
  const out: SensitiveClaim[] = [];
  for (const [claim, raw] of Object.entries(payload)) {
    const value = raw as Json;
    if (value === null || value === '' || typeof value === 'boolean') continue;
    const text = typeof value === 'string' ? value : undefined;
    if (SECRET_NAME.test(claim) || (text !== undefined && HASH_VALUE.test(text))) out.push({ claim, kind: 'secret', shown: mask(value) });
    else if (PERSONAL_NAME.test(claim) || (text !== undefined && EMAIL_VALUE.test(text))) out.push({ claim, kind: 'personal', shown: mask(value) });
  }
  return out;
}

function forgedByTheAudit(token: DecodedJwt): boolean {
  return JSON.stringify(token.payload).includes(PROBE_MARK) || 'rampart_probe' in token.payload;
}

function jwtsIn(text: string): string[] {
  return text.match(/eyJ[\w-]{4,}\.eyJ[\w-]{4,}\.[\w-]*/g) ?? [];
}

function stringsOf(value: Json, out: string[], depth = 0): void {
  if (depth > 8) return;
  if (typeof value === 'string') out.push(value);
  else if (Array.isArray(value)) for (const item of value.slice(0, 100)) stringsOf(item, out, depth + 1);
  else if (isObject(value)) for (const item of Object.values(value)) stringsOf(item, out, depth + 1);
}

export interface SeenToken {
  token: DecodedJwt;
  /** Where it travelled: `issued` in an answer (body, Set-Cookie, a header), or `sent` as a credential. */
  how: 'issued' | 'sent';
  where: string;
}

/** Every JWT an exchange carries: handed out by the answer, or sent by the request as a credential. */
export function tokensIn(result: UsableResult): SeenToken[] {
  const out: SeenToken[] = [];
  const add = (raw: string, how: SeenToken['how'], where: string): void => {
    const token = decodeJwt(raw);
    if (token !== undefined && !forgedByTheAudit(token)) out.push({ token, how, where });
  };
  const json = parseJson(result.response.text);
  if (json !== undefined) {
    const strings: string[] = [];
    stringsOf(json, strings);
    for (const value of strings) if (value.startsWith('eyJ')) add(value, 'issued', 'the answer body');
  }
  for (const cookie of parseSetCookies(result.response.headers['set-cookie'])) add(cookie.value.replace(/^"|"$/g, ''), 'issued', `the cookie ${cookie.name}`);
  for (const [name, value] of Object.entries(result.response.headers)) {
    if (name !== 'set-cookie') for (const raw of jwtsIn(value)) add(raw, 'issued', `the answer header ${name}`);
  }
  for (const [name, value] of Object.entries(result.request.headers)) for (const raw of jwtsIn(value)) add(raw, 'sent', `the request header ${name}`);
  return out;
}
