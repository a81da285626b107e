// `--identities-from-har`: the identities a HAR already holds, only when the user asks. A sign-in
// the browser made (a POST with a user name and a password that answered 2xx) becomes a login
// identity, one per user name, so the audit can log in again when the token expires; without
// one, a credential the requests carried is used as it is — one per JWT subject, and at most one
// opaque credential, since two opaque tokens may be one user and checks that compare two users
// (BOLA) would then report a user reading their own data.
import type { Credential, IdentitySpec, LoginOptions } from '../identities/config.ts';
import { KEY_HEADER, PASSWORD, SESSION_COOKIE } from './openapi.ts';
import type { Observed } from './openapi.ts';

const USER_FIELD = /^(?:user(?:_?name)?|login|email|e-mail|account|name|handle)$/i;

export interface FromHar {
  identities: IdentitySpec[];
  notes: string[];
}

function fields(request: Observed): { form: 'json' | 'form'; values: Map<string, string> } | undefined {
  const text = request.body?.text;
  if (text === undefined || text === '') return undefined;
  const type = (request.body?.mimeType ?? request.headers.find((h) => h.name.toLowerCase() === 'content-type')?.value ?? '').toLowerCase();
  if (type.includes('x-www-form-urlencoded')) return { form: 'form', values: new Map(new URLSearchParams(text)) };
  try {
    const parsed = JSON.parse(text) as unknown;
    if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed)) return undefined;
    const values = new Map<string, string>();
    for (const [key, value] of Object.entries(parsed)) if (typeof value === 'string') values.set(key, value);
    return { form: 'json', values };
  } catch {
    return undefined;
  }
}

function loginOf(request: Observed): (Credential & { kind: 'login' }) | undefined {
  const status = request.response?.status;
  if (request.method.toUpperCase() !== 'POST' || status === undefined || status < 200 || status > 299) return undefined;
  const body = fields(request);
  if (body === undefined) return undefined;
  const keys = [...body.values.keys()];
  const passwordField = keys.find((key) => PASSWORD.test(key));
  const userField = keys.find((key) => USER_FIELD.test(key));
  if (passwordField === undefined || userField === undefined) return undefined;
  const password = body.values.get(passwordField)!;
  const username = body.values.get(userField)!;
  if (password === '' || username === '') return undefined;
  return { kind: 'login', username, password, tokenUrl: `${request.url.origin}${request.url.pathname}`, body: body.form, userField, passwordField };
}

function carried(request: Observed): Credential | undefined {
  for (const { name, value } of request.headers) {
    const lower = name.toLowerCase();
    if (lower === 'authorization') {
      const bearer = /^\s*bearer\s+(\S+)\s*$/i.exec(value)?.[1];
      return bearer === undefined ? { kind: 'header', name, value } : { kind: 'bearer', token: bearer };
    }
    if (KEY_HEADER.test(name) && value !== '') return { kind: 'header', name, value };
    if (lower === 'cookie') {
      const session = value.split(';').map((pair) => pair.trim()).filter((pair) => SESSION_COOKIE.test(pair.split('=')[0] ?? ''));
      if (session.length > 0 && session.every((pair) => pair.includes('=') && !pair.endsWith('='))) return { kind: 'cookie', value: session.join('; ') };
    }
  }
  return undefined;
}

/** Where a login's token travels, as the login options say it. */
function carrierOf(credential: Credential): Pick<LoginOptions, 'tokenHeader' | 'tokenScheme' | 'tokenCookie'> {
  if (credential.kind === 'bearer') return {};
  if (credential.kind === 'cookie') return { tokenCookie: credential.value.split('=')[0]!.trim() };
  if (credential.kind !== 'header') return {};
  const scheme = /^\s*(\w+)\s+\S/.exec(credential.value)?.[1];
  return { tokenHeader: credential.name, tokenScheme: credential.name.toLowerCase() === 'authorization' && scheme !== undefined ? scheme : 'none' };
}

/** The JWT `sub` of a credential's value, when it is a JWT with one. */
function subjectOf(credential: Credential): string | undefined {
  const value = credential.kind === 'bearer' ? credential.token : credential.kind === 'header' ? credential.value.replace(/^\s*\w+\s+/, '') : credential.kind === 'cookie' ? (credential.value.split('=')[1] ?? '') : '';
  const payload = /^[\w-]+\.([\w-]+)\.[\w-]*$/.exec(value.trim())?.[1];
  if (payload === undefined) return undefined;
  try {
    const claims = JSON.parse(Buffer.from(payload, 'base64url').toString('utf8')) as { sub?: unknown };
    return typeof claims.sub === 'string' || typeof claims.sub === 'number' ? String(claims.sub) : undefined;
  } catch {
    return undefined;
  }
}

/** `taken`: names already in use by --identity (a HAR identity never replaces one). */
export function identitiesFromHar(observed: readonly Observed[], origin: string, taken: ReadonlySet<string>): FromHar {
  const mine = observed.filter((request) => request.url.origin === origin);
  const logins = new Map<string, Credential & { kind: 'login' }>();
  mine.forEach((request, index) => {
    const login = loginOf(request);
    if (login === undefined) return;
    // The token travels where the browser sent a credential next.
    const next = mine.slice(index + 1).map(carried).find((credential) => credential !== undefined);
    logins.set(login.username, { ...login, ...(next === undefined ? {} : carrierOf(next)) });
  });
  const notes: string[] = [];
  const name = (base: string): string => {
    const clean = `har-${base.replace(/[^A-Za-z0-9_.-]/g, '_')}`.slice(0, 40);
    let candidate = clean;
    for (let i = 2; taken.has(candidate); i++) candidate = `${clean.slice(0, 36)}-${i}`;
    return candidate;
  };
  if (logins.size > 0) {
    notes.push(`--identities-from-har: ${logins.size} sign-in(s) in the HAR act as identities (${[...logins.keys()].map((user) => name(user)).join(', ')}), each logging in again as it needs; all are role=user (give an admin with --identity)`);
    return { identities: [...logins.values()].map((credential) => ({ name: name(credential.username), role: 'user', credential })), notes };
  }
  const bySubject = new Map<string, Credential>();
  const opaque: Credential[] = [];
  for (const request of mine) {
    const credential = carried(request);
    if (credential === undefined) continue;
    const subject = subjectOf(credential);
    if (subject === undefined) opaque.push(credential);
    else bySubject.set(subject, credential); // the latest token of each subject
  }
  if (bySubject.size > 0) {
    notes.push(`--identities-from-har: no sign-in in the HAR; ${bySubject.size} token(s) of distinct subjects act as identities, as they are (they stop working when they expire)`);
    return { identities: [...bySubject].map(([subject, credential]) => ({ name: name(`sub-${subject}`), role: 'user', credential })), notes };
  }
  if (opaque.length > 0) {
    const distinct = new Set(opaque.map((c) => JSON.stringify(c))).size;
    notes.push(`--identities-from-har: no sign-in in the HAR; the last credential it carried acts as one identity${distinct > 1 ? ` (${distinct} were seen, but opaque credentials cannot be told apart by user, so only one is used)` : ''}`);
    return { identities: [{ name: name('1'), role: 'user', credential: opaque.at(-1)! }], notes };
  }
  notes.push('--identities-from-har: the HAR holds no sign-in and no credential for the target; no identity was added');
  return { identities: [], notes };
}
