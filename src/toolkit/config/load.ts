// Configuration from the environment, validated once at boot: every problem is collected
// and reported together, secret values are never printed, and anything short of exactly
// NODE_ENV=development gets production rules.
import { readFileSync } from 'node:fs';
import { appName } from './app-name.ts';
import { isIP } from 'node:net';
import { isAbsolute, resolve } from 'node:path';
import { checkServerOptions, resolveServerOptions, type Mode, type ServerOptions } from '../server/options.ts';
import { ConfigError } from './config-error.ts';
import { developmentSecrets, OPTIONAL_SECRETS, readSecret, SECRET_NAMES, secretProblem } from './secrets.ts';
import { findSetting } from './settings.ts';
import { DEFAULT_ROLES, roleProblems, type Roles } from '../auth/roles.ts';

type Env = Readonly<Record<string, string | undefined>>;

export interface RampartConfig {
  mode: Mode;
  host: string;
  port: number;
  dataDir: string;
  databaseUrl: string | undefined;
  /** The schema owner's URL, for `rampart migrate`; DATABASE_URL then names the serving role. */
  migrateDatabaseUrl: string | undefined;
  redisUrl: string | undefined;
  /** Secret values by setting name (raw text as configured); never log this object. */
  secrets: Readonly<Record<string, string>>;
  docs: { enabled: boolean; scope: string | undefined };
  httpRedirectPort: number | undefined;
  shutdownTimeoutMs: number;
  /** Least time the listener keeps accepting after SIGTERM/SIGINT (see drainTiming). */
  drainMs: number;
  server: ServerOptions;
  identity: IdentitySettings;
  /** Settings of the reference service's own features. */
  service: { transferDailyAmount: number; transferDailyCount: number };
  /** File uploads: size limit, per-user quota, malware scanner. */
  uploads: UploadSettings;
  /** Webhooks: whether plain-HTTP loopback targets are allowed (development and tests only). */
  webhooks: { allowInsecureLoopbackDevelopmentOnly: boolean };
}

export interface UploadSettings {
  maxBytes: number;
  quotaBytes: number;
  quotaCount: number;
  /** clamd's unix socket; undefined: the built-in signature scanner. */
  clamdSocket: string | undefined;
}

export interface IdentitySettings {
  alg: 'EdDSA' | 'HS256';
  issuer: string;
  audience: string;
  accessTokenTtlSeconds: number;
  refreshAbsoluteTtlSeconds: number;
  refreshIdleTtlSeconds: number;
  clients: string[];
  registration: 'open' | 'admin';
  loginAccountLimit: number;
  loginAddressLimit: number;
  loginWindowSeconds: number;
  tokenRateLimit: number;
  eventsMaxAgeDays: number;
  eventsMaxCount: number;
  sessionIdleTtlSeconds: number;
  sessionAbsoluteTtlSeconds: number;
  serviceUser: string;
  roles: Roles;
}

export function loadConfig(env: Env = process.env, cwd = process.cwd()): RampartConfig {
  const problems: string[] = [];
  const mode: Mode = env.NODE_ENV === 'development' ? 'development' : 'production';
  const read = (name: string): string | undefined => {
    const setting = findSetting(name);
    const value = env[name];
    if (value !== undefined && value !== '') return value;
    return mode === 'development' && setting.developmentDefault !== undefined ? setting.developmentDefault : setting.default;
  };
  const int = (name: string, min: number, max = Number.MAX_SAFE_INTEGER): number => {
    const text = read(name) ?? '';
    const value = Number(text);
    if (!/^\d+$/.test(text) || value < min || value > max) {
      problems.push(`${name} must be an integer from ${min} to ${max}, not "${text}"`);
      return min;
    }
    return value;
  };
  const list = (name: string): string[] => (read(name) ?? '').split(',').map((s) => s.trim()).filter((s) => s !== '');
  const flag = (name: string, on: string, off: string): boolean => {
    const value = (read(name) ?? '').toLowerCase();
    if (value !== on && value !== off) problems.push(`${name} must be "${on}" or "${off}", not "${value}"`);
    return value === on;
  };

  const host = read('HOST') ?? '127.0.0.1';
  if (mode === 'development' && !isLoopback(host)) {
    problems.push(`HOST=${host} is refused in development: development listens on loopback only (127.0.0.1, ::1 or localhost)`);
  }
  const dataDir = resolve(cwd, read('RAMPART_DATA_DIR') ?? './data');
  const databaseUrl = read('DATABASE_URL');
  if (databaseUrl !== undefined && !/^postgres(ql)?:\/\//.test(databaseUrl)) {
    problems.push(`DATABASE_URL must be a postgres:// or postgresql:// URL (scheme given: "${databaseUrl.split(':')[0] ?? ''}")`);
  }
  const migrateDatabaseUrl = read('RAMPART_MIGRATE_DATABASE_URL');
  if (migrateDatabaseUrl !== undefined) {
    if (!/^postgres(ql)?:\/\//.test(migrateDatabaseUrl)) {
      problems.push(`RAMPART_MIGRATE_DATABASE_URL must be a postgres:// or postgresql:// URL (scheme given: "${migrateDatabaseUrl.split(':')[0] ?? ''}")`);
    } else if (databaseUrl === undefined) {
      problems.push('RAMPART_MIGRATE_DATABASE_URL needs DATABASE_URL: it migrates the PostgreSQL database that DATABASE_URL serves from');
    }
  }
  const redisUrl = read('REDIS_URL');
  if (redisUrl !== undefined && !/^rediss?:\/\//.test(redisUrl)) {
    problems.push(`REDIS_URL must be a redis:// or rediss:// URL (scheme given: "${redisUrl.split(':')[0] ?? ''}")`);
  }

  const secrets = loadSecrets(env, mode, dataDir, problems);
  const tls = loadTls(read('RAMPART_TLS_CERT_FILE'), read('RAMPART_TLS_KEY_FILE'), problems);
  const docsEnabled = flag('RAMPART_DOCS', 'on', 'off');
  const docsScope = read('RAMPART_DOCS_SCOPE');
  if (mode === 'production' && docsEnabled && docsScope === undefined) {
    problems.push('RAMPART_DOCS=on in production needs RAMPART_DOCS_SCOPE: documentation maps the whole attack surface');
  }
  const redirect = read('RAMPART_HTTP_REDIRECT_PORT');
  const httpRedirectPort = redirect === undefined ? undefined : int('RAMPART_HTTP_REDIRECT_PORT', 1, 65535);
  if (httpRedirectPort !== undefined && tls === undefined) problems.push('RAMPART_HTTP_REDIRECT_PORT needs TLS (RAMPART_TLS_CERT_FILE and RAMPART_TLS_KEY_FILE)');

  const server = resolveServerOptions({
    mode,
    allowedHosts: list('RAMPART_ALLOWED_HOSTS'),
    trustedProxies: list('RAMPART_TRUSTED_PROXIES'),
    dangerouslyTrustPublicProxies: flag('RAMPART_DANGEROUSLY_TRUST_PUBLIC_PROXIES', 'true', 'false'),
    cors: { origins: list('RAMPART_CORS_ORIGINS'), credentials: flag('RAMPART_CORS_CREDENTIALS', 'true', 'false') },
    tls,
    limits: {
      bodyBytes: int('RAMPART_BODY_LIMIT', 1),
      jsonDepth: int('RAMPART_JSON_MAX_DEPTH', 1, 1000),
      headerCount: int('RAMPART_MAX_HEADERS', 10, 1000),
      headerBytes: int('RAMPART_MAX_HEADER_BYTES', 1024, 1024 * 1024),
      urlLength: int('RAMPART_MAX_URL_LENGTH', 64),
      paramLength: int('RAMPART_MAX_PARAM_LENGTH', 8),
      requestTimeoutMs: int('RAMPART_REQUEST_TIMEOUT_MS', 1),
      headersTimeoutMs: int('RAMPART_HEADERS_TIMEOUT_MS', 1),
      keepAliveTimeoutMs: int('RAMPART_KEEP_ALIVE_TIMEOUT_MS', 1),
      maxEventLoopDelayMs: int('RAMPART_MAX_EVENT_LOOP_DELAY_MS', 0),
    },
    rateLimit: {
      limit: int('RAMPART_RATE_LIMIT', 1),
      windowSeconds: int('RAMPART_RATE_LIMIT_WINDOW_S', 1),
      maxClients: int('RAMPART_RATE_LIMIT_MAX_CLIENTS', 100),
    },
    logLevel: read('RAMPART_LOG_LEVEL') ?? 'info',
    enumeration: { limit: int('RAMPART_ENUMERATION_LIMIT', 1), windowSeconds: int('RAMPART_ENUMERATION_WINDOW_S', 1) },
    rateLimitOverrides: parseOverrides(list('RAMPART_RATE_LIMIT_OVERRIDES'), problems),
    rateLimitFallback: read('RAMPART_RATE_LIMIT_FALLBACK') as ServerOptions['rateLimitFallback'],
  });
  if (!['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'].includes(server.logLevel)) {
    problems.push(`RAMPART_LOG_LEVEL must be one of fatal, error, warn, info, debug, trace, silent`);
  }
  problems.push(...checkServerOptions(server));

  const oneOf = <T extends string>(name: string, allowed: readonly T[]): T => {
    const value = read(name) ?? '';
    if (!(allowed as readonly string[]).includes(value)) problems.push(`${name} must be one of ${allowed.join(', ')}, not "${value}"`);
    return value as T;
  };
  // Unset, the names on the wire are the app's own (its package.json name), not the toolkit's.
  const name = appName(cwd);
  const identity: IdentitySettings = {
    alg: oneOf('RAMPART_JWT_ALG', ['EdDSA', 'HS256'] as const),
    issuer: read('RAMPART_JWT_ISSUER') ?? name,
    audience: read('RAMPART_JWT_AUDIENCE') ?? `${name}-api`,
    accessTokenTtlSeconds: int('RAMPART_ACCESS_TOKEN_TTL_S', 60, 86_400),
    refreshAbsoluteTtlSeconds: int('RAMPART_REFRESH_ABSOLUTE_TTL_S', 60),
    refreshIdleTtlSeconds: int('RAMPART_REFRESH_IDLE_TTL_S', 60),
    clients: read('RAMPART_OAUTH_CLIENTS') === undefined ? [`${name}-console`, `${name}-cli`] : list('RAMPART_OAUTH_CLIENTS'),
    registration: oneOf('RAMPART_REGISTRATION', ['open', 'admin'] as const),
    loginAccountLimit: int('RAMPART_LOGIN_ACCOUNT_LIMIT', 1),
    loginAddressLimit: int('RAMPART_LOGIN_ADDRESS_LIMIT', 1),
    loginWindowSeconds: int('RAMPART_LOGIN_WINDOW_S', 1),
    tokenRateLimit: int('RAMPART_TOKEN_RATE_LIMIT', 1),
    eventsMaxAgeDays: int('RAMPART_EVENTS_MAX_AGE_DAYS', 1),
    eventsMaxCount: int('RAMPART_EVENTS_MAX_COUNT', 100),
    sessionIdleTtlSeconds: int('RAMPART_SESSION_IDLE_TTL_S', 1),
    sessionAbsoluteTtlSeconds: int('RAMPART_SESSION_ABSOLUTE_TTL_S', 1),
    serviceUser: read('RAMPART_SERVICE_USER') ?? 'metrics',
    roles: parseRoles(read('RAMPART_ROLES'), problems),
  };
  if (identity.sessionIdleTtlSeconds > identity.sessionAbsoluteTtlSeconds) problems.push('RAMPART_SESSION_IDLE_TTL_S must not exceed RAMPART_SESSION_ABSOLUTE_TTL_S');
  if (!/^[A-Za-z0-9._-]{1,64}$/.test(identity.serviceUser)) problems.push('RAMPART_SERVICE_USER must be 1-64 characters of letters, digits, . _ -');
  if (identity.clients.length === 0) problems.push('RAMPART_OAUTH_CLIENTS must name at least one first-party client');

  const config: RampartConfig = {
    mode,
    host,
    port: int('PORT', 0, 65535),
    dataDir,
    databaseUrl,
    migrateDatabaseUrl,
    redisUrl,
    secrets,
    docs: { enabled: docsEnabled, scope: docsScope },
    httpRedirectPort,
    shutdownTimeoutMs: int('RAMPART_SHUTDOWN_TIMEOUT_MS', 0),
    drainMs: int('RAMPART_DRAIN_MS', 0, 600_000),
    server,
    identity,
    service: { transferDailyAmount: int('RAMPART_TRANSFER_DAILY_AMOUNT', 1), transferDailyCount: int('RAMPART_TRANSFER_DAILY_COUNT', 1) },
    uploads: {
      maxBytes: int('RAMPART_UPLOAD_MAX_BYTES', 1, 1024 ** 3),
      quotaBytes: int('RAMPART_FILE_QUOTA_BYTES', 1),
      quotaCount: int('RAMPART_FILE_QUOTA_COUNT', 1),
      clamdSocket: read('RAMPART_CLAMD_SOCKET'),
    },
    webhooks: { allowInsecureLoopbackDevelopmentOnly: flag('RAMPART_WEBHOOKS_ALLOW_INSECURE_LOOPBACK_DEVELOPMENT_ONLY', 'true', 'false') },
  };
  if (mode === 'production' && config.webhooks.allowInsecureLoopbackDevelopmentOnly) {
    problems.push('RAMPART_WEBHOOKS_ALLOW_INSECURE_LOOPBACK_DEVELOPMENT_ONLY=true is refused in production: webhooks must use HTTPS to public addresses');
  }
  const clamdSocket = config.uploads.clamdSocket;
  if (clamdSocket !== undefined && !isAbsolute(clamdSocket)) problems.push('RAMPART_CLAMD_SOCKET must be the absolute path of clamd\'s unix socket (e.g. /run/clamav/clamd.ctl)');
  if (problems.length > 0) throw new ConfigError(problems);
  return config;
}

function loadSecrets(env: Env, mode: Mode, dataDir: string, problems: string[]): Record<string, string> {
  const secrets: Record<string, string> = {};
  const missing: string[] = [];
  for (const name of SECRET_NAMES) {
    const value = readSecret(env, name, problems);
    if (value === undefined) {
      if (!OPTIONAL_SECRETS.has(name)) missing.push(name);
      continue;
    }
    const problem = secretProblem(name, value);
    if (problem) problems.push(problem);
    else secrets[name] = value;
  }
  if (missing.length === 0) return secrets;
  if (mode === 'production') {
    for (const name of missing) problems.push(`${name} is required in production (or ${name}_FILE); generate one with \`openssl rand -base64 32\``);
    return secrets;
  }
  try {
    return { ...secrets, ...developmentSecrets(dataDir, missing) };
  } catch {
    problems.push(`cannot create development secrets in ${dataDir}/secrets.json`);
    return secrets;
  }
}

function loadTls(certFile: string | undefined, keyFile: string | undefined, problems: string[]): ServerOptions['tls'] {
  if (certFile === undefined && keyFile === undefined) return undefined;
  if (certFile === undefined || keyFile === undefined) {
    problems.push('RAMPART_TLS_CERT_FILE and RAMPART_TLS_KEY_FILE must be set together');
    return undefined;
  }
  try {
    return { cert: readFileSync(certFile), key: readFileSync(keyFile) };
  } catch {
    problems.push('cannot read the TLS certificate or key file');
    return undefined;
  }
}

export function isLoopback(host: string): boolean {
  if (host === 'localhost' || host === '::1' || host === '[::1]') return true;
  return isIP(host) === 4 && host.startsWith('127.');
}

function parseRoles(text: string | undefined, problems: string[]): Roles {
  if (text === undefined) return DEFAULT_ROLES;
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch {
    problems.push('RAMPART_ROLES is not valid JSON');
    return DEFAULT_ROLES;
  }
  const found = roleProblems(parsed);
  problems.push(...found);
  return found.length === 0 ? (parsed as Roles) : DEFAULT_ROLES;
}

function parseOverrides(entries: string[], problems: string[]): Record<string, { limit: number; windowSeconds: number }> {
  const overrides: Record<string, { limit: number; windowSeconds: number }> = {};
  for (const entry of entries) {
    const match = /^([a-z][a-z0-9_-]{0,31})=(\d{1,9})\/(\d{1,7})$/.exec(entry);
    if (match === null || Number(match[2]) < 1 || Number(match[3]) < 1) {
      problems.push(`RAMPART_RATE_LIMIT_OVERRIDES: "${entry.slice(0, 60)}" must look like name=limit/windowSeconds, e.g. transfers=600/60`);
      continue;
    }
    overrides[match[1]!] = { limit: Number(match[2]), windowSeconds: Number(match[3]) };
  }
  return overrides;
}
