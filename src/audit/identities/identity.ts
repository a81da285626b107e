// An identity the auditor acts as. Static credentials are sent as given; a login identity
// performs the OAuth2 password grant itself, once, and again (once) when an answer says its
// token stopped working.
import type { HttpRequestSpec, HttpResult } from '../http/client.ts';
import { usable } from '../http/client.ts';
import { parseJson } from '../lib/links.ts';
import { isObject } from '../spec/refs.ts';
import type { Credential, IdentityRole, IdentitySpec } from './config.ts';

export interface AuditIdentity {
  name: string;
  role: IdentityRole;
  kind: 'bearer' | 'header' | 'cookie' | 'login';
  /** The credential headers to add to a request (a login identity logs in on first use). */
  headers(): Promise<Record<string, string>>;
  /** The bearer token in use (static or from the login), for checks that inspect it. */
  token(): string | undefined;
  /** For a login identity: where and how it logs in (`fields`: the form fields besides username and password). */
  login?: { tokenUrl: string; username: string; fields: Record<string, string> };
}

export type Sender = (request: HttpRequestSpec) => Promise<HttpResult>;

export class LoginFailed extends Error {}

export class ConfiguredIdentity implements AuditIdentity {
  readonly name: string;
  readonly role: IdentityRole;
  readonly kind: AuditIdentity['kind'];
  readonly login?: { tokenUrl: string; username: string; fields: Record<string, string> };
  readonly #credential: Credential;
  readonly #send: Sender;
  readonly #dryRun: boolean;
  #token: string | undefined;
  #pending: Promise<string> | undefined;
  #relogins = 0;

  constructor(spec: IdentitySpec, options: { tokenUrl?: URL; send: Sender; dryRun?: boolean }) {
    this.name = spec.name;
    this.role = spec.role;
    this.kind = spec.credential.kind;
    this.#credential = spec.credential;
    this.#send = options.send;
    this.#dryRun = options.dryRun === true;
    if (spec.credential.kind === 'bearer') this.#token = spec.credential.token;
    if (spec.credential.kind === 'login') {
      if (options.tokenUrl === undefined) throw new LoginFailed(`identity ${spec.name}: no token URL (none in the spec's oauth2 password flow): pass --token-url`);
      this.login = {
        tokenUrl: options.tokenUrl.href,
        username: spec.credential.username,
        fields: { grant_type: 'password', ...(spec.credential.scope === undefined ? {} : { scope: spec.credential.scope }) },
      };
    }
  }

  /** Values that must never appear in a report. */
  get secrets(): string[] {
    const c = this.#credential;
    const out = c.kind === 'bearer' ? [c.token] : c.kind === 'header' ? [c.value] : c.kind === 'cookie' ? [c.value] : [c.password];
    if (this.#token !== undefined) out.push(this.#token);
    return out.filter((s) => s.length >= 4);
  }

  token(): string | undefined {
    return this.#token;
  }

  async headers(): Promise<Record<string, string>> {
    const c = this.#credential;
    switch (c.kind) {
      case 'bearer':
        return { authorization: `Bearer ${c.token}` };
      case 'header':
        return { [c.name.toLowerCase()]: c.value };
      case 'cookie':
        return { cookie: c.value };
      case 'login':
        return { authorization: `Bearer ${this.#token ?? (await this.#logIn())}` };
    }
  }

  /** Logs in again after a 401; false when this identity cannot (static) or already did too often. */
  async refresh(): Promise<boolean> {
    if (this.kind !== 'login' || this.#relogins >= 3) return false;
    this.#relogins++;
    this.#token = undefined;
    await this.#logIn();
    return true;
  }

  #logIn(): Promise<string> {
    // One login at a time, shared by every request waiting for it.
    this.#pending ??= this.#performLogin().finally(() => {
      this.#pending = undefined;
    });
    return this.#pending;
  }

  async #performLogin(): Promise<string> {
    const c = this.#credential;
    if (c.kind !== 'login' || this.login === undefined) throw new LoginFailed(`identity ${this.name} does not log in`);
    if (this.#dryRun) return (this.#token = 'dry-run-token');
    const form = new URLSearchParams({ ...this.login.fields, username: c.username, password: c.password });
    const result = await this.#send({
      method: 'POST',
      url: this.login.tokenUrl,
      headers: { 'content-type': 'application/x-www-form-urlencoded', accept: 'application/json' },
      body: form.toString(),
      purpose: `log in as ${this.name}`,
    });
    if (!usable(result)) throw new LoginFailed(`identity ${this.name}: the login at ${this.login.tokenUrl} got no usable answer (${result.error})`);
    const { status, text } = result.response;
    const json = parseJson(text);
    const token = isObject(json) ? (json.access_token ?? json.token) : undefined;
    if (status !== 200 || typeof token !== 'string' || token === '') {
      const error = isObject(json) && typeof json.error === 'string' ? ` (${json.error.slice(0, 60)})` : '';
      throw new LoginFailed(`identity ${this.name}: the login at ${this.login.tokenUrl} answered ${status}${error}, without an access_token`);
    }
    this.#token = token;
    return token;
  }
}

/**
 * Sends a request as an identity; a 401 makes a login identity log in again and retry once.
 * Credentials go only to the audited origin: a URL the target named (a `Location`, a link in a
 * body) may point anywhere, and must not collect an identity's token.
 */
export async function sendAs(send: Sender, identity: AuditIdentity, request: HttpRequestSpec, origin: string): Promise<HttpResult> {
  const url = new URL(request.url);
  if (url.origin !== origin) {
    return {
      outcome: 'failed',
      request: { method: request.method, url: url.href, headers: {} },
      error: `not sent: ${url.origin} is not the audited origin, and credentials of ${identity.name} go nowhere else`,
    };
  }
  const attempt = async (): Promise<HttpResult> => send({ ...request, headers: { ...(request.headers ?? {}), ...(await identity.headers()) } });
  const first = await attempt();
  if (usable(first) && first.response.status === 401 && identity instanceof ConfiguredIdentity && (await identity.refresh())) return attempt();
  return first;
}
