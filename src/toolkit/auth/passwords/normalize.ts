// One normal form for every password, so the same characters typed from another keyboard,
// input method or platform (fullwidth letters, the "ﬁ" ligature, precomposed vs combining
// accents) hash, verify and are judged alike (NIST SP 800-63B-4 §3.1.1.2: NFKC or NFKD).

/**
 * The most UTF-16 code units accepted before normalising. NFKC composition shrinks a string
 * by at most about 4:1 in code points (Hangul jamo, stacked Greek accents), so eight units per
 * allowed code point never refuses a password the policy would accept, while bounding the work
 * that normalising, hashing and judging an attacker's megabyte "password" would cost.
 */
export const MAX_PASSWORD_INPUT_UNITS = 1024;

/** The NFKC form, or undefined for input that is not text, is too long, or has lone surrogates. */
export function normalizePassword(raw: unknown): string | undefined {
  if (typeof raw !== 'string' || raw.length > MAX_PASSWORD_INPUT_UNITS || !raw.isWellFormed()) return undefined;
  return raw.normalize('NFKC');
}

/** Unicode code points, not UTF-16 units: an emoji is one character, as the user sees it. */
export function codePointLength(text: string): number {
  let count = 0;
  for (let i = 0; i < text.length; i++) {
    const unit = text.charCodeAt(i);
    if (unit >= 0xd800 && unit <= 0xdbff && i + 1 < text.length) {
      const next = text.charCodeAt(i + 1);
      if (next >= 0xdc00 && next <= 0xdfff) i++;
    }
    count++;
  }
  return count;
}
