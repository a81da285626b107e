// The one form of a user name that registration stores, logins look up, the login throttle
// counts against and security events record: RFC 8265's UsernameCaseMapped profile.
//
// Its rules, in order (§3.3): width mapping (fullwidth and halfwidth forms to their
// decomposition), no additional mapping, case mapping (toLowerCase), NFC, then the identifier
// must be allowed. Where we differ, and why:
// - Allowed names are narrower than PRECIS's IdentifierClass: a-z, 0-9 and . _ - (not first),
//   3 to 64 characters. Letters from other scripts are refused rather than compared, so no two
//   accounts can have names that only look alike, and the bidi rule has nothing to judge.
// - Nothing is trimmed: like the RFC, a space (or a tab, or a zero-width character) is simply
//   not allowed in a name, so `"bob "` names no account at all — it is neither bob nor a way
//   around bob's lock. Clients that want to forgive stray spaces trim before sending.
// Because mapping runs before validation for every caller, two inputs reach the same account
// exactly when their canonical forms are equal, and the throttle keys on that same form.

export const USERNAME_PATTERN = /^[a-z0-9][a-z0-9._-]{2,63}$/;

/** Fullwidth ASCII variants, the ideographic space and the halfwidth forms block (RFC 8265 §3.3.1). */
const WIDE_OR_NARROW = /[\u3000\uFF01-\uFFEF]/gu;

/** The canonical form of any text (it may still not be an allowed name; see `validUsername`). */
export function canonicalUsername(input: string): string {
  return input.replace(WIDE_OR_NARROW, (char) => char.normalize('NFKC')).toLowerCase().normalize('NFC');
}

/** The canonical form when it is an allowed name, else undefined (it reaches no account). */
export function validUsername(input: unknown): string | undefined {
  if (typeof input !== 'string' || input.length > 256) return undefined;
  const canonical = canonicalUsername(input);
  return USERNAME_PATTERN.test(canonical) ? canonical : undefined;
}
