// How a login identity logs in, as real APIs do it: the OAuth2 password grant (client id and
// secret as HTTP Basic or in the body), or a JSON or form body with whatever field names the
// spec's request schema uses (or the identity names); the token is read from any JSON field of
// the answer, or the session from its Set-Cookie; and where the token travels afterwards
// (Authorization with or without a scheme, another header, a cookie), from the identity's
// options or the spec's security schemes.
import type { HttpResponse } from '../http/client.ts';
import { isDeletion, parseSetCookies } from '../lib/cookies.ts';
import { parseJson } from '../lib/links.ts';
import { decodeJwt } from '../jwt/token.ts';
import type { ApiSpec, Operation } from '../spec/load.ts';
import { deref, isObject } from '../spec/refs.ts';
import type { Json, JsonObject } from '../spec/refs.ts';
import { synthesize } from '../spec/synth.ts';
import type { Target } from '../target.ts';
import type { Credential } from './config.ts';

type LoginCredential = Extract<Credential, { kind: 'login' }>;

export interface LoginPlan {
  url: URL;
  body: 'json' | 'form';
  userField: string;
  passwordField: string;
  /** Other fields sent as they are (grant_type, scope, client_id, values the schema requires). */
  fields: Record<string, Json>;
  /** Dotted path of the token in the JSON answer; undefined: searched. */
  tokenField?: string;
  /** `Authorization: Basic …` with the client's id and secret. */
  basic?: string;
  /** How this plan was chosen, for messages. */
  source: string;
}

/** Where a token travels: a header (with a scheme word before it, or none) or a cookie. */
export type Carrier = { in: 'header'; name: string; scheme?: string } | { in: 'cookie'; name: string };

export interface IssuedToken {
  /** The token (a JSON field's value) or, for a cookie session, the Cookie header to send. */
  value: string;
  from: 'json' | 'cookie';
  /** Where it was found: the JSON path, or the cookie names. */
  at: string;
  /** When it stops working (epoch ms), from the JWT's `exp` or an `expires_in` beside it. */
  expiresAt?: number;
  /** Cookies the answer set besides a JSON token (sent only when the token travels in none). */
  cookies?: string;
}

export const PASSWORD_NAME = /^(?:pass(?:word)?|passwd|pwd|passphrase|secret|user_?pass(?:word)?)$/i;
const USER_NAME = /^(?:user(?:_?name)?|login|e?-?mail(?:_?address)?|account|identifier|handle|name|uid|user_?id|principal)$/i;
const NOT_A_LOGIN = /regist|sign-?up|join|enrol|reset|forgot|verif|change|confirm|invite|creat|new|recover|refresh|logout|log-out|sign-?out|passwords?$/i;
const LOGIN_WORD = /log-?in|sign-?in|authenticat|token|session|auth/i;
const OAUTH_FIELDS = new Set(['grant_type', 'scope', 'client_id', 'client_secret']);
/** JSON keys that name the access token, best first. */
const TOKEN_KEYS = [/^access_?token$/i, /^(?:id_?)?token$/i, /^jwt$/i, /^(?:auth|session|bearer|api)_?(?:token|key)$/i, /^bearer$/i, /token|jwt/i];
const NOT_TOKEN_KEY = /refresh|type|expire|ttl|csrf|xsrf/i;
const EXPIRES_KEY = /^(?:expires_?in|ttl|lifetime|expiresIn)$/i;

export interface Field {
  name: string;
  schema: JsonObject;
  required: boolean;
}

/** The top-level properties of a request body's object schema (allOf merged). */
export function properties(document: Json, schemaValue: Json | undefined): Field[] {
  const schema = deref(document, schemaValue);
  if (!isObject(schema)) return [];
  const out: Field[] = [];
  const parts = Array.isArray(schema.allOf) ? [schema, ...schema.allOf] : [schema];
  for (const part of parts) {
    const resolved = deref(document, part);
    if (!isObject(resolved) || !isObject(resolved.properties)) continue;
    const required = Array.isArray(resolved.required) ? resolved.required.filter((r): r is string => typeof r === 'string') : [];
    for (const [name, child] of Object.entries(resolved.properties)) {
      const field = deref(document, child);
      if (isObject(field) && !out.some((f) => f.name === name)) out.push({ name, schema: field, required: required.includes(name) });
    }
  }
  return out;
}

function describeOperation(operation: Operation): string {
  return [operation.path, operation.operationId, operation.summary].filter((s) => s !== undefined).join(' ');
}

/** Does the operation's path, id or summary say it does something other than log in (sign up, reset, verify...)? */
export function notALogin(operation: Operation): boolean {
  return NOT_A_LOGIN.test(describeOperation(operation).replace(/\{[^}]*\}/g, ''));
}

/** A spec operation that takes a user name and a password and nothing else it requires: a login. */
export function loginOperation(spec: ApiSpec, operation: Operation): Omit<LoginPlan, 'url' | 'source'> | undefined {
  const body = operation.requestBody;
  if (operation.method !== 'POST' || body === undefined) return undefined;
  const kind = /json/i.test(body.contentType) ? 'json' : body.contentType === 'application/x-www-form-urlencoded' ? 'form' : undefined;
  if (kind === undefined) return undefined;
  const fields = properties(spec.document, body.schema);
  const passwords = fields.filter((f) => f.schema.format === 'password' || PASSWORD_NAME.test(f.name));
  const password = passwords.find((f) => f.schema.format === 'password') ?? passwords[0];
  if (password === undefined || passwords.length > 1) return undefined;
  const others = fields.filter((f) => f !== password && !OAUTH_FIELDS.has(f.name));
  const user = others.find((f) => USER_NAME.test(f.name)) ?? (others.length === 1 ? others[0] : undefined);
  if (user === undefined) return undefined;
  // A sign-up asks for more than a name and a password.
  if (others.some((f) => f !== user && f.required)) return undefined;
  const extra: Record<string, Json> = {};
  for (const field of fields) {
    if (field.name === 'grant_type') extra.grant_type = 'password';
    else if (field.required && field !== user && field !== password && !OAUTH_FIELDS.has(field.name)) extra[field.name] = synthesize(spec.document, field.schema) ?? '';
  }
  return { body: kind, userField: user.name, passwordField: password.name, fields: extra };
}

/** Login operations of the spec, most likely first (path or name says log in; a user name before an email for a name without `@`). */
export function inferredLogins(spec: ApiSpec, target: Target, username: string): LoginPlan[] {
  const out: { plan: LoginPlan; rank: number }[] = [];
  for (const operation of spec.operations) {
    const text = describeOperation(operation);
    if (notALogin(operation)) continue;
    const found = loginOperation(spec, operation);
    if (found === undefined) continue;
    const emailField = /mail/i.test(found.userField);
    const rank = (LOGIN_WORD.test(text) ? 0 : 2) + (emailField === username.includes('@') ? 0 : 1);
    out.push({ plan: { ...found, url: target.url(operation.path), source: `POST ${operation.path} of the spec` }, rank });
  }
  return out.sort((a, b) => a.rank - b.rank).map((o) => o.plan);
}

/** A login at a URL the spec does not describe: the OAuth2 password grant (form body), unless the identity names its own body or fields. */
function oauthPlan(url: URL, credential: LoginCredential, source: string): LoginPlan {
  const own = credential.body === 'json' || credential.userField !== undefined || credential.passwordField !== undefined;
  return {
    url,
    body: credential.body ?? 'form',
    userField: credential.userField ?? 'username',
    passwordField: credential.passwordField ?? 'password',
    fields: own ? {} : { grant_type: 'password', ...(credential.scope === undefined ? {} : { scope: credential.scope }) },
    source,
  };
}

/**
 * The ways this identity may log in, to be tried in order: at the URL it names (shaped like the
 * spec's operation there when there is one, else as an OAuth2 token endpoint), else the spec's
 * OAuth2 password flow, else every login operation the spec has.
 */
export function loginPlans(credential: LoginCredential, url: URL | undefined, spec: ApiSpec | undefined, target: Target, urlSource: string): LoginPlan[] {
  let plans: LoginPlan[];
  if (url !== undefined) {
    const operation = spec?.operations.find((o) => o.method === 'POST' && target.url(o.path).pathname === url.pathname);
    const found = spec !== undefined && operation !== undefined ? loginOperation(spec, operation) : undefined;
    plans = found === undefined ? [oauthPlan(url, credential, urlSource)] : [{ ...found, url, source: `${urlSource}, fields from the spec` }];
  } else {
    plans = spec === undefined ? [] : inferredLogins(spec, target, credential.username);
  }
  return plans.map((plan) => applyOptions(plan, credential));
}

function applyOptions(plan: LoginPlan, c: LoginCredential): LoginPlan {
  const out: LoginPlan = {
    ...plan,
    fields: { ...plan.fields },
    ...(c.body === undefined ? {} : { body: c.body }),
    ...(c.userField === undefined ? {} : { userField: c.userField }),
    ...(c.passwordField === undefined ? {} : { passwordField: c.passwordField }),
    ...(c.tokenField === undefined ? {} : { tokenField: c.tokenField }),
  };
  if (c.scope !== undefined && out.fields.grant_type !== undefined) out.fields.scope = c.scope;
  if (c.clientId !== undefined) {
    if (c.clientAuth === 'body' || c.clientSecret === undefined) {
      out.fields.client_id = c.clientId;
      if (c.clientSecret !== undefined) out.fields.client_secret = c.clientSecret;
    } else {
      out.basic = `Basic ${Buffer.from(`${encodeURIComponent(c.clientId)}:${encodeURIComponent(c.clientSecret)}`).toString('base64')}`;
    }
  }
  return out;
}

/** The request body of a login (as JSON or a form), with the password given. */
export function loginBody(plan: LoginPlan, username: string, password: string): string {
  const values: Record<string, Json> = { ...plan.fields, [plan.userField]: username, [plan.passwordField]: password };
  if (plan.body === 'json') return JSON.stringify(values);
  return new URLSearchParams(Object.entries(values).map(([k, v]): [string, string] => [k, typeof v === 'string' ? v : JSON.stringify(v)])).toString();
}

function at(json: Json, path: string): Json | undefined {
  let node: Json | undefined = json;
  for (const key of path.split('.')) node = isObject(node) ? node[key] : Array.isArray(node) && /^\d+$/.test(key) ? node[Number(key)] : undefined;
  return node;
}

/** Every string leaf of a JSON answer with its dotted path (depth 4 at most). */
function leaves(json: Json, prefix = '', depth = 0): { path: string; key: string; value: Json }[] {
  if (!isObject(json) || depth > 4) return [];
  const out: { path: string; key: string; value: Json }[] = [];
  for (const [key, value] of Object.entries(json)) {
    const path = prefix === '' ? key : `${prefix}.${key}`;
    out.push({ path, key, value });
    if (isObject(value)) out.push(...leaves(value, path, depth + 1));
  }
  return out;
}

function expiryOf(token: string, siblings: Json | undefined, now: number): number | undefined {
  const exp = decodeJwt(token)?.payload.exp;
  if (typeof exp === 'number' && Number.isFinite(exp)) return exp * 1000;
  if (!isObject(siblings)) return undefined;
  for (const [key, value] of Object.entries(siblings)) {
    if (EXPIRES_KEY.test(key) && typeof value === 'number' && value > 0 && value < 10 * 365 * 86_400) return now + value * 1000;
  }
  return undefined;
}

/** Where the token of a login answer is: the named field, else a field named like a token, else any JWT; else the cookies it set. */
export function issuedToken(response: HttpResponse, tokenField: string | undefined, now = Date.now()): IssuedToken | undefined {
  const json = parseJson(response.text);
  const cookies = parseSetCookies(response.headers['set-cookie']).filter((c) => !isDeletion(c));
  const jar = cookies.length === 0 ? undefined : cookies.map((c) => `${c.name}=${c.value}`).join('; ');
  const withCookies = (token: IssuedToken): IssuedToken => (jar === undefined ? token : { ...token, cookies: jar });
  if (json !== undefined) {
    if (tokenField !== undefined) {
      const value = at(json, tokenField);
      if (typeof value !== 'string' || value === '') return undefined;
      const parent = tokenField.includes('.') ? at(json, tokenField.slice(0, tokenField.lastIndexOf('.'))) : json;
      return withCookies(found(value, tokenField, parent, now));
    }
    const strings = leaves(json).filter((l): l is { path: string; key: string; value: string } => typeof l.value === 'string' && l.value !== '' && !/\s/.test(l.value));
    for (const [index, pattern] of TOKEN_KEYS.entries()) {
      // A key that merely contains `token` must hold something token-sized.
      const hit = strings.find((l) => pattern.test(l.key) && !NOT_TOKEN_KEY.test(l.key) && (index < TOKEN_KEYS.length - 1 || l.value.length >= 16));
      if (hit !== undefined) return withCookies(found(hit.value, hit.path, parentOf(json, hit.path), now));
    }
    const jwt = strings.find((l) => !NOT_TOKEN_KEY.test(l.key) && decodeJwt(l.value) !== undefined);
    if (jwt !== undefined) return withCookies(found(jwt.value, jwt.path, parentOf(json, jwt.path), now));
  }
  if (jar === undefined) return undefined;
  const expiry = cookies.map((c) => decodeJwt(c.value)?.payload.exp).find((e): e is number => typeof e === 'number');
  return { value: jar, from: 'cookie', at: cookies.map((c) => c.name).join(', '), ...(expiry === undefined ? {} : { expiresAt: expiry * 1000 }) };
}

function parentOf(json: Json, path: string): Json | undefined {
  return path.includes('.') ? at(json, path.slice(0, path.lastIndexOf('.'))) : json;
}

function found(value: string, path: string, parent: Json | undefined, now: number): IssuedToken {
  const expiresAt = expiryOf(value, parent, now);
  return { value, from: 'json', at: path, ...(expiresAt === undefined ? {} : { expiresAt }) };
}

/** Where a login identity's token travels: as the identity says, else as the spec's one security scheme says, else `Authorization: Bearer`. */
export function carrierFor(credential: LoginCredential, spec: ApiSpec | undefined): Carrier {
  if (credential.tokenCookie !== undefined) return { in: 'cookie', name: credential.tokenCookie };
  const scheme = credential.tokenScheme === undefined ? undefined : credential.tokenScheme.toLowerCase() === 'none' ? undefined : credential.tokenScheme;
  if (credential.tokenHeader !== undefined) {
    const authorization = credential.tokenHeader.toLowerCase() === 'authorization';
    const word = credential.tokenScheme === undefined ? (authorization ? 'Bearer' : undefined) : scheme;
    return { in: 'header', name: credential.tokenHeader.toLowerCase(), ...(word === undefined ? {} : { scheme: word }) };
  }
  if (credential.tokenScheme !== undefined) return { in: 'header', name: 'authorization', ...(scheme === undefined ? {} : { scheme }) };
  const schemes = Object.values(spec?.securitySchemes ?? {}).filter((s) => s.type === 'apiKey' || s.type === 'http' || s.type === 'oauth2' || s.type === 'openIdConnect');
  const declared = schemes.length === 1 ? schemes[0]! : undefined;
  if (declared?.type === 'apiKey' && declared.paramName !== undefined) {
    if (declared.in === 'header') return { in: 'header', name: declared.paramName.toLowerCase() };
    if (declared.in === 'cookie') return { in: 'cookie', name: declared.paramName };
  }
  if (declared?.type === 'http' && declared.scheme !== undefined && declared.scheme !== 'bearer' && declared.scheme !== 'basic') {
    return { in: 'header', name: 'authorization', scheme: declared.scheme.charAt(0).toUpperCase() + declared.scheme.slice(1) };
  }
  return { in: 'header', name: 'authorization', scheme: 'Bearer' };
}

/** The headers that carry a token (a cookie session goes as the Cookie header it came in). */
export function carry(token: IssuedToken, carrier: Carrier): Record<string, string> {
  if (token.from === 'cookie') return { cookie: token.value };
  if (carrier.in === 'cookie') return { cookie: `${carrier.name}=${token.value}` };
  return { [carrier.name]: carrier.scheme === undefined ? token.value : `${carrier.scheme} ${token.value}` };
}

/** What to try when a login failed: options naming another way, in the identity's syntax. */
export function suggestions(plan: LoginPlan, others: readonly LoginPlan[], target: Target, problem: 'refused' | 'no-token', answerFields: readonly string[]): string[] {
  const out: string[] = [];
  for (const other of others.filter((o) => o !== plan).slice(0, 2)) {
    out.push(`login-url=${target.routeOf(other.url)},login-body=${other.body},user-field=${other.userField},password-field=${other.passwordField}`);
  }
  if (problem === 'refused') {
    out.push(`login-body=${plan.body === 'json' ? 'form' : 'json'}`);
    if (plan.fields.grant_type === undefined) out.push('user-field=… and password-field=… with the names the login expects');
    else out.push('client-id=…,client-secret-env=… (a confidential client), client-auth=body if it wants them in the body');
  } else {
    const candidates = answerFields.filter((f) => !NOT_TOKEN_KEY.test(f)).slice(0, 3);
    out.push(candidates.length > 0 ? candidates.map((f) => `token-field=${f}`).join(' or ') : 'token-field=<path of the token in the answer>');
  }
  return out;
}

/** The dotted paths of string fields of a JSON answer (for a message: names only, never values). */
export function answerFields(text: string): string[] {
  const json = parseJson(text);
  return json === undefined ? [] : leaves(json).filter((l) => typeof l.value === 'string').map((l) => l.path);
}
