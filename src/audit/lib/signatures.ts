// Text that only leaks out of a server by accident: stack traces, SQL and driver errors, file
// system paths, framework debug pages. Each pattern is specific enough that finding it in an
// answer (after removing what the probe sent) is proof on its own.

export type LeakKind = 'stack-trace' | 'sql-text' | 'file-path' | 'framework-message';

export interface Signature {
  kind: LeakKind;
  name: string;
  pattern: RegExp;
  /** Matches needed (stack frames are counted: one `at x:1:2` can be a coincidence). */
  min?: number;
}

export const SIGNATURES: readonly Signature[] = [
  // Stack traces
  {
    kind: 'stack-trace',
    name: 'JavaScript stack frame',
    pattern: /\bat (?:async )?(?:new )?(?:[\w$.<>[\]#]+(?: \[as [\w$]+\])? )?\(?(?:file:\/\/)?(?:\/[^\s():"'\\]+|[A-Za-z]:\\[^\s():"']+|node:[\w/]+)(?::\d+){2}\)?/g,
    min: 2,
  },
  { kind: 'stack-trace', name: 'Python traceback', pattern: /Traceback \(most recent call last\)/g },
  { kind: 'stack-trace', name: 'Java stack frame', pattern: /\bat (?:[\w$]+\.)+[\w$<>]+\([\w$]+\.java:\d+\)/g },
  { kind: 'stack-trace', name: '.NET stack frame', pattern: /\bat [\w.`<>]+\([^)]*\) in [^\n]+:line \d+/g },
  { kind: 'stack-trace', name: 'PHP stack trace', pattern: /Stack trace:\s*(?:\\n|\n|<br\s*\/?>)?\s*#0 /g },
  { kind: 'stack-trace', name: 'Go panic', pattern: /goroutine \d+ \[running\]:/g },
  { kind: 'stack-trace', name: 'Ruby backtrace', pattern: /[\w/.-]+\.rb:\d+:in `/g },
  // SQL and database drivers
  { kind: 'sql-text', name: 'MySQL syntax error', pattern: /You have an error in your SQL syntax/gi },
  { kind: 'sql-text', name: 'PostgreSQL syntax error', pattern: /(?:syntax error at or near "|unterminated quoted string at or near )/g },
  { kind: 'sql-text', name: 'SQLite error', pattern: /(?:SQLITE_ERROR|ERR_SQLITE_ERROR|SqliteError|sqlite3\.OperationalError|unrecognized token: "|near "[^"\n]{0,80}": syntax error)/g },
  { kind: 'sql-text', name: 'SQLSTATE code', pattern: /\bSQLSTATE\[[\dA-Z]{5}\]/g },
  { kind: 'sql-text', name: 'Oracle error', pattern: /\bORA-\d{5}\b/g },
  { kind: 'sql-text', name: 'SQL Server error', pattern: /(?:Unclosed quotation mark after the character string|Microsoft OLE DB Provider for SQL Server|\[Microsoft\]\[ODBC SQL Server Driver\])/g },
  { kind: 'sql-text', name: 'driver exception', pattern: /(?:PG::[A-Z]\w+Error|psycopg2?\.errors\.|org\.postgresql\.util\.PSQLException|java\.sql\.SQLException|com\.mysql\.jdbc)/g },
  {
    kind: 'sql-text',
    name: 'SQL statement',
    pattern: /\b(?:SELECT\s[^\n"]{1,200}?\sFROM|INSERT\s+INTO|UPDATE\s+\w+\s+SET|DELETE\s+FROM)\s+["`[]?\w+/g,
  },
  // File system paths
  {
    kind: 'file-path',
    name: 'server file path',
    pattern:
      /(?:^|[\s"'(=,])(?:\/(?:home|var|usr|srv|opt|app|root|tmp|etc|Users|workspace|work|build|code|src|mnt|data)(?:\/[\w.@-]+)+|[A-Za-z]:\\(?:[\w.@ -]+\\)+[\w@-]+)\.(?:[cm]?[jt]sx?|py|rb|php|java|go|cs|json|ya?ml|log|sql|db|sqlite3?|conf|ini|env|pem|key|html?|erb|jsp|aspx?)\b/g,
  },
  { kind: 'file-path', name: 'Node file error', pattern: /\bE(?:NOENT|ACCES|ISDIR|NOTDIR|PERM): [^,\n"]+, \w+ '[^']+'/g },
  // Framework debug pages and internal error codes
  { kind: 'framework-message', name: 'Fastify error code', pattern: /\bFST_ERR_[A-Z_]+\b/g },
  { kind: 'framework-message', name: 'Werkzeug debugger', pattern: /Werkzeug Debugger/g },
  { kind: 'framework-message', name: 'Django debug page', pattern: /You(?:'|&#x27;|&#39;)re seeing this error because you have <code>DEBUG = True<\/code>/g },
  { kind: 'framework-message', name: 'Spring whitelabel page', pattern: /Whitelabel Error Page/g },
  { kind: 'framework-message', name: 'ASP.NET error page', pattern: /Server Error in '[^']*' Application/g },
  { kind: 'framework-message', name: 'Rails exception page', pattern: /Action Controller: Exception caught/g },
  { kind: 'framework-message', name: 'Laravel debug page', pattern: /Whoops! There was an error/g },
  { kind: 'framework-message', name: 'PHP error', pattern: /<b>(?:Fatal error|Warning|Parse error|Notice)<\/b>:/g },
];

export interface Leak {
  kind: LeakKind;
  name: string;
  /** The first matching text, for the evidence excerpt. */
  sample: string;
}

/** Every kind of leak in the text (at most one entry per signature). */
export function findLeaks(text: string): Leak[] {
  const out: Leak[] = [];
  for (const signature of SIGNATURES) {
    const matches = [...text.matchAll(signature.pattern)];
    if (matches.length >= (signature.min ?? 1)) {
      out.push({ kind: signature.kind, name: signature.name, sample: matches[0]![0].trim() });
    }
  }
  return out;
}
