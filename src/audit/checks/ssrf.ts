// Server-side request forgery (API7): parameters that take a URL, given the URL of a canary
// the auditor runs. A request arriving at that probe's own random path proves the server
// fetches what a client names. The canary listens on loopback only: a loopback target is
// pointed at it directly; a remote target only through --callback-url, an address the user
// chose that reaches it. The auditor never aims a remote server at an address of its choosing.
import type { Check, CheckContext } from '../check.ts';
import { Grouped } from '../check.ts';
import type { HttpRequestSpec, HttpResult } from '../http/client.ts';
import { usable } from '../http/client.ts';
import { createdUrl } from '../lib/created.ts';
import { exchange } from '../lib/evidence.ts';
import { parseJson } from '../lib/links.ts';
import type { Operation } from '../spec/load.ts';
import { deref, isObject } from '../spec/refs.ts';
import type { Canary, CanaryHit } from '../ssrf/canary.ts';
import { parseCallbackUrl, startCanary } from '../ssrf/canary.ts';
import { ownedCandidates, sendOwned } from './ssrf-owned.ts';

const MAX_PROBES = 12;
const LATE_HIT_WAIT_MS = 2000;
const URL_NAME = /(?:^|[_-])(?:url|uri|link|href|src|source|callback|webhook|endpoint|feed|image|avatar|icon|target|fetch|proxy|remote|location)(?:$|[_-]|s$)|(?:Url|Uri|Href|Link)$/i;

interface Candidate {
  operation: Operation;
  /** `query` parameter or top-level JSON body field. */
  where: 'query' | 'body';
  name: string;
}

export function urlLike(document: unknown, name: string, schema: unknown): boolean {
  const resolved = deref(document as never, schema as never);
  const format = isObject(resolved) && typeof resolved.format === 'string' ? resolved.format : '';
  return ['uri', 'url', 'iri', 'uri-reference'].includes(format) || URL_NAME.test(name);
}

function candidates(ctx: CheckContext): Candidate[] {
  const spec = ctx.spec!;
  const out: Candidate[] = [];
  // Only reads and creations here: an update would change an existing object's URL with no way
  // back. Update routes are probed on objects the audit creates (ssrf-owned.ts).
  for (const operation of spec.operations.filter((o) => o.method === 'GET' || o.method === 'POST')) {
    for (const parameter of operation.parameters) {
      if (parameter.in === 'query' && urlLike(spec.document, parameter.name, parameter.schema)) out.push({ operation, where: 'query', name: parameter.name });
    }
    const body = operation.requestBody;
    if (body === undefined || !/json/i.test(body.contentType)) continue;
    const schema = deref(spec.document, body.schema);
    if (!isObject(schema) || !isObject(schema.properties)) continue;
    for (const [name, property] of Object.entries(schema.properties)) {
      if (urlLike(spec.document, name, property)) out.push({ operation, where: 'body', name });
    }
  }
  return out.slice(0, MAX_PROBES);
}

export type Placement = { listen: 'loopback' } | { listen: 'callback'; url: URL } | { refused: string };

/** Where the canary may listen for this target, or why it may not. */
export function placement(targetIsLoopback: boolean, callbackUrl: string | undefined): Placement {
  if (callbackUrl !== undefined) {
    try {
      return { listen: 'callback', url: parseCallbackUrl(callbackUrl) };
    } catch (error) {
      return { refused: `--callback-url ${callbackUrl} is not usable: ${error instanceof Error ? error.message : String(error)}` };
    }
  }
  if (!targetIsLoopback) {
    return { refused: 'the target is not on this machine: pass --callback-url with an address that reaches this host (the auditor never aims a remote server at an address of its own choosing)' };
  }
  return { listen: 'loopback' };
}

async function canaryFor(ctx: CheckContext): Promise<Canary | string> {
  const where = placement(ctx.target.loopback, ctx.callbackUrl);
  if ('refused' in where) return where.refused;
  try {
    return await startCanary(where.listen === 'callback' ? where.url : undefined);
  } catch (error) {
    return `cannot start the canary listener: ${error instanceof Error ? error.message : String(error)}`;
  }
}

export const ssrfCheck: Check = {
  id: 'ssrf',
  title: 'Server-side request forgery',
  owasp: 'API7:2023',
  cwe: 918,
  summary: 'URL parameters and fields fetched by the server (reads, creations, and updates of objects the audit created), proven by a hit on a canary listener (loopback targets, or --callback-url).',
  needs: ['spec', 'identities'],
  rules: [
    {
      id: 'ssrf.url-fetched',
      title: 'The server fetches a URL the client names',
      severity: 'high',
      owasp: 'API7:2023',
      cwe: 918,
      fix: 'Fetch only from an allowlist of hosts; otherwise resolve the name and refuse loopback, private, link-local and metadata addresses at connect time (so DNS rebinding cannot slip through), allow only http(s), and do not follow redirects.',
    },
  ],
  async run(ctx: CheckContext): Promise<void> {
    const found = candidates(ctx);
    const identity = ctx.identities.find((i) => i.role === 'user');
    const owned = identity === undefined ? [] : ownedCandidates(ctx, urlLike);
    if (found.length === 0 && owned.length === 0) return;
    if (ctx.dryRun) {
      ctx.note('dry run: the canary listener is not started');
      return;
    }
    const canary = await canaryFor(ctx);
    if (typeof canary === 'string') {
      ctx.note(`not run: ${canary}`);
      return;
    }
    try {
      const probes: { operation: Operation; where: string; name: string; url: string; result: HttpResult }[] = [];
      for (const candidate of found) {
        const url = canary.url(`${candidate.operation.method}-${candidate.name}`);
        probes.push({ operation: candidate.operation, where: candidate.where, name: candidate.name, url, result: await send(ctx, candidate, url) });
      }
      for (const candidate of owned) {
        const url = canary.url(`${candidate.update.method}-${candidate.name}`);
        const result = await sendOwned(ctx, identity!, candidate, url);
        if (typeof result === 'string') ctx.note(`${candidate.update.method} ${candidate.update.path} (${candidate.name}) not probed: ${result}`);
        else probes.push({ operation: candidate.update, where: `body of ${candidate.update.method} on an object the audit created, its`, name: candidate.name, url, result });
      }
      const grouped = new Grouped(ctx);
      // One wait for late hits (a queued fetch), shared by every probe.
      const deadline = Date.now() + LATE_HIT_WAIT_MS;
      for (const { operation, where, name, url, result } of probes) {
        const hits = await canary.waitFor(url, Math.max(0, deadline - Date.now()));
        const hit = hits[0];
        if (hit === undefined || !usable(result)) continue;
        const location = { method: operation.method, route: operation.path, parameter: name };
        grouped.add('ssrf.url-fetched', location, () => ({
          summary: `The ${where} field \`${name}\` was given ${url}; the canary then received ${describeHit(hit)}: the server fetched the URL the client named.`,
          exchanges: [exchange(`${name} = canary URL`, result, 'rampart-probe')],
        }));
      }
      grouped.flush();
    } finally {
      await canary.close();
    }
  },
};

function describeHit(hit: CanaryHit): string {
  const agent = hit.headers['user-agent'];
  return `${hit.method} ${hit.path}${agent === undefined ? '' : ` (User-Agent: ${agent.slice(0, 60)})`}`;
}

async function send(ctx: CheckContext, candidate: Candidate, url: string): Promise<HttpResult> {
  const planner = ctx.planner!;
  const operation = candidate.operation;
  let planned;
  if (candidate.where === 'query') {
    planned = planner.plan(operation, { values: { [candidate.name]: url } });
  } else {
    const base = planner.bodyFor(operation);
    const json = base === undefined ? {} : parseJson(base.body);
    planned = planner.plan(operation, { body: JSON.stringify({ ...(isObject(json) ? json : {}), [candidate.name]: url }) });
  }
  const request: HttpRequestSpec = {
    method: planned.method,
    url: planned.url,
    headers: planned.headers,
    ...(planned.body === undefined ? {} : { body: planned.body }),
    purpose: `canary URL in ${candidate.name}`,
  };
  const identity = ctx.identities.find((i) => i.role === 'user');
  if (!ctx.protection.isProtected(operation) || identity === undefined) return ctx.send(request);
  const result = await ctx.sendAs(identity, request);
  // Something the probe created (a webhook, a saved link) is deleted at the end of the run.
  if (operation.method === 'POST' && usable(result) && result.response.status >= 200 && result.response.status < 300) {
    const made = createdUrl(planned.url, result);
    if (made !== undefined) ctx.created(made, identity);
    else if (result.response.status === 201) ctx.note(`${operation.method} ${operation.path} created something (201) at no address it names; remove it by hand`);
  }
  return result;
}
