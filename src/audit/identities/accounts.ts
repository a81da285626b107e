// Accounts of the audit's own (issue 19 item 4). When the target lets anyone sign up, the audit
// registers an account for itself (a unique name, a strong random password, a value the spec
// accepts for every other required field), logs in as it, and uses it, never an identity it was
// given, for anything that changes account state (privileged fields above all). Each account is
// in the ledger as made by the audit; it is deleted at the end when the target offers a DELETE on
// it, else the report names it as left behind on purpose.
import { randomBytes } from 'node:crypto';
import type { HttpRequestSpec, HttpResult, UsableResult } from '../http/client.ts';
import { usable } from '../http/client.ts';
import { parseJson } from '../lib/links.ts';
import { isRegistration } from '../safety/policy.ts';
import type { ApiSpec, Operation } from '../spec/load.ts';
import { matchTemplate } from '../spec/load.ts';
import { isObject } from '../spec/refs.ts';
import type { Json, JsonObject } from '../spec/refs.ts';
import { synthesize } from '../spec/synth.ts';
import type { Target } from '../target.ts';
import type { AuditIdentity } from './identity.ts';
import { PASSWORD_NAME, properties } from './login.ts';
import type { Field } from './login.ts';

const USER_FIELD = /^(?:user(?:_?name)?|login|account|handle|nick(?:name)?|name|display_?name)$/i;
const EMAIL_FIELD = /^e-?mail(?:_?address)?$/i;
const ACCOUNT_COLLECTION = /^(?:users?|accounts?|members?|profiles?|customers?)$/i;

/** A sign-up the spec describes: a JSON POST named like one, with one password field. */
export interface Registration {
  operation: Operation;
  fields: Field[];
  userField?: string;
  emailField?: string;
  passwordField: string;
}

export function findRegistration(spec: ApiSpec | undefined): Registration | undefined {
  for (const operation of spec?.operations ?? []) {
    if (!isRegistration(operation) || operation.requestBody === undefined || !/json/i.test(operation.requestBody.contentType)) continue;
    const fields = properties(spec!.document, operation.requestBody.schema);
    const password = fields.find((f) => f.schema.format === 'password') ?? fields.find((f) => PASSWORD_NAME.test(f.name));
    if (password === undefined) continue;
    const email = fields.find((f) => f.schema.format === 'email') ?? fields.find((f) => EMAIL_FIELD.test(f.name));
    const user = fields.find((f) => f !== email && f !== password && USER_FIELD.test(f.name));
    if (user === undefined && email === undefined) continue;
    return { operation, fields, passwordField: password.name, ...(user === undefined ? {} : { userField: user.name }), ...(email === undefined ? {} : { emailField: email.name }) };
  }
  return undefined;
}

/** Credentials of a new account: a name no one has (letters and digits only, which every rule accepts) and a strong random password. */
export function newCredentials(): { username: string; email: string; password: string } {
  const username = `rampart${randomBytes(5).toString('hex')}`;
  // Upper and lower case, a digit and a symbol whatever the random part holds: composition rules pass.
  const password = `Rp9!${randomBytes(18).toString('base64url')}`;
  return { username, email: `${username}@example.com`, password };
}

/** The sign-up body: the account's name, email and password, a value the spec accepts for every other required field, and `extra`. */
export function registrationBody(spec: ApiSpec, registration: Registration, account: { username: string; email: string; password: string }, extra: JsonObject = {}): JsonObject {
  const body: JsonObject = {};
  for (const field of registration.fields) {
    if (field.name === registration.passwordField) body[field.name] = account.password;
    else if (field.name === registration.emailField) body[field.name] = account.email;
    else if (field.name === registration.userField) body[field.name] = account.username;
    else if (field.required) {
      const value = synthesize(spec.document, field.schema);
      if (value !== undefined) body[field.name] = value;
    }
  }
  return { ...body, ...extra };
}

export interface Account {
  username: string;
  email: string;
  password: string;
  /** Its id, from the sign-up's answer. */
  id?: string;
  /** Where it lives, when the spec has a route on it (`/users/{id}`). */
  url?: URL;
  /** Deleted at the end by a DELETE the spec offers on it; false: left behind on purpose. */
  deletable: boolean;
  /** What it was made for, and the privileged values it was registered with. */
  why: string;
  extra: JsonObject;
  identity: AuditIdentity;
  /** The sign-up's answer. */
  answer: UsableResult;
  /** Set at the end: deleted and verified gone. */
  removed?: boolean;
}

export interface AccountDeps {
  spec: ApiSpec;
  target: Target;
  registration: Registration;
  /** Sends the sign-up (anonymously, marked as the audit's own registration). */
  send(request: HttpRequestSpec): Promise<HttpResult>;
  /** A login identity for the new account. */
  identity(account: { username: string; email: string; password: string }): AuditIdentity;
  /** Told of each account made, before anything else is done with it. */
  made(account: Account): void;
}

/** The id of the account the sign-up's answer describes (top level or one level down). */
function accountId(json: Json | undefined): string | undefined {
  if (!isObject(json)) return undefined;
  for (const node of [json, ...Object.values(json).filter(isObject)]) {
    const id = node.id ?? node.user_id ?? node.userId ?? node.uid;
    if (typeof id === 'string' || typeof id === 'number') return String(id);
  }
  return undefined;
}

/** The spec's operations on one account (`/users/{id}`, `/accounts/{id}`…). */
function accountItemOperations(spec: ApiSpec): Operation[] {
  return spec.operations.filter((o) => {
    const segments = o.path.split('/').filter(Boolean);
    return segments.length >= 2 && /^\{[^}]+\}$/.test(segments.at(-1)!) && ACCOUNT_COLLECTION.test(segments.at(-2)!) && (segments.slice(0, -1).join('/').match(/\{/g) ?? []).length === 0;
  });
}

/** Can the audit delete an account it registers (a DELETE on the account's own route)? Otherwise it would stay behind. */
export function accountsDeletable(spec: ApiSpec): boolean {
  return accountItemOperations(spec).some((o) => o.method === 'DELETE');
}

/** Registers and logs in accounts of the audit's own; the first ordinary one is the throwaway shared by the checks. */
export class Accounts {
  readonly made: Account[] = [];
  readonly #deps: AccountDeps;
  #throwaway: Promise<Account | string> | undefined;

  constructor(deps: AccountDeps) {
    this.#deps = deps;
  }

  get registration(): Registration {
    return this.#deps.registration;
  }

  /** Signs up a new account (with `extra` fields in the body) and logs in as it; a string says why not. */
  async register(why: string, extra: JsonObject = {}, send: AccountDeps['send'] = (request) => this.#deps.send(request)): Promise<Account | string> {
    const { spec, target, registration } = this.#deps;
    const credentials = newCredentials();
    const body = registrationBody(spec, registration, credentials, extra);
    const result = await send({
      method: 'POST',
      url: target.url(registration.operation.path),
      headers: { 'content-type': 'application/json', accept: 'application/json' },
      body: JSON.stringify(body),
      purpose: `register an account of the audit's own (${credentials.username}) ${why}`,
      register: true,
    });
    if (!usable(result)) return `the sign-up at POST ${registration.operation.path} got no usable answer (${result.error})`;
    if (result.response.status < 200 || result.response.status >= 300) return `the sign-up at POST ${registration.operation.path} answered ${result.response.status}`;
    const id = accountId(parseJson(result.response.text));
    const url = this.#accountUrl(id, result);
    const account: Account = {
      ...credentials,
      ...(id === undefined ? {} : { id }),
      ...(url === undefined ? {} : { url: url.url }),
      deletable: url?.deletable ?? false,
      why,
      extra,
      identity: this.#deps.identity(credentials),
      answer: result,
    };
    this.made.push(account);
    this.#deps.made(account);
    return account;
  }

  /** The shared throwaway account (registered on first use); a string says why there is none. */
  throwaway(send?: AccountDeps['send']): Promise<Account | string> {
    this.#throwaway ??= this.register('for the probes that change account state', {}, send);
    return this.#throwaway;
  }

  /** Makes an ordinary account already registered (e.g. a probe's, whose privileged fields did not land) the throwaway. */
  adopt(account: Account): void {
    this.#throwaway ??= Promise.resolve(account);
  }

  /** The account's own route (`/users/{id}`) from its Location or the spec, and whether the spec can delete it there. */
  #accountUrl(id: string | undefined, result: UsableResult): { url: URL; deletable: boolean } | undefined {
    const { spec, target } = this.#deps;
    const item = accountItemOperations(spec);
    const location = result.response.headers.location;
    let url: URL | undefined;
    if (location !== undefined) {
      try {
        url = new URL(location, target.url(this.#deps.registration.operation.path));
      } catch {
        url = undefined;
      }
    }
    if (url === undefined && id !== undefined && item[0] !== undefined) url = target.url(item[0].path.replace(/\{[^}]+\}$/, encodeURIComponent(id)));
    if (url === undefined) return undefined;
    const route = target.routeOf(url);
    const deletable = item.some((o) => o.method === 'DELETE' && matchTemplate(o.path, route));
    return { url, deletable };
  }
}
