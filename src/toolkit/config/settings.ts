// Every environment variable Rampart reads, with its default and what production requires.
// This table is the single source for the loader's defaults and the README's configuration
// table (`npm run rampart -- config --markdown`); a test keeps the README in step with it.

export interface Setting {
  name: string;
  /** Default as the environment would spell it; undefined means "unset". */
  default: string | undefined;
  /** Default when NODE_ENV=development, where it differs. */
  developmentDefault?: string;
  description: string;
  /** What production requires of it, empty when nothing. */
  production: string;
  /** Secrets are also read from `<NAME>_FILE` and never printed. */
  secret?: true;
  /** An optional secret: its feature is off while it is unset (never generated). */
  optional?: true;
}

export const SETTINGS: readonly Setting[] = [
  { name: 'NODE_ENV', default: undefined, description: 'Exactly `development` turns on development behaviour (generated secrets, open docs, loopback-only listening, relaxed TLS). Any other value, or none, is production.', production: 'anything but `development`' },
  { name: 'HOST', default: '127.0.0.1', description: 'Address to listen on.', production: '' },
  { name: 'PORT', default: '3000', description: 'Port to listen on (HTTPS when TLS is configured).', production: '' },
  { name: 'DATABASE_URL', default: undefined, description: 'PostgreSQL URL (`postgres://…`). Unset: node:sqlite file `rampart.db` in the data directory.', production: '' },
  { name: 'RAMPART_MIGRATE_DATABASE_URL', default: undefined, description: 'PostgreSQL URL of the role that owns the schema: `rampart migrate` (and a development boot) migrates with it, then grants the role of `DATABASE_URL` exactly what each table needs (`src/app/migrations/grants.ts`). Unset: `DATABASE_URL` migrates too, and no grants are made.', production: '`rampart serve` does not need it; its `DATABASE_URL` role must own nothing and hold no CREATE, SUPERUSER, CREATEDB, CREATEROLE or BYPASSRLS (see "Database roles")' },
  { name: 'REDIS_URL', default: undefined, description: 'Redis URL for shared counters, denylists and sessions. Unset: in-memory, bounded, per process.', production: 'set it when running more than one instance' },
  { name: 'RAMPART_DATA_DIR', default: './data', description: 'Directory for the SQLite database and development secrets (created with mode 0700).', production: '' },
  { name: 'RAMPART_SECRET_KEY', default: undefined, description: 'Root secret (32+ random bytes, base64/base64url/hex; `openssl rand -base64 32`). Purpose keys (API-key hashing, CSRF, blind indexes) are derived from it with HKDF.', production: 'required; 32+ bytes of entropy; not a known placeholder', secret: true },
  { name: 'RAMPART_ALLOWED_HOSTS', default: '', description: 'Comma-separated host names accepted in the `Host` header (others get 400). Development also accepts localhost, 127.0.0.1 and ::1.', production: 'required' },
  { name: 'RAMPART_TRUSTED_PROXIES', default: '', description: 'Comma-separated proxy addresses or CIDRs whose `X-Forwarded-For`/`-Proto` are honoured. The client is the rightmost forwarded address that is not a trusted proxy.', production: 'TLS or a trusted TLS-terminating proxy is required; private ranges only (see the next line)' },
  { name: 'RAMPART_DANGEROUSLY_TRUST_PUBLIC_PROXIES', default: 'false', description: 'DANGEROUS: `true` lets production trust proxy ranges that contain public addresses (only for a CDN whose published ranges are public; list exactly those). Whoever sits in a trusted range chooses the client address that rate limits, lockouts and logs see.', production: 'without it, every RAMPART_TRUSTED_PROXIES range must be private (no `0.0.0.0/0`, `::/0`, `::ffff:0:0/96`, …)' },
  { name: 'RAMPART_TLS_CERT_FILE', default: undefined, description: 'PEM certificate chain; with the key, the server speaks HTTPS.', production: 'TLS or a trusted TLS-terminating proxy is required' },
  { name: 'RAMPART_TLS_KEY_FILE', default: undefined, description: 'PEM private key for the certificate.', production: 'with the certificate' },
  { name: 'RAMPART_HTTP_REDIRECT_PORT', default: undefined, description: 'With TLS: also listen for plain HTTP on this port and answer only 308 redirects to HTTPS.', production: '' },
  { name: 'RAMPART_CORS_ORIGINS', default: '', description: 'Comma-separated exact origins (`scheme://host[:port]`) allowed by CORS. Empty: CORS closed.', production: 'no `*`, patterns, paths or `null`' },
  { name: 'RAMPART_CORS_CREDENTIALS', default: 'false', description: 'Send `Access-Control-Allow-Credentials: true` to allowed origins.', production: '' },
  { name: 'RAMPART_DOCS', default: 'off', developmentDefault: 'on', description: 'Serve API documentation (`on`/`off`).', production: 'only with RAMPART_DOCS_SCOPE' },
  { name: 'RAMPART_DOCS_SCOPE', default: undefined, description: 'Scope a caller needs to read the documentation.', production: 'required when docs are on' },
  { name: 'RAMPART_BODY_LIMIT', default: '1048576', description: 'Largest request body in bytes (routes may override).', production: '' },
  { name: 'RAMPART_JSON_MAX_DEPTH', default: '32', description: 'Deepest nesting accepted in a JSON body.', production: '' },
  { name: 'RAMPART_MAX_HEADERS', default: '100', description: 'Most header fields in one request (431 beyond).', production: '' },
  { name: 'RAMPART_MAX_HEADER_BYTES', default: '16384', description: 'Largest request line plus headers, in bytes (431, or 414 for a long URL).', production: '' },
  { name: 'RAMPART_MAX_URL_LENGTH', default: '4096', description: 'Longest request target (path and query) in bytes (414 beyond).', production: '' },
  { name: 'RAMPART_MAX_PARAM_LENGTH', default: '200', description: 'Longest single path parameter.', production: '' },
  { name: 'RAMPART_REQUEST_TIMEOUT_MS', default: '30000', description: 'Time to receive a whole request.', production: '' },
  { name: 'RAMPART_HEADERS_TIMEOUT_MS', default: '10000', description: 'Time to receive the request headers (slow-header clients get 408 and are disconnected).', production: '' },
  { name: 'RAMPART_KEEP_ALIVE_TIMEOUT_MS', default: '5000', description: 'Idle time before a keep-alive connection is closed.', production: '' },
  { name: 'RAMPART_MAX_EVENT_LOOP_DELAY_MS', default: '1000', description: 'Shed load with 503 + Retry-After while the event loop lags more than this (0 turns it off).', production: '' },
  { name: 'RAMPART_RATE_LIMIT', default: '100', description: 'Requests per client per window for routes without their own limit (unknown routes included).', production: '' },
  { name: 'RAMPART_RATE_LIMIT_WINDOW_S', default: '60', description: 'Rate-limit window in seconds.', production: '' },
  { name: 'RAMPART_RATE_LIMIT_OVERRIDES', default: '', description: 'Override named route limits: `name=limit/windowSeconds`, comma-separated (e.g. `transfers=600/60,token=100/60`). `rampart routes` lists the names.', production: '' },
  { name: 'RAMPART_RATE_LIMIT_FALLBACK', default: 'memory', description: 'While Redis is unreachable: `memory` counts rate limits (and the enumeration limit) in each process instead — N instances then allow N times the limit — with one `rate_limit_degraded` security event and error log line per outage; `refuse` answers 503 instead. Token revocation, login lockouts, sessions and idempotency never degrade: they answer 503 (see "When a dependency fails" in docs/toolkit.md).', production: '' },
  { name: 'RAMPART_RATE_LIMIT_MAX_CLIENTS', default: '100000', description: 'Most client counters kept in memory (oldest evicted first), so address spraying cannot grow memory.', production: '' },
  { name: 'RAMPART_JWT_ALG', default: 'EdDSA', description: 'Access-token signature: `EdDSA` (Ed25519, keys in the database, public keys at /.well-known/jwks.json) or `HS256`.', production: '' },
  { name: 'RAMPART_JWT_ISSUER', default: 'rampart', description: 'The `iss` of access tokens, checked on every request.', production: 'your API\'s URL is a good choice' },
  { name: 'RAMPART_JWT_AUDIENCE', default: 'rampart-api', description: 'The `aud` of access tokens, checked on every request.', production: '' },
  { name: 'RAMPART_ACCESS_TOKEN_TTL_S', default: '900', description: 'Access-token lifetime in seconds.', production: '' },
  { name: 'RAMPART_REFRESH_ABSOLUTE_TTL_S', default: '2592000', description: 'Refresh tokens stop working this long after the login (30 days).', production: '' },
  { name: 'RAMPART_REFRESH_IDLE_TTL_S', default: '604800', description: 'Refresh tokens stop working after this long unused (7 days).', production: '' },
  { name: 'RAMPART_OAUTH_CLIENTS', default: 'rampart-console,rampart-cli', description: 'First-party client ids allowed to use the password grant (RFC 9700: never third parties). The first is used when a request names none.', production: '' },
  { name: 'RAMPART_REGISTRATION', default: 'admin', developmentDefault: 'open', description: '`open`: anyone may register with POST /v1/users; `admin`: only callers with `admin:users`.', production: '' },
  { name: 'RAMPART_LOGIN_ACCOUNT_LIMIT', default: '5', description: 'Failed logins per account per window before logins for it are refused (429).', production: '' },
  { name: 'RAMPART_LOGIN_ADDRESS_LIMIT', default: '20', description: 'Failed logins per client address per window (credential stuffing).', production: '' },
  { name: 'RAMPART_LOGIN_WINDOW_S', default: '900', description: 'Login failure window and back-off, in seconds; locks always expire.', production: '' },
  { name: 'RAMPART_TOKEN_RATE_LIMIT', default: '30', description: 'Requests per client per minute to the token and revocation endpoints.', production: '' },
  { name: 'RAMPART_EVENTS_MAX_AGE_DAYS', default: '90', description: 'Security events older than this are deleted.', production: '' },
  { name: 'RAMPART_EVENTS_MAX_COUNT', default: '100000', description: 'At most this many security events are kept (attackers can create events at will).', production: '' },
  { name: 'RAMPART_SESSION_IDLE_TTL_S', default: '1800', description: 'Cookie sessions end after this long without a request (30 minutes).', production: '' },
  { name: 'RAMPART_SESSION_ABSOLUTE_TTL_S', default: '43200', description: 'Cookie sessions end this long after login, however active (12 hours).', production: '' },
  { name: 'RAMPART_SERVICE_USER', default: 'metrics', description: 'User name of the service credential that HTTP Basic accepts on service endpoints (metrics).', production: '' },
  { name: 'RAMPART_SERVICE_PASSWORD', default: undefined, description: 'Password of the service credential (32+ random bytes, encoded). Unset: Basic is off. Never a user\'s password; refused over plain HTTP in production.', production: 'optional; 32+ bytes of entropy when set', secret: true, optional: true },
  { name: 'RAMPART_ROLES', default: undefined, description: 'Role definitions as JSON, e.g. `{"admin":["admin:users",…],"user":["profile",…]}`. Unset: the built-in admin, user and readonly roles (see docs/identity.md). Must define `user`.', production: '' },
  { name: 'RAMPART_ENUMERATION_LIMIT', default: '20', description: 'Owned-resource lookups answered 404 per principal per window before 429 and an `object_enumeration` event.', production: '' },
  { name: 'RAMPART_ENUMERATION_WINDOW_S', default: '300', description: 'Window for the enumeration count, in seconds.', production: '' },
  { name: 'RAMPART_TRANSFER_DAILY_AMOUNT', default: '1000000', description: 'Reference service: most money one user may transfer per UTC day, in minor units (cents).', production: '' },
  { name: 'RAMPART_TRANSFER_DAILY_COUNT', default: '50', description: 'Reference service: most transfers one user may make per UTC day.', production: '' },
  { name: 'RAMPART_UPLOAD_MAX_BYTES', default: '5242880', description: 'Largest uploaded file in bytes (5 MiB; 413 beyond, checked while streaming).', production: '' },
  { name: 'RAMPART_FILE_QUOTA_BYTES', default: '104857600', description: 'Reference service: most bytes of files one user may store (100 MiB; 409 beyond).', production: '' },
  { name: 'RAMPART_FILE_QUOTA_COUNT', default: '1000', description: 'Reference service: most files one user may store (409 beyond).', production: '' },
  { name: 'RAMPART_CLAMD_SOCKET', default: undefined, description: 'Path of ClamAV clamd\'s unix socket: uploads are scanned by clamd (INSTREAM) and refused with 503 while it cannot answer. Unset: the built-in scanner matches the shipped signature file (EICAR test signature only).', production: 'set it where uploads may carry malware' },
  { name: 'RAMPART_WEBHOOKS_ALLOW_INSECURE_LOOPBACK_DEVELOPMENT_ONLY', default: 'false', description: 'DANGEROUS, development and tests only: `true` lets webhooks target plain-HTTP loopback URLs (`http://127.0.0.1:…`, `http://[::1]:…`) so a local receiver can get deliveries. Every other target still needs HTTPS and a public address.', production: 'refused: boot fails when it is `true`' },
  { name: 'RAMPART_LOG_LEVEL', default: 'info', description: 'pino level: fatal, error, warn, info, debug, trace, silent.', production: '' },
  { name: 'RAMPART_DRAIN_MS', default: '5000', developmentDefault: '0', description: 'After SIGTERM/SIGINT, readiness (`/readyz`) answers 503 at once while the listener keeps accepting and answering (every answer with `Connection: close`) for at least this long, so a load balancer stops sending first; then, in every mode, until no new connection or request has arrived for 0.5 s (at most 10 s more). Set it to what your load balancer needs to notice a failed readiness check.', production: '' },
  { name: 'RAMPART_SHUTDOWN_TIMEOUT_MS', default: '10000', description: 'Time in-flight requests get to finish once the drain is over and the listener has closed; then the process exits 1.', production: '' },
];

export function findSetting(name: string): Setting {
  const setting = SETTINGS.find((s) => s.name === name);
  if (!setting) throw new Error(`unknown setting ${name}`);
  return setting;
}

/** The README's configuration table. */
export function settingsMarkdown(): string {
  const rows = SETTINGS.map((s) => {
    const dflt = s.default === undefined || s.default === '' ? '(unset)' : `\`${s.default}\``;
    const dev = s.developmentDefault === undefined ? '' : ` (development: \`${s.developmentDefault}\`)`;
    const name = s.secret ? `\`${s.name}\` / \`${s.name}_FILE\`` : `\`${s.name}\``;
    return `| ${name} | ${dflt}${dev} | ${s.description} | ${s.production || '—'} |`;
  });
  return ['| variable | default | meaning | production requires |', '|---|---|---|---|', ...rows].join('\n');
}
