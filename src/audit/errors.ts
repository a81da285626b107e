// One error class for everything that stops an audit before it can report. Each carries a
// code (tests assert on it) and the exit status the command uses. Messages say what to do;
// they never carry a stack trace, a secret or a response body.

export type AuditErrorCode =
  | 'USAGE'
  | 'CONFIG_INVALID'
  | 'SPEC_UNREADABLE'
  | 'SPEC_INVALID'
  | 'TARGET_INVALID'
  | 'TARGET_UNREACHABLE'
  | 'OUTPUT_UNWRITABLE'
  | 'IDENTITY_FAILED';

export class AuditError extends Error {
  readonly code: AuditErrorCode;
  /** Every AuditError is a usage or connection problem: exit status 2. */
  readonly exitCode = 2;

  constructor(code: AuditErrorCode, message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'AuditError';
    this.code = code;
  }
}

/** Levenshtein distance, for "did you mean" hints in usage errors. */
function distance(a: string, b: string): number {
  const previous = Array.from({ length: b.length + 1 }, (_, i) => i);
  for (let i = 1; i <= a.length; i++) {
    let diagonal = previous[0]!;
    previous[0] = i;
    for (let j = 1; j <= b.length; j++) {
      const above = previous[j]!;
      previous[j] = Math.min(above + 1, previous[j - 1]! + 1, diagonal + (a[i - 1] === b[j - 1] ? 0 : 1));
      diagonal = above;
    }
  }
  return previous[b.length]!;
}

/** ` Did you mean \`x\`?` when a known name is close to the given one, else ''. */
export function didYouMean(given: string, known: readonly string[]): string {
  let best: string | undefined;
  let bestDistance = Infinity;
  for (const name of known) {
    const d = distance(given.toLowerCase(), name.toLowerCase());
    if (d < bestDistance) {
      best = name;
      bestDistance = d;
    }
  }
  return best !== undefined && bestDistance <= Math.max(2, Math.floor(given.length / 3))
    ? ` Did you mean \`${best}\`?`
    : '';
}

/** The `code` of a system error (ENOENT, ECONNREFUSED...), if it has a string one. */
export function errorCode(error: unknown): string | undefined {
  const code = (error as { code?: unknown } | null)?.code;
  return typeof code === 'string' ? code : undefined;
}
