// Authentication (API2): how a login answers an attacker. Failed logins with no limit; a limit
// that a rotating X-Forwarded-For walks around; accounts told apart by the answer, or (with
// --intensive) by its timing, judged by a rank test over interleaved samples.
// Safety: brute-force probes use an unknown user name, never a configured identity; the
// identities' own names get at most MAX_FAILURES_PER_IDENTITY wrong passwords in the whole run,
// below any sane lockout, and each logs in again right after them to prove it still can.
import { randomInt } from 'node:crypto';
import type { Check, CheckContext } from '../check.ts';
import type { Location } from '../finding.ts';
import type { HttpRequestSpec, HttpResult, UsableResult } from '../http/client.ts';
import { usable } from '../http/client.ts';
import type { AuditIdentity } from '../identities/identity.ts';
import { ConfiguredIdentity } from '../identities/identity.ts';
import { notALogin } from '../identities/login.ts';
import { differentAnswer, sameAnswer } from '../lib/compare.ts';
import { exchange } from '../lib/evidence.ts';
import { parseJson } from '../lib/links.ts';
import { compareTimings, median } from '../lib/stats.ts';
import type { Operation } from '../spec/load.ts';
import { isObject } from '../spec/refs.ts';
import { passwordFields } from '../spec/synth.ts';
import { logoutRevokes } from './logout.ts';

/** Failed logins sent for one unknown name before concluding there is no limit. */
export const FAILED_LOGINS = 20;
export const MAX_FAILURES_PER_IDENTITY = 3;
const MAX_ENDPOINTS = 3;
const MIN_TIMING_SAMPLES = 5;
const TIMING_P = 0.01;
const TIMING_MIN_GAP_MS = 5;
const LIMIT_TEXT = /too many|rate.?limit|locked|lockout|try again later|slow down|throttl/i;
const USERNAME_FIELD = /^(?:user(?:_?name)?|login|email|e-mail|account|identifier|handle)$/i;

export interface LoginEndpoint {
  location: Location;
  url: URL;
  contentType: 'form' | 'json';
  usernameField: string;
  passwordField: string;
  /** Other fields the request needs (OAuth2 grant_type, synthesised JSON fields). */
  fields: Record<string, unknown>;
  /** Configured identities that log in here: their names are known to exist. */
  known: AuditIdentity[];
}

export const authenticationCheck: Check = {
  id: 'authentication',
  title: 'Authentication',
  owasp: 'API2:2023',
  cwe: 307,
  summary: 'No limit on failed logins, a limit bypassed by rotating X-Forwarded-For, user enumeration by answer or (--intensive) timing, a logout that leaves its token working.',
  needs: ['spec', 'identities'],
  exclusive: true,
  rules: [
    {
      id: 'authentication.no-login-limit',
      title: 'No limit on failed logins',
      severity: 'high',
      owasp: 'API2:2023',
      cwe: 307,
      fix: 'Limit failed logins per account and per client (e.g. 5 per account per 15 minutes, then 429 with Retry-After or a temporary lock), and record each failure as a security event.',
    },
    {
      id: 'authentication.limit-bypass-xff',
      title: 'The login limit is bypassed by rotating X-Forwarded-For',
      severity: 'high',
      owasp: 'API2:2023',
      cwe: 307,
      fix: 'Take the client address from the socket, or from X-Forwarded-For only when the request comes from a configured proxy (and then its last untrusted hop); also limit per account, whatever the address.',
    },
    {
      id: 'authentication.user-enumeration',
      title: 'Login answers tell existing accounts from unknown ones',
      severity: 'medium',
      owasp: 'API2:2023',
      cwe: 204,
      fix: 'Answer a wrong password and an unknown user with the same status, body and headers (e.g. 401 "invalid credentials").',
    },
    {
      id: 'authentication.user-enumeration-timing',
      title: 'Login timing tells existing accounts from unknown ones',
      severity: 'medium',
      owasp: 'API2:2023',
      cwe: 203,
      fix: 'Do the same work for an unknown user as for a wrong password: verify the password against a fixed dummy hash of the same cost before answering.',
    },
    {
      id: 'authentication.logout-not-revoking',
      title: 'Logout does not end the session',
      severity: 'medium',
      owasp: 'API2:2023',
      cwe: 613,
      fix: 'Make logout revoke the token it was called with on the server (a deny-list of its `jti` until `exp`, or a session row deleted), not only clear the cookie; keep access tokens short-lived.',
    },
  ],
  async run(ctx: CheckContext): Promise<void> {
    // First, before the brute-force series can trip a limiter that would refuse the fresh login.
    await logoutRevokes(ctx, (logout, exchanges, summary) => {
      ctx.report({ rule: 'authentication.logout-not-revoking', confidence: 'confirmed', location: { method: logout.method, route: logout.path }, evidence: { summary, exchanges } });
    });
    const endpoints = loginEndpoints(ctx).slice(0, MAX_ENDPOINTS);
    if (endpoints.length === 0) {
      ctx.note('no login found: no identity logs in and no spec operation takes a password');
      return;
    }
    const failures = new Map<AuditIdentity, number>();
    for (const endpoint of endpoints) {
      if (ctx.remaining < 3 * FAILED_LOGINS) {
        ctx.note(`not enough request budget left to probe the login at ${endpoint.location.route}`);
        continue;
      }
      await enumeration(ctx, endpoint, failures);
      if (ctx.intensive && endpoint.known.length > 0) await timing(ctx, endpoint, failures);
      // Before the brute-force series, which may trip a per-client limiter that has nothing to do with them.
      await verifyIdentities(ctx, endpoint.known.filter((i) => failures.has(i)));
      await bruteForce(ctx, endpoint);
    }
  },
};

export function loginEndpoints(ctx: CheckContext): LoginEndpoint[] {
  const out = new Map<string, LoginEndpoint>();
  const spec = ctx.spec!;
  const operationAt = (url: URL): Operation | undefined => spec.operations.find((o) => o.method === 'POST' && ctx.target.url(o.path).pathname === url.pathname);
  for (const identity of ctx.identities) {
    if (identity.login === undefined) continue;
    const url = new URL(identity.login.tokenUrl);
    const existing = out.get(url.pathname);
    if (existing) {
      existing.known.push(identity);
      continue;
    }
    const operation = operationAt(url);
    out.set(url.pathname, {
      location: { method: 'POST', route: operation?.path ?? ctx.target.routeOf(url) },
      url,
      contentType: identity.login.body,
      usernameField: identity.login.userField,
      passwordField: identity.login.passwordField,
      fields: { ...identity.login.fields },
      known: [identity],
    });
  }
  for (const operation of spec.operations) {
    // A sign-up or a password reset also takes a password, but it is not where failed logins are counted.
    if (operation.method !== 'POST' || operation.requestBody === undefined || notALogin(operation)) continue;
    const [passwordField, ...more] = passwordFields(spec.document, operation.requestBody.schema);
    if (passwordField === undefined || more.length > 0 || passwordField.includes('.')) continue;
    const url = ctx.target.url(operation.path);
    if (out.has(url.pathname)) continue;
    const planned = ctx.planner!.bodyFor(operation);
    const body = planned === undefined ? undefined : /json/.test(planned.contentType) ? parseJson(planned.body) : Object.fromEntries(new URLSearchParams(planned.body));
    if (!isObject(body)) continue;
    const usernameField = Object.keys(body).find((key) => USERNAME_FIELD.test(key));
    if (usernameField === undefined) continue;
    out.set(url.pathname, {
      location: { method: 'POST', route: operation.path },
      url,
      contentType: planned !== undefined && /json/.test(planned.contentType) ? 'json' : 'form',
      usernameField,
      passwordField,
      fields: body,
      known: [],
    });
  }
  return [...out.values()];
}

function attempt(ctx: CheckContext, endpoint: LoginEndpoint, username: string, purpose: string, headers: Record<string, string> = {}): Promise<HttpResult> {
  const values = { ...endpoint.fields, [endpoint.usernameField]: username, [endpoint.passwordField]: `Wrong-${ctx.token}-${randomInt(1e6)}-Pw!` };
  const body =
    endpoint.contentType === 'json'
      ? JSON.stringify(values)
      : new URLSearchParams(Object.entries(values).map(([k, v]): [string, string] => [k, typeof v === 'string' ? v : JSON.stringify(v)])).toString();
  const request: HttpRequestSpec = {
    method: 'POST',
    url: endpoint.url,
    headers: { 'content-type': endpoint.contentType === 'json' ? 'application/json' : 'application/x-www-form-urlencoded', ...headers },
    body,
    purpose,
    onThrottle: 'observe',
  };
  return ctx.send(request);
}

function unknownName(ctx: CheckContext, label: string): string {
  return `rampart-probe-${ctx.token}-${label}`;
}

/** A plain failed login: refused (400/401/403), neither throttled nor locked. */
function plainFailure(result: HttpResult): result is UsableResult {
  return usable(result) && [400, 401, 403].includes(result.response.status) && !limitedAnswer(result);
}

/** The answer shows a limit: 429/423/503, Retry-After, a lockout message, or no requests left. */
function limitedAnswer(result: HttpResult): boolean {
  if (result.outcome === 'throttled') return true;
  if (!usable(result)) return false;
  const { status, headers, text } = result.response;
  if (status === 429 || status === 423 || status === 503 || headers['retry-after'] !== undefined) return true;
  const remaining = Object.entries(headers).find(([name]) => /^(?:x-)?rate-?limit-remaining$/i.test(name))?.[1];
  if (remaining !== undefined && /^\s*0\b/.test(remaining)) return true;
  return status >= 400 && LIMIT_TEXT.test(text.slice(0, 2000));
}

/** What a login attempt got, named by its real cause (a 404 is not a limit, a limit is not a refusal). */
export function attemptOutcome(result: HttpResult): string {
  const got = answered(result);
  if (got === undefined) return `no usable answer (${result.outcome === 'ok' ? 'empty' : result.error})`;
  const { status, headers } = got.response;
  if (limitedAnswer(result)) {
    const sign = result.outcome === 'throttled' ? 'throttled' : status === 429 || status === 423 ? 'too many attempts' : headers['retry-after'] !== undefined ? `Retry-After: ${headers['retry-after']}` : 'a limit or lockout message';
    return `${status}, a limit (${sign})`;
  }
  if (status === 404) return '404 Not Found (the route, or an answer for unknown names), not a limit';
  if (status >= 200 && status < 300) return `${status}: the login succeeded`;
  if (status >= 500) return `${status}: a server error`;
  return `${status}`;
}

/** A throttled answer observed on purpose is still an answer: evidence shows it. */
function answered(result: HttpResult): UsableResult | undefined {
  if (usable(result)) return result;
  return result.outcome === 'throttled' && result.response !== undefined ? { outcome: 'ok', request: result.request, response: result.response } : undefined;
}

function hasRateHeaders(result: UsableResult): boolean {
  return Object.keys(result.response.headers).some((name) => /^(?:x-)?rate-?limit/i.test(name));
}

function spend(failures: Map<AuditIdentity, number>, identity: AuditIdentity): boolean {
  const used = failures.get(identity) ?? 0;
  if (used >= MAX_FAILURES_PER_IDENTITY) return false;
  failures.set(identity, used + 1);
  return true;
}

async function enumeration(ctx: CheckContext, endpoint: LoginEndpoint, failures: Map<AuditIdentity, number>): Promise<void> {
  const identity = endpoint.known.find((i) => (failures.get(i) ?? 0) < MAX_FAILURES_PER_IDENTITY);
  if (identity?.login === undefined) return;
  const first = unknownName(ctx, 'nobody-1');
  const second = unknownName(ctx, 'nobody-2');
  const a = await attempt(ctx, endpoint, first, 'enumeration: unknown user');
  const b = await attempt(ctx, endpoint, second, 'enumeration: another unknown user');
  if (!plainFailure(a) || !plainFailure(b)) return;
  const echoes = [first, second, identity.login.username];
  if (!sameAnswer(a.response, b.response, echoes)) {
    ctx.note(`${endpoint.location.route}: two unknown users got different answers; enumeration by answer not judged`);
    return;
  }
  spend(failures, identity);
  const k = await attempt(ctx, endpoint, identity.login.username, `enumeration: ${identity.name}'s name, wrong password`);
  if (!plainFailure(k) || !differentAnswer(a.response, k.response, echoes)) return;
  ctx.report({
    rule: 'authentication.user-enumeration',
    confidence: 'confirmed',
    location: endpoint.location,
    evidence: {
      summary: `Two unknown user names got the same ${a.response.status} answer; an existing account (${identity.name}) with a wrong password got ${k.response.status === a.response.status ? 'a different body' : `${k.response.status}`}: anyone can test which accounts exist.`,
      exchanges: [exchange('unknown user', a), exchange('another unknown user', b), exchange('existing user, wrong password', k)],
    },
  });
}

async function timing(ctx: CheckContext, endpoint: LoginEndpoint, failures: Map<AuditIdentity, number>): Promise<void> {
  const known: number[] = [];
  const unknown: number[] = [];
  let sampleKnown: UsableResult | undefined;
  let sampleUnknown: UsableResult | undefined;
  for (const identity of endpoint.known) {
    while (identity.login !== undefined && spend(failures, identity)) {
      // Interleaved, so that a change in the machine's load hits both groups alike.
      const u = await attempt(ctx, endpoint, unknownName(ctx, `timing-${unknown.length}`), 'timing: unknown user');
      const k = await attempt(ctx, endpoint, identity.login.username, `timing: ${identity.name}'s name, wrong password`);
      if (!plainFailure(u) || !plainFailure(k)) {
        const bad = !plainFailure(u) ? `an unknown user got ${attemptOutcome(u)}` : `${identity.name}'s name with a wrong password got ${attemptOutcome(k)}`;
        ctx.note(`${endpoint.location.route}: a timing sample was not a plain failed login (${bad}); timing not judged`);
        return;
      }
      unknown.push(u.response.durationMs);
      known.push(k.response.durationMs);
      sampleKnown = k;
      sampleUnknown = u;
    }
  }
  if (known.length < MIN_TIMING_SAMPLES || sampleKnown === undefined || sampleUnknown === undefined) {
    ctx.note(`${endpoint.location.route}: only ${known.length} timing samples allowed for existing accounts (at most ${MAX_FAILURES_PER_IDENTITY} wrong passwords per identity); configure more login identities to judge timing`);
    return;
  }
  const verdict = compareTimings(known, unknown);
  if (verdict.p >= TIMING_P || verdict.medianGapMs < TIMING_MIN_GAP_MS) return;
  ctx.report({
    rule: 'authentication.user-enumeration-timing',
    confidence: 'firm',
    location: endpoint.location,
    evidence: {
      summary: `Wrong passwords for existing accounts took a median ${median(known).toFixed(1)} ms, for unknown users ${median(unknown).toFixed(1)} ms (${known.length} interleaved samples each; Mann-Whitney U one-sided p = ${verdict.p.toPrecision(2)}): whatever the answers say, the time alone tells existing accounts from unknown ones.`,
      exchanges: [exchange('unknown user (one sample)', sampleUnknown), exchange('existing user, wrong password (one sample)', sampleKnown)],
    },
  });
}

function documentationAddress(): string {
  // TEST-NET ranges (RFC 5737): never routed, so the header can only be a lie.
  const nets = ['192.0.2', '198.51.100', '203.0.113'];
  return `${nets[randomInt(nets.length)]!}.${randomInt(1, 255)}`;
}

async function bruteForce(ctx: CheckContext, endpoint: LoginEndpoint): Promise<void> {
  const name = unknownName(ctx, 'brute');
  let first: UsableResult | undefined;
  let last: UsableResult | undefined;
  let limitedAt: number | undefined;
  let limitedResult: UsableResult | undefined;
  for (let i = 1; i <= FAILED_LOGINS; i++) {
    const result = await attempt(ctx, endpoint, name, `failed login ${i}/${FAILED_LOGINS} (unknown user)`);
    if (limitedAnswer(result)) {
      limitedAt = i;
      limitedResult = answered(result);
      break;
    }
    if (!plainFailure(result)) {
      ctx.note(`${endpoint.location.route}: failed login ${i} got ${attemptOutcome(result)}; no conclusion about a limit`);
      return;
    }
    first ??= result;
    last = result;
  }
  if (limitedAt === undefined) {
    if (first === undefined || last === undefined || hasRateHeaders(last)) return;
    ctx.report({
      rule: 'authentication.no-login-limit',
      confidence: 'confirmed',
      location: endpoint.location,
      evidence: {
        summary: `${FAILED_LOGINS} failed logins in a row for one user name were all answered ${last.response.status}, with no 429, no lock and no rate-limit headers: passwords can be guessed without limit.`,
        exchanges: [exchange(`failed login 1 of ${FAILED_LOGINS}`, first), exchange(`failed login ${FAILED_LOGINS} of ${FAILED_LOGINS}`, last)],
      },
    });
    return;
  }
  // A limit exists. Does it hold when every attempt claims another client address?
  let passed = 0;
  let lastPassed: UsableResult | undefined;
  const tries = Math.max(FAILED_LOGINS, limitedAt + 5);
  for (let i = 1; i <= tries; i++) {
    const result = await attempt(ctx, endpoint, name, `failed login ${i}/${tries}, rotating X-Forwarded-For`, { 'x-forwarded-for': documentationAddress() });
    if (limitedAnswer(result) || !plainFailure(result)) return;
    passed++;
    lastPassed = result;
  }
  if (lastPassed === undefined || limitedResult === undefined) return;
  ctx.report({
    rule: 'authentication.limit-bypass-xff',
    confidence: 'confirmed',
    location: endpoint.location,
    evidence: {
      summary: `Failed logins for one user name were limited after ${limitedAt - 1} (answer ${limitedResult.response.status}); ${passed} more for the same name, each with another X-Forwarded-For, were all answered as plain failures: the limit trusts a header the client writes.`,
      exchanges: [exchange(`failed login ${limitedAt}: limited`, limitedResult), exchange(`failed login ${passed} with a rotated X-Forwarded-For: not limited`, lastPassed)],
    },
  });
}

/** Each identity whose name got wrong passwords logs in again: proof it is not locked out. */
async function verifyIdentities(ctx: CheckContext, identities: AuditIdentity[]): Promise<void> {
  for (const identity of identities) {
    if (!(identity instanceof ConfiguredIdentity)) continue;
    try {
      await identity.refresh();
    } catch (error) {
      ctx.note(`SAFETY: identity ${identity.name} could not log in after the login probes (${error instanceof Error ? error.message : String(error)})`);
    }
  }
}
