// NIST SP 800-63B-4 password policy for a single-factor password: length in characters, any
// characters, no composition rules, and a check against guessable choices (zxcvbn's offline
// dictionaries and patterns, plus the user's own username and email).
import { ZxcvbnFactory } from '@zxcvbn-ts/core';
import * as zxcvbnCommon from '@zxcvbn-ts/language-common';
import * as zxcvbnEn from '@zxcvbn-ts/language-en';
import { isCommonPassword } from './common.ts';
import { codePointLength, MAX_PASSWORD_INPUT_UNITS } from './normalize.ts';

export const PASSWORD_MIN_LENGTH = 15;
export const PASSWORD_MAX_LENGTH = 128;

/** zxcvbn scores 0-4; 3 means about 10^8 guesses or more ("safely unguessable" online). */
const MIN_ZXCVBN_SCORE = 3;
/** Identifiers shorter than this are not searched for inside the password (too many false hits). */
const MIN_IDENTIFIER_LENGTH = 3;

export interface PolicyResult {
  ok: boolean;
  /** User-facing, each completing "The password …"; they never echo the password. */
  reasons: string[];
}

export interface PolicyContext {
  username: string;
  email?: string | null;
}

export function checkPasswordPolicy(password: string, context: PolicyContext): PolicyResult {
  if (typeof password !== 'string') return rejected(['must be text']);
  // Bounds the cost of normalising before it happens; see MAX_PASSWORD_INPUT_UNITS.
  if (password.length > MAX_PASSWORD_INPUT_UNITS) return rejected([TOO_LONG]);
  if (!password.isWellFormed()) return rejected(['contains text that is not valid Unicode (a lone surrogate)']);

  // What the policy judges: NFKC without default-ignorable code points (zero-width joiners,
  // variation selectors, soft hyphens…), which change nothing a person or a guesser sees, so
  // `ad\u200Dmin` contains the name admin and is as weak as it looks. (The hash keeps them.)
  const normalized = password.normalize('NFKC').replace(DEFAULT_IGNORABLE, '');
  // Two UTF-16 units per code point at most: a longer string is over the limit without counting.
  const length = normalized.length > 2 * PASSWORD_MAX_LENGTH ? Infinity : codePointLength(normalized);
  // Never hand zxcvbn more than the policy's maximum: its cost grows quickly with length.
  if (length > PASSWORD_MAX_LENGTH) return rejected([TOO_LONG]);

  const reasons: string[] = [];
  if (length < PASSWORD_MIN_LENGTH) reasons.push(`is too short: use at least ${PASSWORD_MIN_LENGTH} characters`);

  const folded = normalized.toLowerCase();
  const { username, email, emailLocal } = identifiers(context);
  if (isCommonPassword(folded)) reasons.push('is on a list of commonly used or published passwords');
  if (username !== undefined && folded.includes(username)) reasons.push('must not contain your username');
  if (email !== undefined && folded.includes(email)) reasons.push('must not contain your email address');
  else if (emailLocal !== undefined && folded.includes(emailLocal)) reasons.push('must not contain the part of your email address before the @');

  const userInputs = [username, email, emailLocal].filter((input): input is string => input !== undefined);
  const strength = zxcvbn().check(normalized, userInputs);
  if (strength.score < MIN_ZXCVBN_SCORE) reasons.push(weakness(strength.feedback));

  return reasons.length === 0 ? { ok: true, reasons } : rejected(reasons);
}

const TOO_LONG = `is too long: use at most ${PASSWORD_MAX_LENGTH} characters`;

function rejected(reasons: string[]): PolicyResult {
  return { ok: false, reasons };
}

const DEFAULT_IGNORABLE = /\p{Default_Ignorable_Code_Point}/gu;

function fold(text: string): string {
  return text.normalize('NFKC').replace(DEFAULT_IGNORABLE, '').trim().toLowerCase();
}

function identifiers(context: PolicyContext): { username?: string; email?: string; emailLocal?: string } {
  const long = (text: string): string | undefined => (codePointLength(text) >= MIN_IDENTIFIER_LENGTH ? text : undefined);
  const username = typeof context.username === 'string' ? long(fold(context.username)) : undefined;
  if (typeof context.email !== 'string') return { username };
  const email = fold(context.email);
  const at = email.lastIndexOf('@');
  return { username, email: long(email), emailLocal: at > 0 ? long(email.slice(0, at)) : undefined };
}

/** zxcvbn's own words (fixed strings from its translations, never the password) say why. */
function weakness(feedback: { warning: string | null; suggestions: string[] }): string {
  const advice = [feedback.warning, ...feedback.suggestions].filter((text): text is string => typeof text === 'string' && text !== '');
  const why = advice.length > 0 ? advice.join(' ') : 'Add more words or characters that are less common.';
  // Reasons are fragments that the caller may end with its own full stop.
  return `is too easy to guess: ${why.replace(/\.$/, '')}`;
}

/**
 * zxcvbn scores only the first ZXCVBN_MAX_LENGTH UTF-16 units, and tries few l33t
 * substitutions: with its defaults one random 128-character password took 0.6-1.6 s of event
 * loop on our 2-core machine, while these settings keep the worst case we measured under 50 ms
 * and judge the same l33t-spelled common passwords weak. A prefix that scores well makes the
 * whole password at least as strong; a weak prefix rejects it (the conservative side).
 */
const ZXCVBN_MAX_LENGTH = 64;
const ZXCVBN_L33T_MAX_SUBSTITUTIONS = 5;

let factory: ZxcvbnFactory | undefined;

/** Built on first use (about 100 ms to rank the dictionaries); offline only, no pwned matcher. */
function zxcvbn(): ZxcvbnFactory {
  factory ??= new ZxcvbnFactory({
    dictionary: { ...zxcvbnCommon.dictionary, ...zxcvbnEn.dictionary },
    graphs: zxcvbnCommon.adjacencyGraphs,
    translations: zxcvbnEn.translations,
    maxLength: ZXCVBN_MAX_LENGTH,
    l33tMaxSubstitutions: ZXCVBN_L33T_MAX_SUBSTITUTIONS,
  });
  return factory;
}
