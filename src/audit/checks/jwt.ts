// JWT validation (API2): forged variants of a token the auditor obtained as one of its own
// identities, each sent where the real token works and no token is refused. A forged token
// answered like the real one proves the target skips part of the validation: the algorithm
// (`none`), the signature, the key (HS256 signed with its own published public key, a `kid`
// pointing at an empty file), a guessable HMAC secret, or the time claims.
import type { Check, CheckContext } from '../check.ts';
import { refusal } from '../protection.ts';
import { Grouped } from '../check.ts';
import type { Exchange, Location } from '../finding.ts';
import type { HttpResult, UsableResult } from '../http/client.ts';
import { usable } from '../http/client.ts';
import type { AuditIdentity } from '../identities/identity.ts';
import { sensitiveClaims, tokensIn } from '../jwt/claims.ts';
import type { SeenToken } from '../jwt/claims.ts';
import { findJwks, publicKeyForms } from '../jwt/jwks.ts';
import { crackHmacSecret } from '../jwt/secrets.ts';
import type { DecodedJwt, JsonRecord } from '../jwt/token.ts';
import { alteredSignature, decodeJwt, hmacSign, isAsymmetric, isHmac, stripped, unsigned } from '../jwt/token.ts';
import { similarity } from '../lib/compare.ts';
import { exchange, masked } from '../lib/evidence.ts';
import { locate } from '../lib/passive.ts';
import type { Operation } from '../spec/load.ts';

// Every protected GET route costs about this many requests (the real token, no token, an
// altered and a stripped signature, four spellings of alg none). The check may use this share
// of the budget left when it starts, and always probes at least MIN_ROUTES: a fixed cap
// silently skipped routes of larger APIs, and a flaw of one verifier sits on one route group.
const REQUESTS_PER_ROUTE = 8;
const BUDGET_SHARE = 0.15;
const MIN_ROUTES = 8;
const NONE_SPELLINGS = ['none', 'None', 'NONE', 'nOnE'];
const EMPTY_FILE_KID = '../../../../../../../../dev/null';
const ALIKE = 0.9;

interface ProbeRoute {
  operation: Operation;
  /** The credential headers carrying a token where the real one travels. */
  carry: (token: string) => Record<string, string>;
  url: URL;
  location: Location;
  /** The real token's answer. */
  genuine: UsableResult;
  /** The answer without any token. */
  anonymous: UsableResult;
}

/** Makes tokens the target may accept: from a cracked secret, a confused key, or no signature at all. */
interface Signer {
  how: string;
  sign(header: JsonRecord, payload: JsonRecord): string;
}

export const jwtCheck: Check = {
  id: 'jwt',
  title: 'JWT validation',
  owasp: 'API2:2023',
  cwe: 347,
  summary: 'alg none, unverified or stripped signatures, HS256 signed with the public key, kid tricks, weak HMAC secrets, expired or not-yet-valid tokens accepted; secrets or personal data in the claims of every token seen.',
  needs: ['spec', 'identities'],
  rules: [
    {
      id: 'jwt.alg-none',
      title: 'Unsigned tokens (`alg: none`) are accepted',
      severity: 'critical',
      owasp: 'API2:2023',
      cwe: 347,
      fix: 'Verify tokens with an explicit allowlist of algorithms (e.g. only RS256 or only HS256) and reject `none` in every spelling; use a maintained JWT library\'s verify call, never decode.',
    },
    {
      id: 'jwt.signature-not-verified',
      title: 'Token signatures are not verified',
      severity: 'critical',
      owasp: 'API2:2023',
      cwe: 347,
      fix: 'Verify the signature of every token before reading its claims (a library\'s verify, not decode), on every route, and reject tokens with a missing or wrong signature.',
    },
    {
      id: 'jwt.algorithm-confusion',
      title: 'HS256 tokens signed with the server\'s public key are accepted',
      severity: 'critical',
      owasp: 'API2:2023',
      cwe: 347,
      fix: 'Pin the algorithm to the key type when verifying (RS256/ES256/EdDSA keys verify only their algorithm); never let the token\'s `alg` header choose between HMAC and public-key verification.',
    },
    {
      id: 'jwt.kid-injection',
      title: 'The token\'s `kid` header picks an attacker-chosen key',
      severity: 'critical',
      owasp: 'API2:2023',
      cwe: 347,
      fix: 'Look `kid` up in a fixed table of known keys; never use it as a file path, query or URL, and reject unknown values.',
    },
    {
      id: 'jwt.weak-secret',
      title: 'The HMAC signing secret is guessable',
      severity: 'critical',
      owasp: 'API2:2023',
      cwe: 1391,
      fix: 'Sign with a random secret of at least 32 bytes from a secret store (or an asymmetric key), rotate it now, and invalidate every token signed with the old one.',
    },
    {
      id: 'jwt.sensitive-claims',
      title: 'Tokens carry secrets or personal data in their claims',
      severity: 'high',
      owasp: 'API3:2023',
      cwe: 312,
      fix: 'Put only an opaque subject id, roles or scopes and the time claims in a token; a JWT is signed, not encrypted, so every client, log and proxy that sees it reads its claims. Look personal data up server-side by the subject, and never put a password, a hash of one or a security answer anywhere near a token.',
    },
    {
      id: 'jwt.expired-accepted',
      title: 'Expired tokens are accepted',
      severity: 'high',
      owasp: 'API2:2023',
      cwe: 613,
      fix: 'Reject tokens whose `exp` is in the past (allow at most a minute of clock skew) and require `exp` on every access token.',
    },
    {
      id: 'jwt.not-before-ignored',
      title: 'Tokens not yet valid (`nbf` in the future) are accepted',
      severity: 'medium',
      owasp: 'API2:2023',
      cwe: 613,
      fix: 'Reject tokens whose `nbf` is in the future (allow at most a minute of clock skew); a maintained library\'s verify does this by default.',
    },
  ],
  async run(ctx: CheckContext): Promise<void> {
    const holder = await tokenHolder(ctx.identities);
    if (holder === undefined) {
      ctx.note('no identity holds a JWT (in any header or cookie it sends); nothing to forge');
      return;
    }
    const { routes, rejected } = await probeRoutes(ctx, holder);
    if (routes.length === 0) {
      ctx.note(
        rejected.length === 0
          ? 'forged tokens not tried: no GET operation refuses anonymous callers (by behaviour) or declares security, so there is no protected route to compare them on'
          : `forged tokens not tried: no protected GET route both answers ${holder.identity.name}'s own token 2xx and refuses a call without it (${rejected.slice(0, 6).join('; ')})`,
      );
      return;
    }
    const grouped = new Grouped(ctx);
    const signers: { signer: Signer; route: ProbeRoute }[] = [];
    let primary: ProbeRoute | undefined;
    for (const route of routes) {
      const broken = await signatureIgnored(ctx, grouped, route, holder.token);
      if (broken) continue;
      primary ??= route;
      const none = await algNone(ctx, grouped, route, holder.token);
      if (none !== undefined && !signers.some((s) => s.route === route)) signers.push({ signer: none, route });
    }
    if (primary !== undefined) {
      for (const signer of await keyTricks(ctx, grouped, primary, holder.token)) signers.unshift({ signer, route: primary });
      const first = signers[0];
      if (first !== undefined) await timeClaims(ctx, grouped, first.route, holder.token, first.signer);
      else ctx.note('expiry and not-before were not tested: no way was found to sign a token the target accepts');
    } else {
      // Signatures are not checked at all; a guessable secret is still a flaw of its own (the day
      // verification is switched on, or on another service that shares the key).
      await weakSecret(ctx, grouped, routes[0]!, holder.token, false);
    }
    grouped.flush();
  },
  review(ctx: CheckContext): Promise<void> {
    reviewClaims(ctx);
    return Promise.resolve();
  },
};

/** The claims of every JWT the audit saw (issued in answers, or sent as an identity's credential). */
function reviewClaims(ctx: CheckContext): void {
  const seen = new Map<string, { seen: SeenToken; result: UsableResult }>();
  for (const { result } of ctx.answers) {
    for (const token of tokensIn(result)) {
      const key = token.token.parts[1];
      const known = seen.get(key);
      // The answer that issued a token is the better evidence than a request that carried it.
      if (known === undefined || (known.seen.how === 'sent' && token.how === 'issued')) seen.set(key, { seen: token, result });
    }
  }
  const found = [...seen.values()].map((entry) => ({ ...entry, claims: sensitiveClaims(entry.seen.token.payload) })).filter((e) => e.claims.length > 0);
  // A secret in a claim outranks an email: the most severe sighting goes first and sets the severity.
  found.sort((a, b) => Number(b.claims.some((c) => c.kind === 'secret')) - Number(a.claims.some((c) => c.kind === 'secret')));
  const grouped = new Grouped(ctx);
  for (const { seen: token, result, claims } of found) {
    const secret = claims.some((c) => c.kind === 'secret');
    const location = token.how === 'issued' ? locate(ctx, result.request.method, result.request.url) : { method: '*', route: '*' };
    const listed = claims.map((c) => `\`${c.claim}\` (${c.kind === 'secret' ? 'a secret' : 'personal data'}: ${c.shown})`).join(', ');
    grouped.add(
      'jwt.sensitive-claims',
      location,
      () => ({
        summary: `A token ${token.how === 'issued' ? `handed out in ${token.where} of ${location.method} ${location.route}` : `sent in ${token.where}`} carries ${listed}. Anyone who sees the token reads its claims: they are base64, not encrypted.`,
        exchanges: [masked(exchange(token.how === 'issued' ? 'the answer that issued the token' : 'a request that carried the token', result), [token.token.parts.join('.')])],
      }),
      'confirmed',
      secret ? 'high' : 'low',
    );
  }
  grouped.flush();
}

interface Holder {
  identity: AuditIdentity;
  token: DecodedJwt;
  /** The identity's credential headers with another token in the real one's place. */
  carry: (token: string) => Record<string, string>;
}

/** The first identity (users before admins) whose credential holds a JWT, wherever it travels (Authorization, another header, a cookie). */
async function tokenHolder(identities: readonly AuditIdentity[]): Promise<Holder | undefined> {
  for (const identity of [...identities].sort((a, b) => (a.role === b.role ? 0 : a.role === 'user' ? -1 : 1))) {
    const headers = await identity.headers();
    for (const [name, value] of Object.entries(headers)) {
      const raw = /eyJ[\w-]*\.[\w-]*\.[\w-]*/.exec(value)?.[0];
      const token = raw === undefined ? undefined : decodeJwt(raw);
      if (raw !== undefined && token !== undefined) return { identity, token, carry: (forged) => ({ ...headers, [name]: value.replace(raw, forged) }) };
    }
  }
  return undefined;
}

/** Why a protected route's answer to the identity's own token makes it useless for comparison: its real cause. */
function realTokenCause(ctx: CheckContext, operation: Operation, holder: Holder, genuine: HttpResult): string {
  const who = `${holder.identity.name}'s own token`;
  if (!usable(genuine)) return `${who} got no usable answer (${genuine.error})`;
  const status = genuine.response.status;
  const anonymous = ctx.protection.entry(operation)?.anonymous;
  const refusesAnonymous = anonymous === undefined ? 'declared protected' : `refuses anonymous callers (${anonymous})`;
  if (status === 401 || status === 403) return `${refusesAnonymous}, and refuses ${who} too (${status}: a role or scope it lacks)`;
  if (status === 404) return `${refusesAnonymous}; with ${who} it answered 404 (no object at the ids the audit has)`;
  if (status === 400 || status === 422) return `${refusesAnonymous}; with ${who} it answered ${status} (parameters the audit could not fill)`;
  return `${refusesAnonymous}; with ${who} it answered ${status}`;
}

/** Protected GET routes (protection.ts: refused without credentials, or declared where behaviour does not tell) that answer the real token 2xx and no token 401/403. */
async function probeRoutes(ctx: CheckContext, holder: Holder): Promise<{ routes: ProbeRoute[]; rejected: string[] }> {
  const spec = ctx.spec!;
  const planner = ctx.planner!;
  const real = holder.token.parts.join('.');
  const candidates = spec.operations
    .filter((o) => o.method === 'GET' && ctx.protection.isProtected(o))
    .sort((a, b) => (a.path.match(/\{/g) ?? []).length - (b.path.match(/\{/g) ?? []).length);
  const most = Math.max(MIN_ROUTES, Math.floor((ctx.remaining * BUDGET_SHARE) / REQUESTS_PER_ROUTE));
  const out: ProbeRoute[] = [];
  const rejected: string[] = [];
  let tried = 0;
  for (const operation of candidates) {
    if (out.length >= most) {
      ctx.note(`${candidates.length - tried} protected GET route(s) were not probed with forged tokens: ${most} routes use the check's share of the request budget (raise --max-requests to probe more)`);
      break;
    }
    tried++;
    const planned = planner.plan(operation);
    const genuine = await ctx.send({ method: 'GET', url: planned.url, headers: { ...planned.headers, ...holder.carry(real) }, purpose: 'the real token' });
    if (!usable(genuine) || genuine.response.status < 200 || genuine.response.status >= 300) {
      rejected.push(`${operation.path}: ${realTokenCause(ctx, operation, holder, genuine)}`);
      continue;
    }
    const anonymous = await ctx.send({ method: 'GET', url: planned.url, headers: planned.headers, purpose: 'no token' });
    if (!usable(anonymous) || refusal(anonymous.response) === undefined) {
      rejected.push(`${operation.path}: no token ${usable(anonymous) ? `got ${anonymous.response.status}, not a refusal` : `got no usable answer (${anonymous.error})`}`);
      continue;
    }
    out.push({ operation, carry: holder.carry, url: planned.url, location: { method: 'GET', route: operation.path }, genuine, anonymous });
  }
  return { routes: out, rejected };
}

/** The forged token got the real token's answer (and the route refuses no token). */
function accepted(route: ProbeRoute, result: HttpResult): result is UsableResult {
  if (!usable(result)) return false;
  return result.response.status === route.genuine.response.status && similarity(result.response.text, route.genuine.response.text) >= ALIKE;
}

async function sendForged(ctx: CheckContext, route: ProbeRoute, token: string, purpose: string): Promise<HttpResult> {
  const planned = ctx.planner!.plan(route.operation);
  return ctx.send({ method: 'GET', url: route.url, headers: { ...planned.headers, ...route.carry(token) }, purpose });
}

function controls(route: ProbeRoute): Exchange[] {
  return [exchange('the real token', route.genuine), exchange('no token: refused', route.anonymous)];
}

function describeHeader(header: JsonRecord): string {
  return JSON.stringify(header);
}

/** An altered or a stripped signature accepted: nothing else can be judged on this route. */
async function signatureIgnored(ctx: CheckContext, grouped: Grouped, route: ProbeRoute, token: DecodedJwt): Promise<boolean> {
  const variants = [
    { label: 'every byte of the signature flipped', forged: alteredSignature(token) },
    { label: 'the signature removed', forged: stripped(token) },
  ];
  for (const { label, forged } of variants) {
    const result = await sendForged(ctx, route, forged, `forged token: ${label}`);
    if (!accepted(route, result)) continue;
    grouped.add('jwt.signature-not-verified', route.location, () => ({
      summary: `The real token with ${label} (header ${describeHeader(token.header)} unchanged) got the same ${result.response.status} answer as the real token, while no token is refused: this route does not verify signatures, so anyone can write any claims.`,
      exchanges: [...controls(route), exchange(`forged: ${label}`, result)],
    }));
    return true;
  }
  return false;
}

async function algNone(ctx: CheckContext, grouped: Grouped, route: ProbeRoute, token: DecodedJwt): Promise<Signer | undefined> {
  for (const alg of NONE_SPELLINGS) {
    const header = { ...token.header, alg };
    const result = await sendForged(ctx, route, unsigned(header, token.payload), `forged token: alg ${alg}`);
    if (!accepted(route, result)) continue;
    grouped.add('jwt.alg-none', route.location, () => ({
      summary: `The real token's claims re-sent unsigned, with header ${describeHeader(header)} and an empty signature, got the same ${result.response.status} answer as the real token: anyone can mint tokens for any user.`,
      exchanges: [...controls(route), exchange(`forged: alg ${alg}, no signature`, result)],
    }));
    return { how: `unsigned tokens (alg ${alg})`, sign: (h, p) => unsigned({ ...h, alg }, p) };
  }
  return undefined;
}

/** Weak HMAC secret, HS256 with the published public key, kid pointing at an empty file. */
async function keyTricks(ctx: CheckContext, grouped: Grouped, route: ProbeRoute, token: DecodedJwt): Promise<Signer[]> {
  const signers: Signer[] = [];
  const marked = { ...token.payload, rampart_probe: ctx.token };
  const alg = token.header.alg;
  const guessed = await weakSecret(ctx, grouped, route, token, true);
  if (guessed !== undefined) signers.push(guessed);
  if (isAsymmetric(alg)) {
    const keys = await findJwks(ctx.target, (request) => ctx.send(request));
    const key = keys.find((k) => k.kid !== undefined && k.kid === token.header.kid) ?? keys[0];
    for (const form of key === undefined ? [] : publicKeyForms(key)) {
      const header = { ...token.header, alg: 'HS256' };
      const result = await sendForged(ctx, route, hmacSign(header, marked, form.secret), `forged token: HS256 keyed with ${form.label}`);
      if (!accepted(route, result)) continue;
      grouped.add('jwt.algorithm-confusion', route.location, () => ({
        summary: `The target publishes its ${String(alg)} key at ${key!.source}; a token with header ${describeHeader(header)} signed by HMAC keyed with ${form.label} got the same ${result.response.status} answer as the real token: anyone can mint tokens.`,
        exchanges: [...controls(route), exchange(`forged: HS256 keyed with ${form.label}`, result)],
      }));
      signers.push({ how: `HS256 keyed with ${form.label}`, sign: (h, p) => hmacSign({ ...h, alg: 'HS256' }, p, form.secret) });
      break;
    }
  }
  const header = { ...token.header, alg: 'HS256', kid: EMPTY_FILE_KID };
  const result = await sendForged(ctx, route, hmacSign(header, marked, ''), 'forged token: kid naming /dev/null, empty HMAC key');
  if (accepted(route, result)) {
    grouped.add('jwt.kid-injection', route.location, () => ({
      summary: `A token with header ${describeHeader(header)}, signed by HMAC with an empty key (the content of /dev/null), got the same ${result.response.status} answer as the real token: the server reads its key from the path the token names.`,
      exchanges: [...controls(route), exchange('forged: kid path traversal, empty key', result)],
    }));
    signers.push({ how: 'a kid naming /dev/null', sign: (h, p) => hmacSign({ ...h, alg: 'HS256', kid: EMPTY_FILE_KID }, p, '') });
  }
  return signers;
}

/**
 * A guessable HMAC secret, found offline (the guess reproduces the real token's signature). Where
 * the target verifies signatures, a token re-signed with it must be accepted too; where it does
 * not (`verified` false), the offline match is the proof, and no signer is returned.
 */
async function weakSecret(ctx: CheckContext, grouped: Grouped, route: ProbeRoute, token: DecodedJwt, verified: boolean): Promise<Signer | undefined> {
  const alg = token.header.alg;
  if (!isHmac(alg)) return undefined;
  const cracked = await crackHmacSecret(token);
  if (cracked === undefined) return undefined;
  const shown = cracked.secret.length <= 4 ? `${cracked.secret.length} characters` : `${cracked.secret.slice(0, 2)}… (${cracked.secret.length} characters)`;
  if (!verified) {
    grouped.add('jwt.weak-secret', route.location, () => ({
      summary: `The ${alg} secret was guessed offline from the real token in ${cracked.tried} tries (${shown}): HMAC with it reproduces the token's signature exactly. (This route does not verify signatures at all; the secret stays a flaw wherever the key is checked.)`,
      exchanges: controls(route),
    }));
    return undefined;
  }
  const marked = { ...token.payload, rampart_probe: ctx.token };
  const result = await sendForged(ctx, route, hmacSign(token.header, marked, cracked.secret), 'token re-signed with the guessed secret');
  if (!accepted(route, result)) return undefined;
  grouped.add('jwt.weak-secret', route.location, () => ({
    summary: `The ${alg} secret was guessed offline from the real token in ${cracked.tried} tries (${shown}); a token re-signed with it, carrying an added claim, got the same ${result.response.status} answer as the real token.`,
    exchanges: [...controls(route), exchange('re-signed with the guessed secret, claim added', result)],
  }));
  return { how: 'the guessed HMAC secret', sign: (h, p) => hmacSign({ ...h, alg }, p, cracked.secret) };
}

/** With a way to sign, expired and not-yet-valid tokens are tried; a control with valid times must pass first. */
async function timeClaims(ctx: CheckContext, grouped: Grouped, route: ProbeRoute, token: DecodedJwt, signer: Signer): Promise<void> {
  const now = Math.floor(Date.now() / 1000);
  const base: JsonRecord = { ...token.payload, rampart_probe: ctx.token };
  delete base.nbf;
  const control = await sendForged(ctx, route, signer.sign(token.header, { ...base, iat: now - 60, exp: now + 600 }), `control: ${signer.how}, valid times`);
  if (!accepted(route, control)) {
    ctx.note(`expiry was not tested: a token made with ${signer.how} and valid times was not accepted on ${route.location.route}`);
    return;
  }
  const expired = await sendForged(ctx, route, signer.sign(token.header, { ...base, iat: now - 7200, exp: now - 3600 }), `${signer.how}: expired an hour ago`);
  if (accepted(route, expired)) {
    grouped.add('jwt.expired-accepted', route.location, () => ({
      summary: `A token made with ${signer.how} whose exp was an hour ago got the same ${expired.response.status} answer as one with valid times: expiry is not checked, so a leaked token works forever.`,
      exchanges: [exchange('valid times: accepted', control), exchange('exp an hour ago: also accepted', expired), exchange('no token: refused', route.anonymous)],
    }));
  }
  const early = await sendForged(ctx, route, signer.sign(token.header, { ...base, iat: now, nbf: now + 3600, exp: now + 7200 }), `${signer.how}: not valid for another hour`);
  if (accepted(route, early)) {
    grouped.add('jwt.not-before-ignored', route.location, () => ({
      summary: `A token made with ${signer.how} whose nbf is an hour ahead got the same ${early.response.status} answer as one with valid times: not-before is not checked.`,
      exchanges: [exchange('valid times: accepted', control), exchange('nbf an hour ahead: also accepted', early), exchange('no token: refused', route.anonymous)],
    }));
  }
}
