// Text that only leaks out of a server by accident: stack traces, SQL and driver errors, file
// system paths, framework debug pages. Each pattern is specific enough that finding it in an
// answer (after removing what the probe sent) is proof on its own.

export type LeakKind = 'stack-trace' | 'sql-text' | 'file-path' | 'framework-message' | 'debug-page';

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
  // Internal error codes and framework pages that name the framework without being a debugger
  { kind: 'framework-message', name: 'Fastify error code', pattern: /\bFST_ERR_[A-Z_]+\b/g },
  { kind: 'framework-message', name: 'Spring whitelabel page', pattern: /Whitelabel Error Page/g },
  { kind: 'framework-message', name: 'PHP error', pattern: /<b>(?:Fatal error|Warning|Parse error|Notice)<\/b>:/g },
  // Framework debug pages: development error pages with the traceback, source lines, settings or
  // the request's environment. Shapes taken from the frameworks' own templates (Werkzeug 2.2 and
  // Starlette 0.26 as Debian ships them, Express's finalhandler 2.1, and the Django, Rails,
  // Laravel, Symfony and ASP.NET templates across versions); test/audit/checks/debug-pages.test.ts
  // renders the installed ones for real.
  { kind: 'debug-page', name: 'Werkzeug debugger', pattern: /\/\/ Werkzeug Debugger<\/title>|The debugger caught an exception in your WSGI application/g },
  { kind: 'debug-page', name: 'Starlette debugger', pattern: /<title>Starlette Debugger<\/title>/g },
  {
    kind: 'debug-page',
    name: 'Django debug page',
    pattern: /You(?:'|\u2019|&#x27;|&#39;|&rsquo;)re seeing this error because you have <code>DEBUG = True<\/code>/g,
  },
  { kind: 'debug-page', name: 'Rails exception page', pattern: /<title>Action Controller: Exception caught<\/title>/g },
  { kind: 'debug-page', name: 'Laravel debug page', pattern: /Whoops! There was an error|window\.ignite\(window\.data\)/g },
  { kind: 'debug-page', name: 'Symfony exception page', pattern: /<div class="exception-message-wrapper">|<div class="sf-reset">/g },
  { kind: 'debug-page', name: 'ASP.NET error page', pattern: /Server Error in '[^']*' Application|<h1>An unhandled exception occurred while processing the request\.<\/h1>/g },
  // Express (finalhandler) outside production: the error's stack in a bare <pre>, lines joined by <br>.
  {
    kind: 'debug-page',
    name: 'Express development error page',
    pattern: /<title>Error<\/title>\s*<\/head>\s*<body>\s*<pre>[^<]*(?:Error|Exception)\b[^<]*<br>(?:\s|&nbsp;)+at [^<]+:\d+:\d+\)?<br>/g,
  },
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

/**
 * What JWT and authentication libraries say when they refuse a token: their exception names and
 * their own wording. Echoed to a client, they tell an attacker which library checks the token and
 * which step failed (segments, padding, signature, algorithm, expiry). A plain "invalid token"
 * is not here: only text that a library, not the application, wrote.
 */
export const AUTH_LIBRARY_MESSAGES: readonly { name: string; pattern: RegExp }[] = [
  {
    name: 'PyJWT / python-jose exception',
    pattern: /\b(?:DecodeError|InvalidSignatureError|ExpiredSignatureError|InvalidTokenError|ImmatureSignatureError|InvalidAudienceError|InvalidIssuerError|InvalidAlgorithmError|InvalidKeyError|MissingRequiredClaimError|JWTError|JWSError)\b\s*[:(]|Not enough segments|Invalid header padding|Invalid crypto padding|The specified alg value is not allowed/,
  },
  {
    name: 'jsonwebtoken (Node) error',
    pattern: /\b(?:JsonWebTokenError|TokenExpiredError|NotBeforeError)\b|\bjwt (?:malformed|signature is required|audience invalid|issuer invalid|must be provided|expired|not active)\b|secret or public key must be provided/,
  },
  {
    name: 'jose (Node) error',
    pattern: /\b(?:JWSSignatureVerificationFailed|JWSInvalid|JWTExpired|JWTClaimValidationFailed|JWTInvalid|JWKSNoMatchingKey|ERR_JW[STKE]_[A-Z_]+)\b|"exp" claim timestamp check failed|Invalid Compact JWS/,
  },
  { name: 'signature check message', pattern: /signature verification (?:failed|raised)/i },
  {
    name: 'Java JWT library exception',
    pattern: /io\.jsonwebtoken\.|com\.auth0\.jwt\.exceptions|JWT signature does not match locally computed signature|The Token's Signature resulted invalid|com\.nimbusds\.jose\./,
  },
  { name: '.NET token validation error', pattern: /\bIDX1\d{4}\b|SecurityToken(?:InvalidSignature|Expired|InvalidAudience|InvalidIssuer|Malformed)Exception/ },
  { name: 'Go JWT library error', pattern: /token contains an invalid number of segments|token signature is invalid|token is malformed: / },
  { name: 'Ruby JWT exception', pattern: /JWT::(?:DecodeError|VerificationError|ExpiredSignature|IncorrectAlgorithm|ImmatureSignature)/ },
  { name: 'PHP JWT exception', pattern: /Wrong number of segments|Firebase\\JWT\\|SignatureInvalidException|BeforeValidException/ },
];

/** The first authentication-library message in the text, if any. */
export function findAuthLibraryMessage(text: string): { name: string; sample: string } | undefined {
  for (const { name, pattern } of AUTH_LIBRARY_MESSAGES) {
    const match = pattern.exec(text);
    if (match !== null) return { name, sample: lineAround(text, match.index) };
  }
  return undefined;
}

function lineAround(text: string, index: number): string {
  const start = Math.max(0, text.lastIndexOf('\n', index) + 1, index - 80);
  const end = text.indexOf('\n', index);
  return text.slice(start, Math.min(end === -1 ? text.length : end, index + 120)).trim();
}

/**
 * Secrets whose shape alone says what they are: private keys and the credential formats of
 * common providers. The documentation's own examples (AWS's `…EXAMPLE` key) are not secrets.
 */
export const SECRET_SIGNATURES: readonly { name: string; pattern: RegExp }[] = [
  { name: 'PEM private key', pattern: /-----BEGIN (?:RSA |EC |DSA |OPENSSH |ENCRYPTED )?PRIVATE KEY-----/ },
  { name: 'AWS access key id', pattern: /\b(?:AKIA|ASIA)[0-9A-Z]{16}\b/ },
  { name: 'GitHub token', pattern: /\bgh[pousr]_[A-Za-z0-9]{36,}\b/ },
  { name: 'Slack token', pattern: /\bxox[abpr]-[A-Za-z0-9-]{10,}\b/ },
  { name: 'Stripe secret key', pattern: /\b(?:sk|rk)_live_[A-Za-z0-9]{16,}\b/ },
  { name: 'Google API key', pattern: /\bAIza[0-9A-Za-z_-]{35}\b/ },
];

/** Every kind of secret in the text (the first match of each), documentation examples left out. */
export function findSecretText(text: string): { name: string; sample: string }[] {
  const out: { name: string; sample: string }[] = [];
  for (const { name, pattern } of SECRET_SIGNATURES) {
    const match = pattern.exec(text);
    if (match !== null && !/EXAMPLE/.test(match[0])) out.push({ name, sample: match[0] });
  }
  return out;
}

/** The full values of every secret in the text (a PEM block to its end), for masking. */
export function secretValues(text: string): string[] {
  const out: string[] = [];
  for (const match of text.matchAll(/-----BEGIN [A-Z ]*PRIVATE KEY-----([\s\S]*?)-----END [A-Z ]*PRIVATE KEY-----/g)) {
    // The block, and each of its lines (an excerpt may hold only some of them).
    out.push(match[0], ...(match[1] ?? '').split(/\\n|\s+/).filter((line) => line.length >= 8));
  }
  for (const { pattern } of SECRET_SIGNATURES) for (const match of text.matchAll(new RegExp(pattern.source, 'g'))) out.push(match[0]);
  return out;
}
