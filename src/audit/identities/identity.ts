// An identity the auditor acts as. Static credentials are sent as given, in whatever header or
// cookie they travel. A login identity logs in itself (identities/login.ts: the OAuth2 password
// grant or the JSON or form login the spec shows), logs in again before its token's `exp` and
// after a 401, and sends its token where the target expects it.
import type { HttpRequestSpec, HttpResult } from '../http/client.ts';
import { usable } from '../http/client.ts';
import { decodeJwt } from '../jwt/token.ts';
import { excerpt } from '../lib/evidence.ts';
import type { Target } from '../target.ts';
import type { Credential, IdentityRole, IdentitySpec } from './config.ts';
import { answerFields, carry, issuedToken, loginBody, suggestions } from './login.ts';
import type { Carrier, IssuedToken, LoginPlan } from './login.ts';
import { scrubText } from './redact.ts';

export interface AuditIdentity {
  name: string;
  role: IdentityRole;
  kind: 'bearer' | 'header' | 'cookie' | 'login';
  /** The credential headers to add to a request (a login identity logs in on first use, and again before its token expires). */
  headers(): Promise<Record<string, string>>;
  /** The token in use, wherever it travels (the header's value without its scheme, a cookie's value, the login's token). */
  token(): string | undefined;
  /** Does the credential travel in a Cookie header? */
  readonly inCookie: boolean;
  /** For a login identity: where and how it logs in (`fields`: what the body holds besides the user name and password). */
  login?: { tokenUrl: string; username: string; fields: Record<string, unknown>; body: 'json' | 'form'; userField: string; passwordField: string };
}

export type Sender = (request: HttpRequestSpec) => Promise<HttpResult>;

export class LoginFailed extends Error {}

/** A 401 makes a login identity log in again, unless it already did for a 401 this recently. */
const RELOGIN_QUIET_MS = 30_000;
const MAX_RELOGINS = 200;

/** Log in again when this little of the token's life is left. */
function margin(lifetimeMs: number): number {
  return Math.min(30_000, Math.max(2_000, lifetimeMs * 0.2));
}

/** The value of a static credential without a scheme word before it, or a cookie's JWT (else its only value). */
function staticToken(credential: Credential): string | undefined {
  switch (credential.kind) {
    case 'bearer':
      return credential.token;
    case 'header': {
      const parts = credential.value.split(/\s+/);
      return parts.length === 2 && /^[A-Za-z][\w-]*$/.test(parts[0]!) ? parts[1] : credential.value;
    }
    case 'cookie': {
      const values = credential.value.split(';').map((p) => p.slice(p.indexOf('=') + 1).trim()).filter((v) => v !== '');
      return values.find((v) => decodeJwt(v) !== undefined) ?? (values.length === 1 ? values[0] : undefined);
    }
    case 'login':
      return undefined;
  }
}

export class ConfiguredIdentity implements AuditIdentity {
  readonly name: string;
  readonly role: IdentityRole;
  readonly kind: AuditIdentity['kind'];
  login?: AuditIdentity['login'];
  readonly #credential: Credential;
  readonly #send: Sender;
  readonly #dryRun: boolean;
  readonly #plans: LoginPlan[];
  readonly #carrier: Carrier;
  readonly #target: Target | undefined;
  #plan: LoginPlan | undefined;
  #token: IssuedToken | undefined;
  /** Every token and session this identity was given: all are masked in reports and logs. */
  readonly #issued: string[] = [];
  #pending: Promise<IssuedToken> | undefined;
  #loggedInAt = 0;
  #after401 = false;
  #relogins = 0;

  constructor(spec: IdentitySpec, options: { plans?: LoginPlan[]; carrier?: Carrier; target?: Target; send: Sender; dryRun?: boolean }) {
    this.name = spec.name;
    this.role = spec.role;
    this.kind = spec.credential.kind;
    this.#credential = spec.credential;
    this.#send = options.send;
    this.#dryRun = options.dryRun === true;
    this.#plans = options.plans ?? [];
    this.#carrier = options.carrier ?? { in: 'header', name: 'authorization', scheme: 'Bearer' };
    this.#target = options.target;
    if (spec.credential.kind === 'login') {
      if (this.#plans.length === 0) {
        throw new LoginFailed(`identity ${spec.name}: no login found: the spec has no OAuth2 password flow and no operation that takes a user name and a password; pass login-url=… (with login-body=json|form, user-field=…, password-field=…) in --identity, or --token-url`);
      }
      this.#describe(this.#plans[0]!);
    }
  }

  #describe(plan: LoginPlan): void {
    const c = this.#credential;
    if (c.kind !== 'login') return;
    this.login = { tokenUrl: plan.url.href, username: c.username, fields: { ...plan.fields }, body: plan.body, userField: plan.userField, passwordField: plan.passwordField };
  }

  get inCookie(): boolean {
    if (this.#credential.kind === 'cookie') return true;
    return this.#credential.kind === 'login' && (this.#carrier.in === 'cookie' || this.#token?.from === 'cookie');
  }

  /** Values that must never appear in a report or a log. */
  get secrets(): string[] {
    const c = this.#credential;
    const out = c.kind === 'bearer' ? [c.token] : c.kind === 'header' ? [c.value, staticToken(c) ?? ''] : c.kind === 'cookie' ? [c.value, ...c.value.split(';').map((p) => p.slice(p.indexOf('=') + 1).trim())] : [c.password, c.clientSecret ?? ''];
    for (const issued of this.#issued) out.push(issued, ...issued.split(';').map((p) => p.slice(p.indexOf('=') + 1).trim()));
    return out.filter((s) => s.length >= 4);
  }

  token(): string | undefined {
    if (this.#credential.kind !== 'login') return staticToken(this.#credential);
    const token = this.#token;
    if (token === undefined) return undefined;
    if (token.from === 'json') return token.value;
    return staticToken({ kind: 'cookie', value: token.value });
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
      case 'login': {
        let token = this.#token;
        if (token === undefined || this.#expiring(token)) token = await this.#logIn(false);
        return carry(token, this.#carrier);
      }
    }
  }

  #expiring(token: IssuedToken): boolean {
    if (token.expiresAt === undefined) return false;
    return Date.now() >= token.expiresAt - margin(token.expiresAt - this.#loggedInAt);
  }

  /** Logs in again now (after login probes, to prove the identity still can); false for a static credential. */
  async refresh(): Promise<boolean> {
    if (this.kind !== 'login') return false;
    await this.#logIn(false);
    return true;
  }

  /**
   * Logs in once more, the way that worked, and hands back the new session's credential headers
   * without making it this identity's: a probe may log that session out (logout.ts) while every
   * other check goes on with the identity's own. Undefined for a static credential or a failed login.
   */
  async openSession(): Promise<Record<string, string> | undefined> {
    const c = this.#credential;
    if (c.kind !== 'login' || this.#dryRun) return undefined;
    const plan = this.#plan ?? this.#plans[0];
    if (plan === undefined) return undefined;
    const outcome = await this.#try(plan, c.username, c.password);
    if (typeof outcome === 'string') return undefined;
    this.#issued.push(outcome.value);
    return carry(outcome, this.#carrier);
  }

  /**
   * After a 401 to `sent` (the headers the request carried): logs in again unless another request
   * already did, or this identity did for a 401 within the last 30 s (a route that refuses a
   * fresh token refuses this identity, not its token). True when a retry may help.
   */
  async renewAfter401(sent: Record<string, string>): Promise<boolean> {
    if (this.kind !== 'login' || this.#token === undefined) return false;
    const current = carry(this.#token, this.#carrier);
    if (Object.entries(current).some(([name, value]) => sent[name] !== value)) return true;
    if (this.#relogins >= MAX_RELOGINS || (this.#after401 && Date.now() - this.#loggedInAt < RELOGIN_QUIET_MS)) return false;
    this.#relogins++;
    await this.#logIn(true);
    return true;
  }

  #logIn(after401: boolean): Promise<IssuedToken> {
    // One login at a time, shared by every request waiting for it.
    this.#pending ??= this.#performLogin()
      .then((token) => {
        this.#token = token;
        this.#loggedInAt = Date.now();
        this.#after401 = after401;
        this.#issued.push(token.value);
        return token;
      })
      .finally(() => {
        this.#pending = undefined;
      });
    return this.#pending;
  }

  async #performLogin(): Promise<IssuedToken> {
    const c = this.#credential;
    if (c.kind !== 'login') throw new LoginFailed(`identity ${this.name} does not log in`);
    if (this.#dryRun) return { value: 'dry-run-token', from: 'json', at: 'dry run' };
    // The way that worked before, else each way found in turn.
    const plans = this.#plan === undefined ? this.#plans : [this.#plan];
    const failures: string[] = [];
    for (const plan of plans) {
      const outcome = await this.#try(plan, c.username, c.password);
      if (typeof outcome !== 'string') {
        this.#plan = plan;
        this.#describe(plan);
        return outcome;
      }
      failures.push(outcome);
    }
    throw new LoginFailed(failures.length === 1 ? failures[0]! : `identity ${this.name}: no login worked:\n  - ${failures.join('\n  - ')}`);
  }

  /** The issued token, or a message saying what was sent (password masked), what came back, and what to try. */
  async #try(plan: LoginPlan, username: string, password: string): Promise<IssuedToken | string> {
    const c = this.#credential as Extract<Credential, { kind: 'login' }>;
    const body = loginBody(plan, username, password);
    const result = await this.#send({
      method: 'POST',
      url: plan.url,
      headers: {
        'content-type': plan.body === 'json' ? 'application/json' : 'application/x-www-form-urlencoded',
        accept: 'application/json',
        ...(plan.basic === undefined ? {} : { authorization: plan.basic }),
      },
      body,
      purpose: `log in as ${this.name}`,
    });
    const secrets = [password, ...(c.clientSecret === undefined ? [] : [c.clientSecret, encodeURIComponent(c.clientSecret)]), encodeURIComponent(password), ...(plan.basic === undefined ? [] : [plan.basic.slice(6)])].filter((s) => s.length > 0);
    const sent = scrubText(`POST ${plan.url.href} ${plan.body === 'json' ? 'JSON' : 'form'} ${body}${plan.basic === undefined ? '' : ' with client credentials as HTTP Basic'}`, secrets);
    const head = `identity ${this.name}: the login at ${plan.url.href} (${plan.source})`;
    if (!usable(result)) return `${head} got no usable answer (${result.error}); sent ${sent}`;
    const { status, text } = result.response;
    const token = status >= 200 && status < 300 ? issuedToken(result.response, plan.tokenField) : undefined;
    if (token !== undefined) return token;
    const shown = scrubText(excerpt(text, 200), secrets).replace(/\s+/g, ' ');
    const problem = status >= 200 && status < 300 ? 'no-token' : 'refused';
    const what = problem === 'no-token' ? `answered ${status} without a token (${plan.tokenField === undefined ? 'no field named like a token, no JWT, no Set-Cookie' : `nothing at ${plan.tokenField}`})` : `answered ${status}`;
    const oauthError = /"error"\s*:\s*"([^"]{1,60})"/.exec(text)?.[1];
    const tips = this.#target === undefined ? [] : suggestions(plan, this.#plans, this.#target, problem, answerFields(text));
    return `${head} ${what}${oauthError === undefined ? '' : ` (${oauthError})`}: ${shown === '' ? '(empty body)' : shown}; sent ${sent}${tips.length === 0 ? '' : `. Options that may fix it: ${tips.join('; ')}`}`;
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
  const attempt = async (): Promise<{ result: HttpResult; headers: Record<string, string> }> => {
    const headers = await identity.headers();
    return { result: await send({ ...request, headers: { ...(request.headers ?? {}), ...headers } }), headers };
  };
  const first = await attempt();
  if (usable(first.result) && first.result.response.status === 401 && identity instanceof ConfiguredIdentity && (await identity.renewAfter401(first.headers))) return (await attempt()).result;
  return first.result;
}
