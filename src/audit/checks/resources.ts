// Unrestricted resource consumption (API4), each with a bounded probe: a page far larger than
// the spec's maximum (or its default page, or a sane maximum) actually returned, on public
// listings and, as an identity, on listings that refuse anonymous callers; an 8 MiB request body handled like a small
// one; an expensive route (password check) answering a burst without ever throttling.
import type { Check, CheckContext } from '../check.ts';
import type { HttpRequestSpec, HttpResult, UsableResult } from '../http/client.ts';
import { usable } from '../http/client.ts';
import { exchange } from '../lib/evidence.ts';
import { parseJson } from '../lib/links.ts';
import type { Operation } from '../spec/load.ts';
import { isObject } from '../spec/refs.ts';
import type { Json } from '../spec/refs.ts';
import { passwordFields, schemaType } from '../spec/synth.ts';

/** Without a declared maximum or default, a page of more items than this is not sane. */
export const SANE_PAGE_MAX = 1000;
/** With a default page size, a page of more than 5 times it, and more than this, is far beyond it. */
const SANE_PAGE = 100;
export const BODY_PROBE_BYTES = 8 * 1024 * 1024;
export const BURST = 50;
const MAX_PAGE_OPERATIONS = 15;
const LIST_BODY_CAP = 16 * 1024 * 1024;
const RATE_HEADERS = /^(?:x-)?rate-?limit(?:-|$)|^retry-after$/i;

/** Number of items in the answer's list: a top-level array or the largest array within. */
export function itemCount(json: Json | undefined): number | undefined {
  if (Array.isArray(json)) return json.length;
  if (!isObject(json)) return undefined;
  let best: number | undefined;
  for (const value of Object.values(json)) {
    const inner = Array.isArray(value) ? value.length : isObject(value) ? itemCount(value) : undefined;
    if (inner !== undefined && (best === undefined || inner > best)) best = inner;
  }
  return best;
}

export const resourcesCheck: Check = {
  id: 'resources',
  title: 'Resource consumption limits',
  owasp: 'API4:2023',
  cwe: 770,
  summary: 'Oversized pages accepted, no request-body limit, no rate limit on an expensive route (bounded probes).',
  needs: ['spec'],
  exclusive: true,
  rules: [
    {
      id: 'resources.page-size',
      title: 'Page size is not capped',
      severity: 'medium',
      owasp: 'API4:2023',
      cwe: 770,
      fix: 'Validate the page-size parameter against a maximum (e.g. 100) and reject larger values with 400, or clamp them.',
    },
    {
      id: 'resources.body-limit',
      title: 'No request body size limit',
      severity: 'medium',
      owasp: 'API4:2023',
      cwe: 770,
      fix: 'Cap request bodies (e.g. 1 MiB for JSON, or what the route needs) and answer 413 beyond it, before parsing.',
    },
    {
      id: 'resources.rate-limit',
      title: 'No rate limit on an expensive route',
      severity: 'medium',
      owasp: 'API4:2023',
      cwe: 770,
      fix: 'Rate-limit this route per client and per account (answer 429 with Retry-After); credential checks need a tight limit and lockout.',
    },
  ],
  async run(ctx: CheckContext): Promise<void> {
    await pageSizes(ctx);
    await bodyLimit(ctx);
    await rateLimit(ctx);
  },
};

type Send = (request: HttpRequestSpec) => Promise<HttpResult>;

/** Listings the survey got as they are, and those refused anonymously reached as the first ordinary identity. */
async function listings(ctx: CheckContext): Promise<{ operation: Operation; send: Send; as?: string }[]> {
  const spec = ctx.spec!;
  const user = ctx.identities.find((i) => i.role === 'user');
  const out: { operation: Operation; send: Send; as?: string }[] = [];
  for (const operation of spec.operations) {
    if (out.length >= MAX_PAGE_OPERATIONS) break;
    if (operation.method !== 'GET' || !operation.parameters.some((p) => p.in === 'query' && schemaType(spec.document, p.schema) === 'integer')) continue;
    const baseline = ctx.survey.baseline(operation)?.result.response;
    if (baseline === undefined) continue;
    if (baseline.status < 300 && itemCount(parseJson(baseline.text)) !== undefined) {
      out.push({ operation, send: (r) => ctx.send(r) });
      continue;
    }
    // A protected listing: the page size a signed-in caller may ask for matters as much.
    if (!ctx.protection.isProtected(operation) || user === undefined || operation.parameters.some((p) => p.in === 'path')) continue;
    const planned = ctx.planner!.plan(operation);
    const mine = await ctx.sendAs(user, { method: 'GET', url: planned.url, headers: planned.headers, purpose: 'is it a listing for the identity?' });
    if (!usable(mine) || mine.response.status >= 300 || itemCount(parseJson(mine.response.text)) === undefined) continue;
    out.push({ operation, send: (r) => ctx.sendAs(user, r), as: user.name });
  }
  return out;
}

async function pageSizes(ctx: CheckContext): Promise<void> {
  const spec = ctx.spec!;
  const planner = ctx.planner!;
  for (const { operation, send: transport, as } of await listings(ctx)) {
    for (const parameter of operation.parameters.filter((p) => p.in === 'query' && schemaType(spec.document, p.schema) === 'integer').slice(0, 3)) {
      const send = (value: number, purpose: string, cap?: number): Promise<HttpResult> => {
        const planned = planner.plan(operation, { values: { [parameter.name]: String(value) } });
        return transport({ method: 'GET', url: planned.url, headers: planned.headers, purpose: `${parameter.name}=${value}: ${purpose}`, ...(cap ? { maxBodyBytes: cap } : {}) });
      };
      const one = await send(1, 'is it a page size?');
      const two = await send(2, 'is it a page size?');
      if (!usable(one) || !usable(two)) continue;
      if (itemCount(parseJson(one.response.text)) !== 1 || itemCount(parseJson(two.response.text)) !== 2) continue;
      const declared = typeof parameter.schema?.maximum === 'number' ? parameter.schema.maximum : undefined;
      const usual = typeof parameter.schema?.default === 'number' ? parameter.schema.default : undefined;
      // Without a declared maximum: far beyond the default page (5 times, at least SANE_PAGE), or beyond any sane maximum.
      const limit = declared ?? (usual !== undefined ? Math.max(SANE_PAGE, 5 * usual) : SANE_PAGE_MAX);
      const asked = Math.max(limit * 10, 10_000);
      const big = await send(asked, 'oversized page', LIST_BODY_CAP);
      if (!usable(big) || big.response.status >= 300) continue;
      const count = big.response.truncated ? Infinity : itemCount(parseJson(big.response.text));
      if (count === undefined || count <= limit) continue;
      const got = count === Infinity ? `more than ${LIST_BODY_CAP / 1024 / 1024} MiB of items` : `${count} items`;
      const bound = declared !== undefined ? `the spec's maximum of ${declared}` : usual !== undefined ? `${limit}, five times the default page of ${usual}` : `any sane maximum (${SANE_PAGE_MAX})`;
      ctx.report({
        rule: 'resources.page-size',
        confidence: 'confirmed',
        location: { method: operation.method, route: operation.path, parameter: parameter.name },
        evidence: {
          summary: `${parameter.name}=1 and =2 return 1 and 2 items, so it sets the page size; ${parameter.name}=${asked} returned ${got}, above ${bound}${as === undefined ? '' : ` (as identity ${as}: the listing refuses anonymous callers)`}.`,
          exchanges: [exchange(`${parameter.name}=2`, two), exchange(`${parameter.name}=${asked}`, big)],
        },
      });
      break;
    }
  }
}

/**
 * The route's example body cut before its end: truncated JSON no route can accept (issue 19
 * item 3: an anonymous write never carries a body that could succeed).
 */
export function truncatedBody(body: string): string {
  const cut = body.replace(/\s*[}\]]\s*$/, '');
  return cut === body ? body.slice(0, Math.max(1, body.length - 1)) : cut;
}

/**
 * The route handled the truncated body as if it had read it all: accepted it leniently (2xx) or
 * crashed parsing it (5xx). A 4xx is a parser refusing it, which says nothing about a size limit.
 */
function readsBodies(status: number): boolean {
  return (status >= 200 && status < 300) || status >= 500;
}

async function bodyLimit(ctx: CheckContext): Promise<void> {
  const planner = ctx.planner!;
  const candidates = ctx.spec!.operations.filter((o) => ['POST', 'PUT', 'PATCH'].includes(o.method) && o.requestBody && /json/i.test(o.requestBody.contentType) && passwordFields(ctx.spec!.document, o.requestBody.schema).length === 0);
  let tried = 0;
  for (const operation of candidates) {
    if (tried >= 2) break;
    const plain = planner.plan(operation);
    if (plain.body === undefined) continue;
    const body = truncatedBody(plain.body);
    if (!ctx.safety.callable(operation, { unacceptableBody: true }).send) continue;
    const small = await ctx.send({ method: plain.method, url: plain.url, headers: plain.headers, body, purpose: 'body limit: truncated JSON' });
    if (!usable(small) || !readsBodies(small.response.status)) continue;
    tried++;
    const padded = body + ' '.repeat(Math.max(0, BODY_PROBE_BYTES - Buffer.byteLength(body)));
    const big = await ctx.send({
      method: plain.method,
      url: plain.url,
      headers: plain.headers,
      body: padded,
      purpose: `body limit: the same truncated JSON padded to ${BODY_PROBE_BYTES / 1024 / 1024} MiB`,
      timeoutMs: ctx.timeoutMs * 3,
    });
    if (!usable(big) || big.response.status !== small.response.status) continue;
    ctx.report({
      rule: 'resources.body-limit',
      confidence: 'firm',
      location: { method: operation.method, route: operation.path },
      evidence: {
        summary: `The same truncated JSON padded with whitespace to ${BODY_PROBE_BYTES / 1024 / 1024} MiB got the same ${big.response.status} as the ${Buffer.byteLength(body)}-byte original: no 413: the whole body was read. (Truncated JSON: no route can accept it.)`,
        exchanges: [exchange('truncated body', small), exchange('padded truncated body', big)],
      },
    });
  }
}

function anonymise(body: string, marker: string): string {
  const json = parseJson(body);
  if (!isObject(json)) return body;
  const out: Record<string, Json> = { ...json };
  for (const [key, value] of Object.entries(json)) {
    if (typeof value !== 'string') continue;
    if (/pass/i.test(key)) out[key] = `Wrong-${marker}-Passw0rd!`;
    else out[key] = value.includes('@') ? `rampart-probe-${marker}@example.invalid` : `rampart-probe-${marker}`;
  }
  return JSON.stringify(out);
}

function rateLimited(result: UsableResult | undefined): boolean {
  return result !== undefined && Object.keys(result.response.headers).some((name) => RATE_HEADERS.test(name));
}

async function rateLimit(ctx: CheckContext): Promise<void> {
  const spec = ctx.spec!;
  const planner = ctx.planner!;
  // Bursts go only where the safety policy allows them: logins (a wrong credential changes nothing) and reads.
  const burstable = (o: Operation): boolean => {
    const verdict = ctx.safety.callable(o, { burst: true });
    if (!verdict.send) ctx.note(`${o.method} ${o.path}: no rate-limit burst: ${verdict.reason}`);
    return verdict.send;
  };
  let targets: { operation: Operation; credential: boolean }[] = spec.operations
    .filter((o) => o.requestBody && passwordFields(spec.document, o.requestBody.schema).length > 0)
    .filter(burstable)
    .slice(0, 3)
    .map((operation) => ({ operation, credential: true }));
  if (targets.length === 0) {
    const slowest = [...ctx.survey.observations]
      .filter((o) => o.operation !== undefined && o.result.response.status < 300 && ctx.safety.callable(o.operation, { burst: true }).send)
      .sort((a, b) => b.result.response.durationMs - a.result.response.durationMs)[0];
    if (slowest?.operation) targets = [{ operation: slowest.operation, credential: false }];
  }
  for (const { operation, credential } of targets) {
    const burst = Math.min(BURST, Math.floor(ctx.remaining * 0.25));
    if (burst < 20) {
      ctx.note(`not enough request budget left to probe the rate limit of ${operation.method} ${operation.path}`);
      continue;
    }
    const planned = planner.plan(operation);
    // A credential check gets another unknown name each time (a wrong password for a name no one
    // has: nothing to lock, nothing to change). A lock on one name after a few failures is not a
    // limit per client: it stops neither a password spray across accounts nor credential
    // stuffing, and lets anyone lock a victim out (API2/API4, ASVS V2.2.1); it must not hide the
    // absence of a limit per client.
    const body = (i: number): string | undefined => (planned.body === undefined ? undefined : anonymise(planned.body, credential ? `${ctx.token}-${i}` : ctx.token));
    let first: UsableResult | undefined;
    let last: UsableResult | undefined;
    let limited = false;
    let failed = false;
    const started = Date.now();
    for (let i = 0; i < burst; i++) {
      const result = await ctx.send({
        method: planned.method,
        url: planned.url,
        headers: planned.headers,
        ...(body(i) === undefined ? {} : { body: body(i)! }),
        onThrottle: 'observe',
        burst: true,
        purpose: `rate limit burst ${i + 1}/${burst}`,
      });
      if (result.outcome === 'throttled') {
        limited = true;
        break;
      }
      if (!usable(result)) {
        failed = true;
        break;
      }
      first ??= result;
      last = result;
      if (rateLimited(result)) {
        limited = true;
        break;
      }
    }
    if (failed) {
      ctx.note(`${operation.method} ${operation.path}: the rate-limit burst was cut short by a failed request; no conclusion`);
      continue;
    }
    if (limited || first === undefined || last === undefined) continue;
    // A request refused before the expensive work (400, 404, 415...) proves nothing about that work.
    const status = first.response.status;
    if (!((status >= 200 && status < 300) || status === 401 || status === 403)) {
      ctx.note(`${operation.method} ${operation.path}: the burst was answered ${status}, before any expensive work; no conclusion`);
      continue;
    }
    const seconds = ((Date.now() - started) / 1000).toFixed(1);
    ctx.report({
      rule: 'resources.rate-limit',
      confidence: 'firm',
      ...(credential ? {} : { severity: 'low' as const, title: 'No rate limit on the slowest route' }),
      location: { method: operation.method, route: operation.path },
      evidence: {
        summary: `${burst} ${credential ? 'credential checks (wrong password, unknown user)' : 'requests'} in ${seconds} s all answered (${first.response.status} … ${last.response.status}) with no 429 and no rate-limit headers.`,
        exchanges: [exchange(`request 1 of ${burst}`, first), exchange(`request ${burst} of ${burst}`, last)],
      },
    });
  }
}
