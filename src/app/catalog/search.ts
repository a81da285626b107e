// Name search as literal text. Names and search text are folded the same way by the
// application (NFKC, then lower case), so matching does not depend on the database's lower()
// or collation. The text is bound, never spliced into SQL, and `\`, `%` and `_` are escaped
// so they match themselves under `LIKE … ESCAPE '\'` on SQLite and PostgreSQL alike.

export function foldName(text: string): string {
  return text.normalize('NFKC').toLowerCase();
}

/** A LIKE pattern matching names that contain `text` literally. */
export function containsPattern(text: string): string {
  return `%${foldName(text).replace(/[\\%_]/g, (c) => `\\${c}`)}%`;
}
