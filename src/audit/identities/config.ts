// Who the auditor acts as: identities from `--identity name=alice,role=user,login=alice,password-env=ALICE_PW`
// (repeatable) or an `identities:` list in the config file. Secrets may come from environment
// variables (`*-env=NAME`), so a password never has to appear on a command line.
import { AuditError, didYouMean } from '../errors.ts';

export type IdentityRole = 'user' | 'admin';

export type Credential =
  | { kind: 'bearer'; token: string }
  | { kind: 'header'; name: string; value: string }
  | { kind: 'cookie'; value: string }
  | ({ kind: 'login'; username: string; password: string; tokenUrl?: string; scope?: string } & LoginOptions);

/** How a login identity logs in and where its token travels, when not inferred (all optional). */
export interface LoginOptions {
  /** `json` or `form` body (default: what the spec's operation takes, else an OAuth2 form). */
  body?: 'json' | 'form';
  userField?: string;
  passwordField?: string;
  /** Dotted path of the token in the JSON answer (default: searched). */
  tokenField?: string;
  /** The header the token travels in (default Authorization, or what the spec declares). */
  tokenHeader?: string;
  /** The scheme before the token in that header (default `Bearer` for Authorization; `none` for none). */
  tokenScheme?: string;
  /** Send the token as this cookie instead of a header. */
  tokenCookie?: string;
  clientId?: string;
  clientSecret?: string;
  /** How the client id and secret are sent (default basic). */
  clientAuth?: 'basic' | 'body';
}

export interface IdentitySpec {
  name: string;
  role: IdentityRole;
  credential: Credential;
}

const KEYS = [
  'name',
  'role',
  'bearer',
  'bearer-env',
  'header',
  'header-env',
  'cookie',
  'cookie-env',
  'login',
  'password-env',
  'token-url',
  'login-url',
  'scope',
  'login-body',
  'user-field',
  'password-field',
  'token-field',
  'token-header',
  'token-scheme',
  'token-cookie',
  'client-id',
  'client-secret',
  'client-secret-env',
  'client-auth',
] as const;
/** Keys that only a login identity takes. */
const LOGIN_KEYS = ['password-env', 'token-url', 'login-url', 'scope', 'login-body', 'user-field', 'password-field', 'token-field', 'token-header', 'token-scheme', 'token-cookie', 'client-id', 'client-secret', 'client-secret-env', 'client-auth'] as const;
const FIELD = /^[A-Za-z0-9_.$@-]{1,100}$/;
type Key = (typeof KEYS)[number];
const CREDENTIALS = ['bearer', 'header', 'cookie', 'login'] as const;
const NAME = /^[A-Za-z0-9_.-]{1,40}$/;
const HEADER_NAME = /^[!#$%&'*+.^_`|~0-9A-Za-z-]+$/;
const RESERVED_HEADERS = new Set(['host', 'content-length', 'transfer-encoding', 'connection']);

function bad(source: string, message: string): never {
  throw new AuditError(source === 'command line' ? 'USAGE' : 'CONFIG_INVALID', `${source}: ${message}`);
}

/** Splits `k=v,k=v` at commas that start a key (`word=`), so values may hold other commas. */
function pairs(text: string, source: string, at: string): Map<Key, string> {
  const out = new Map<Key, string>();
  for (const part of text.split(/,(?=\s*[a-z][a-z-]*=)/)) {
    const eq = part.indexOf('=');
    const key = (eq === -1 ? part : part.slice(0, eq)).trim();
    if (!(KEYS as readonly string[]).includes(key)) {
      bad(source, `${at}: unknown key \`${key}\`.${didYouMean(key, KEYS)} Expected name=…,role=user|admin and one of bearer=, header=Name:value, cookie=, login=user (with password-env=VAR)`);
    }
    if (out.has(key as Key)) bad(source, `${at}: \`${key}\` given twice`);
    out.set(key as Key, eq === -1 ? '' : part.slice(eq + 1).trim());
  }
  return out;
}

function fromEnv(source: string, at: string, key: string, variable: string, env: NodeJS.ProcessEnv): string {
  if (!/^[A-Za-z_][A-Za-z0-9_]*$/.test(variable)) bad(source, `${at}: \`${key}\` must name an environment variable (got ${JSON.stringify(variable)})`);
  const value = env[variable];
  // Only the variable's name is ever printed, never its value.
  if (value === undefined || value === '') bad(source, `${at}: the environment variable ${variable} (from \`${key}\`) is not set`);
  return value;
}

function secret(values: Map<Key, string>, plain: Key, viaEnv: Key, source: string, at: string, env: NodeJS.ProcessEnv): string | undefined {
  const direct = values.get(plain);
  const variable = values.get(viaEnv);
  if (direct !== undefined && variable !== undefined) bad(source, `${at}: give \`${plain}\` or \`${viaEnv}\`, not both`);
  if (variable !== undefined) return fromEnv(source, at, viaEnv, variable, env);
  if (direct === '') bad(source, `${at}: \`${plain}\` is empty`);
  return direct;
}

function credentialOf(values: Map<Key, string>, source: string, at: string, env: NodeJS.ProcessEnv): Credential {
  const given = CREDENTIALS.filter((kind) => values.has(kind) || values.has(`${kind}-env` as Key));
  if (given.length !== 1) {
    bad(source, `${at}: give exactly one credential: bearer=, header=Name:value, cookie= or login=user (got ${given.length === 0 ? 'none' : given.join(', ')})`);
  }
  const kind = given[0]!;
  const misplaced = LOGIN_KEYS.filter((key) => values.has(key));
  if (kind !== 'login' && misplaced.length > 0) {
    bad(source, `${at}: ${misplaced.join(', ')} go${misplaced.length === 1 ? 'es' : ''} with login=`);
  }
  switch (kind) {
    case 'bearer':
      return { kind, token: secret(values, 'bearer', 'bearer-env', source, at, env)! };
    case 'cookie':
      return { kind, value: secret(values, 'cookie', 'cookie-env', source, at, env)! };
    case 'header': {
      const raw = secret(values, 'header', 'header-env', source, at, env)!;
      const colon = raw.indexOf(':');
      const name = colon === -1 ? '' : raw.slice(0, colon).trim();
      const value = colon === -1 ? '' : raw.slice(colon + 1).trim();
      if (!HEADER_NAME.test(name) || value === '' || RESERVED_HEADERS.has(name.toLowerCase())) {
        bad(source, `${at}: header= must be Name:value with a valid header name, e.g. header=X-API-Key:…`);
      }
      return { kind, name, value };
    }
    case 'login': {
      const raw = values.get('login') ?? '';
      const colon = raw.indexOf(':');
      const username = colon === -1 ? raw : raw.slice(0, colon);
      const inline = colon === -1 ? undefined : raw.slice(colon + 1);
      if (username === '') bad(source, `${at}: login= needs a username`);
      const variable = values.get('password-env');
      if (inline !== undefined && variable !== undefined) bad(source, `${at}: give the password in login=user:password or password-env=, not both`);
      const password = variable !== undefined ? fromEnv(source, at, 'password-env', variable, env) : inline;
      if (password === undefined || password === '') bad(source, `${at}: login=${username} needs a password: password-env=VARIABLE (or login=${username}:password)`);
      if (values.has('token-url') && values.has('login-url')) bad(source, `${at}: login-url and token-url are the same setting; give one`);
      const tokenUrl = values.get('login-url') ?? values.get('token-url');
      const scope = values.get('scope');
      return { kind, username, password, ...(tokenUrl ? { tokenUrl } : {}), ...(scope ? { scope } : {}), ...loginOptions(values, source, at, env) };
    }
  }
}

function loginOptions(values: Map<Key, string>, source: string, at: string, env: NodeJS.ProcessEnv): LoginOptions {
  const out: LoginOptions = {};
  const body = values.get('login-body');
  if (body !== undefined) {
    if (body !== 'json' && body !== 'form') bad(source, `${at}: login-body must be json or form (got ${JSON.stringify(body)})`);
    out.body = body;
  }
  const auth = values.get('client-auth');
  if (auth !== undefined) {
    if (auth !== 'basic' && auth !== 'body') bad(source, `${at}: client-auth must be basic or body (got ${JSON.stringify(auth)})`);
    out.clientAuth = auth;
  }
  const fields: [Key, 'userField' | 'passwordField' | 'tokenField' | 'tokenCookie'][] = [['user-field', 'userField'], ['password-field', 'passwordField'], ['token-field', 'tokenField'], ['token-cookie', 'tokenCookie']];
  for (const [key, name] of fields) {
    const value = values.get(key);
    if (value === undefined) continue;
    if (!FIELD.test(value)) bad(source, `${at}: ${key} must be a field name (letters, digits, _ . - $ @), got ${JSON.stringify(value)}`);
    out[name] = value;
  }
  const header = values.get('token-header');
  if (header !== undefined) {
    if (!HEADER_NAME.test(header) || RESERVED_HEADERS.has(header.toLowerCase())) bad(source, `${at}: token-header must be a header name, e.g. token-header=X-Auth-Token`);
    out.tokenHeader = header;
  }
  if (out.tokenHeader !== undefined && out.tokenCookie !== undefined) bad(source, `${at}: give token-header or token-cookie, not both`);
  const scheme = values.get('token-scheme');
  if (scheme !== undefined) {
    if (!/^[A-Za-z][A-Za-z0-9_-]{0,30}$/.test(scheme)) bad(source, `${at}: token-scheme must be a word such as Bearer or Token, or none`);
    out.tokenScheme = scheme;
  }
  const clientId = values.get('client-id');
  if (clientId !== undefined) out.clientId = clientId;
  const clientSecret = secret(values, 'client-secret', 'client-secret-env', source, at, env);
  if (clientSecret !== undefined) {
    if (clientId === undefined) bad(source, `${at}: client-secret goes with client-id`);
    out.clientSecret = clientSecret;
  }
  return out;
}

function build(values: Map<Key, string>, source: string, at: string, env: NodeJS.ProcessEnv): IdentitySpec {
  const name = values.get('name');
  if (name === undefined || !NAME.test(name)) bad(source, `${at}: needs name= (letters, digits, . _ -; up to 40)`);
  const role = values.get('role') ?? 'user';
  if (role !== 'user' && role !== 'admin') bad(source, `${at}: role must be user or admin (got ${JSON.stringify(role)})`);
  return { name, role, credential: credentialOf(values, source, `identity ${name}`, env) };
}

/** One `--identity` value. */
export function parseIdentity(text: string, source: string, env: NodeJS.ProcessEnv = process.env): IdentitySpec {
  return build(pairs(text, source, '--identity'), source, '--identity', env);
}

const CAMEL: Record<string, Key> = {
  bearerEnv: 'bearer-env',
  headerEnv: 'header-env',
  cookieEnv: 'cookie-env',
  passwordEnv: 'password-env',
  tokenUrl: 'token-url',
  loginUrl: 'login-url',
  loginBody: 'login-body',
  userField: 'user-field',
  passwordField: 'password-field',
  tokenField: 'token-field',
  tokenHeader: 'token-header',
  tokenScheme: 'token-scheme',
  tokenCookie: 'token-cookie',
  clientId: 'client-id',
  clientSecret: 'client-secret',
  clientSecretEnv: 'client-secret-env',
  clientAuth: 'client-auth',
};

/** One entry of the config file's `identities:` list: an object (camelCase keys) or the command-line string. */
export function parseIdentityEntry(entry: unknown, source: string, index: number, env: NodeJS.ProcessEnv = process.env): IdentitySpec {
  const at = `identities[${index}]`;
  if (typeof entry === 'string') return build(pairs(entry, source, at), source, at, env);
  if (typeof entry !== 'object' || entry === null || Array.isArray(entry)) bad(source, `${at} must be an object or a string like "name=alice,login=alice,password-env=ALICE_PW"`);
  const values = new Map<Key, string>();
  for (const [rawKey, value] of Object.entries(entry)) {
    if (rawKey === 'password') {
      // A password written in a file is allowed (the file is the user's secret store), but kept apart.
      if (typeof value !== 'string' || value === '') bad(source, `${at}: \`password\` must be a non-empty string`);
      continue;
    }
    const key = CAMEL[rawKey] ?? rawKey;
    if (!(KEYS as readonly string[]).includes(key)) bad(source, `${at}: unknown key \`${rawKey}\`.${didYouMean(rawKey, [...KEYS, ...Object.keys(CAMEL), 'password'])}`);
    if (typeof value !== 'string') bad(source, `${at}: \`${rawKey}\` must be a string`);
    values.set(key as Key, value);
  }
  const password = (entry as { password?: unknown }).password;
  if (typeof password === 'string') {
    if (!values.has('login') || values.has('password-env')) bad(source, `${at}: \`password\` goes with \`login\`, instead of \`passwordEnv\``);
    values.set('login', `${values.get('login') ?? ''}:${password}`);
  }
  return build(values, source, at, env);
}

/** Validates a set of identities together: unique names. */
export function checkIdentities(identities: readonly IdentitySpec[], source: string): void {
  const seen = new Set<string>();
  for (const identity of identities) {
    if (seen.has(identity.name)) bad(source, `two identities are named ${identity.name}`);
    seen.add(identity.name);
  }
}
