// Error handling: malformed input (broken JSON, quotes, bad percent-encoding) must get a plain
// 4xx, not a stack trace, SQL text, a server path or a framework debug page. And TRACE, which
// echoes requests back (cookies and auth headers included), must be off.
import type { AuditIdentity, Check, CheckContext } from '../check.ts';
import { Grouped } from '../check.ts';
import type { Location } from '../finding.ts';
import type { HttpRequestSpec, HttpResult } from '../http/client.ts';
import { usable } from '../http/client.ts';
import { stripEchoes } from '../lib/compare.ts';
import { exchange } from '../lib/evidence.ts';
import { b64url } from '../jwt/token.ts';
import { findLeaks } from '../lib/signatures.ts';
import type { Operation } from '../spec/load.ts';
import { schemaType } from '../spec/synth.ts';
import { edgeValues } from './edge-values.ts';
import { LEAK_RULES, reportable, reviewAnswers } from './errors-review.ts';
import { decodeURIComponentSafe } from '../lib/decode.ts';

const MAX_OPERATIONS = 60;
const MAX_PARAMS = 3;
const MALFORMED_JSON = '{"rampart": [1, 2';
const QUOTE_PROBE = `rampart'"`;
const BAD_ENCODING = '%E0%A4%A';
/** An unclosed template tag: where a value becomes template source, the engine's parser fails (a debug page shows it). */
const TEMPLATE_PROBE = 'rampart{{';

/** Routes refused without credentials that get malformed tokens (what a library says about them). */
const MAX_TOKEN_ROUTES = 3;
/** Protected GET routes with a path parameter probed per identity (404s count against it on some targets). */
const MAX_PATH_PROBES_PER_IDENTITY = 4;

interface Probe {
  label: string;
  request: HttpRequestSpec;
  /** What the probe itself put in the request, removed before looking for leaks. */
  echoes: string[];
  location: Location;
  /** Text of a normal answer on the same route: leaks already there are content, not errors. */
  baseline: string;
  /** Sent as this identity: a GET route that refuses anonymous callers (never a body). */
  as?: AuditIdentity;
  /** For a probe sent as an identity: the plain request whose answer, as it, is the baseline. */
  normal?: HttpRequestSpec;
}

function probesFor(ctx: CheckContext, operation: Operation, user: AuditIdentity | undefined): Probe[] {
  const planner = ctx.planner!;
  const answer = ctx.survey.baseline(operation)?.result.response;
  const refused = ctx.protection.isProtected(operation);
  // A GET refused without credentials is reached as the user identity (its query parameters only,
  // never a body); the identity's own plain answer, which must be a 2xx, is then the baseline. Not
  // with path parameters: no real id is known, and 404s count against the identity on some targets.
  const hasPathParam = operation.parameters.some((p) => p.in === 'path');
  const asUser = refused && user !== undefined && operation.method === 'GET' && !hasPathParam;
  const plain = asUser ? planner.plan(operation) : undefined;
  const as = asUser && plain ? { as: user, normal: { method: 'GET', url: plain.url, headers: plain.headers, purpose: 'baseline as identity' } } : {};
  const said = asUser ? ` (as identity ${user.name})` : '';
  const baseline = answer?.text ?? '';
  const probes: Probe[] = [];
  const location = { method: operation.method, route: operation.path };
  if (operation.requestBody && /json/i.test(operation.requestBody.contentType)) {
    const planned = planner.plan(operation, { body: MALFORMED_JSON, contentType: 'application/json' });
    probes.push({
      label: 'malformed JSON body',
      request: { method: planned.method, url: planned.url, headers: planned.headers, body: planned.body!, purpose: 'malformed JSON body' },
      echoes: [MALFORMED_JSON],
      location,
      baseline,
    });
  }
  if (operation.method !== 'GET') return probes;
  const params = operation.parameters.filter((p) => p.in === 'path' || p.in === 'query').slice(0, MAX_PARAMS);
  for (const parameter of params) {
    const planned = planner.plan(operation, { values: { [parameter.name]: QUOTE_PROBE } });
    probes.push({
      label: `quotes in ${parameter.in} parameter ${parameter.name}${said}`,
      request: { method: 'GET', url: planned.url, headers: planned.headers, purpose: `quotes in ${parameter.name}` },
      echoes: [QUOTE_PROBE],
      location: { ...location, parameter: parameter.name },
      baseline,
      ...as,
    });
  }
  for (const parameter of params.filter((p) => p.in === 'query' && ['string', undefined].includes(schemaType(ctx.spec!.document, p.schema)))) {
    const planned = planner.plan(operation, { values: { [parameter.name]: TEMPLATE_PROBE } });
    probes.push({
      label: `an unclosed template tag in query parameter ${parameter.name}${said}`,
      request: { method: 'GET', url: planned.url, headers: planned.headers, purpose: `unclosed template tag in ${parameter.name}` },
      echoes: [TEMPLATE_PROBE],
      location: { ...location, parameter: parameter.name },
      baseline,
      ...as,
    });
  }
  const pathParam = params.find((p) => p.in === 'path');
  if (pathParam) {
    const planned = planner.plan(operation, { rawPath: { [pathParam.name]: BAD_ENCODING } });
    probes.push({
      label: `malformed percent-encoding in ${pathParam.name}${said}`,
      request: { method: 'GET', url: planned.url, headers: planned.headers, purpose: `bad encoding in ${pathParam.name}` },
      echoes: [BAD_ENCODING, decodeURIComponentSafe(BAD_ENCODING)],
      location: { ...location, parameter: pathParam.name },
      baseline,
      ...as,
    });
  }
  return probes;
}


function baseProbes(ctx: CheckContext): Probe[] {
  const baseline = ctx.survey.base?.result.response.text ?? '';
  const bad = new URL(ctx.target.root());
  bad.pathname = `${bad.pathname.replace(/\/$/, '')}/${BAD_ENCODING}`;
  const quoted = ctx.target.root();
  quoted.searchParams.set('rampart', QUOTE_PROBE);
  return [
    { label: 'malformed percent-encoding in the path', request: { method: 'GET', url: bad, purpose: 'bad encoding in path' }, echoes: [BAD_ENCODING], location: { method: 'GET', route: ctx.target.routeOf(bad) }, baseline },
    { label: 'quotes in a query parameter', request: { method: 'GET', url: quoted, purpose: 'quotes in query' }, echoes: [QUOTE_PROBE], location: { method: 'GET', route: ctx.target.routeOf(quoted) }, baseline },
  ];
}

export const errorsCheck: Check = {
  id: 'errors',
  title: 'Error handling',
  owasp: 'API8:2023',
  cwe: 209,
  summary: 'Stack traces, SQL text, file paths, debug pages, token-library messages or secrets in answers to malformed input and in every other answer the audit got; numbers like Infinity or 2^63 that crash a route; TRACE enabled.',
  needs: [],
  rules: [
    {
      id: 'errors.stack-trace',
      title: 'Stack trace in an error answer',
      severity: 'medium',
      owasp: 'API8:2023',
      cwe: 209,
      fix: 'Catch errors in one handler that logs the details server-side and answers a generic problem+json (status, title, an error id); never serialise `err.stack`.',
    },
    {
      id: 'errors.sql-text',
      title: 'SQL or database error text in an answer',
      severity: 'medium',
      owasp: 'API8:2023',
      cwe: 209,
      fix: 'Map database errors to a generic 4xx/5xx answer; log the query error server-side only. Check the route for injection too.',
    },
    {
      id: 'errors.file-path',
      title: 'Server file path in an error answer',
      severity: 'low',
      owasp: 'API8:2023',
      cwe: 209,
      fix: 'Answer file and system errors with a generic message (404 for a missing file) and keep paths in server logs.',
    },
    {
      id: 'errors.framework-message',
      title: 'Framework error page or internal error code in an answer',
      severity: 'low',
      owasp: 'API8:2023',
      cwe: 209,
      fix: 'Turn off debug error pages in production and replace framework error codes with your own problem+json answers.',
    },
    {
      id: 'errors.debug-page',
      title: 'Framework debug page served',
      severity: 'high',
      owasp: 'API8:2023',
      cwe: 489,
      fix: 'Turn the framework\'s debug mode off in every deployed environment (Flask/Werkzeug `debug=False`, Django `DEBUG = False`, `NODE_ENV=production` for Express, `APP_DEBUG=false` for Laravel, Rails production mode) and answer errors with a generic problem+json; debug pages show code, settings and sometimes a console.',
    },
    {
      id: 'errors.secret',
      title: 'A private key or provider credential in an error answer',
      severity: 'high',
      owasp: 'API8:2023',
      cwe: 209,
      fix: 'Never serialise configuration or client objects into error answers; log an error id server-side and answer a generic problem+json. Rotate the credential that was served.',
    },
    {
      id: 'errors.verbose-auth',
      title: 'Authentication errors repeat the token library\'s own messages',
      severity: 'low',
      owasp: 'API8:2023',
      cwe: 209,
      fix: 'Answer every token problem (missing, malformed, bad signature, expired) with the same generic 401 (e.g. `invalid or expired token`) and log the library\'s exception server-side only.',
    },
    {
      id: 'errors.edge-value-crash',
      title: 'An edge number makes the route fail',
      severity: 'medium',
      owasp: 'API8:2023',
      cwe: 1284,
      fix: 'Validate numbers at the edge: finite, an integer where one is meant, within the range the code can handle (e.g. 1 to 365 days); answer 400 for anything else instead of letting it reach an array size, a cast or a query.',
    },
    {
      id: 'errors.trace-enabled',
      title: 'TRACE method echoes requests',
      severity: 'low',
      owasp: 'API8:2023',
      cwe: 693,
      fix: 'Disable TRACE (answer 405): it reflects request headers, cookies and credentials included, back to the caller.',
    },
  ],
  async run(ctx: CheckContext): Promise<void> {
    const grouped = new Grouped(ctx);
    const probes: Probe[] = [];
    if (ctx.spec) {
      const user = ctx.identities.find((i) => i.role === 'user');
      for (const operation of ctx.spec.operations.slice(0, MAX_OPERATIONS)) probes.push(...probesFor(ctx, operation, user));
      const left = ctx.spec.operations.length - MAX_OPERATIONS;
      if (left > 0) ctx.note(`${left} operation(s) after the spec's first ${MAX_OPERATIONS} were not probed for error leaks`);
    }
    probes.push(...baseProbes(ctx), ...pathProbesAsIdentities(ctx));
    const normals = new Map<string, string | undefined>();
    for (const probe of probes) {
      if (probe.as !== undefined && probe.normal !== undefined) {
        // The identity's ordinary answer on the route: leaks already there are content.
        const key = String(probe.normal.url);
        if (!normals.has(key)) {
          const normal = await ctx.sendAs(probe.as, probe.normal);
          const ok = usable(normal) && normal.response.status >= 200 && normal.response.status < 300;
          normals.set(key, ok ? normal.response.text : undefined);
        }
        const normal = normals.get(key);
        if (normal === undefined) continue;
        probe.baseline = normal;
      }
      const result = await (probe.as === undefined ? ctx.send(probe.request) : ctx.sendAs(probe.as, probe.request));
      if (!usable(result)) continue;
      judge(grouped, probe, result);
    }
    await trace(ctx, grouped);
    await malformedTokens(ctx);
    await edgeValues(ctx, grouped);
    grouped.flush();
  },
  review(ctx: CheckContext): Promise<void> {
    reviewAnswers(ctx);
    return Promise.resolve();
  },
};

/**
 * GET routes refused without credentials whose path names an object, reached as the identities
 * with a quote in the first path parameter: where a handler parses the id (int(), a cast, a
 * query), this is the answer that shows a debug page. Shared round-robin between the ordinary
 * identities, a few each.
 */
function pathProbesAsIdentities(ctx: CheckContext): Probe[] {
  const users = ctx.identities.filter((i) => i.role === 'user');
  if (ctx.spec === undefined || users.length === 0) return [];
  const out: Probe[] = [];
  for (const operation of ctx.spec.operations) {
    if (out.length >= users.length * MAX_PATH_PROBES_PER_IDENTITY) break;
    const status = ctx.survey.baseline(operation)?.result.response.status;
    const param = operation.parameters.find((p) => p.in === 'path');
    if (operation.method !== 'GET' || param === undefined || (status !== 401 && status !== 403)) continue;
    const as = users[out.length % users.length]!;
    const planned = ctx.planner!.plan(operation, { values: { [param.name]: QUOTE_PROBE } });
    out.push({
      label: `quotes in path parameter ${param.name} (as identity ${as.name})`,
      request: { method: 'GET', url: planned.url, headers: planned.headers, purpose: `quotes in ${param.name} as ${as.name}` },
      echoes: [QUOTE_PROBE],
      location: { method: 'GET', route: operation.path, parameter: param.name },
      baseline: '',
      as,
    });
  }
  return out;
}

/**
 * Routes that refuse anonymous callers get two broken tokens: one that is not a JWT at all and
 * one whose signature is wrong. What the target says about them is judged by the review, with
 * every other answer (a library's exception text is `errors.verbose-auth`).
 */
async function malformedTokens(ctx: CheckContext): Promise<void> {
  const refused = ctx.survey.observations.filter((o) => o.method === 'GET' && o.result.response.status === 401).slice(0, MAX_TOKEN_ROUTES);
  const forged = `${b64url(JSON.stringify({ alg: 'HS256', typ: 'JWT' }))}.${b64url(JSON.stringify({ sub: 'rampart-probe', iat: Math.floor(Date.now() / 1000) }))}.rampart-probe-${ctx.token}`;
  for (const observation of refused) {
    for (const [token, purpose] of [[`rampart-probe-${ctx.token}`, 'a token that is not a JWT'], [forged, 'a JWT with a wrong signature']] as const) {
      await ctx.send({ method: 'GET', url: observation.url, headers: { authorization: `Bearer ${token}` }, purpose });
    }
  }
}

function judge(grouped: Grouped, probe: Probe, result: Extract<HttpResult, { outcome: 'ok' }>): void {
  const text = stripEchoes(result.response.text, probe.echoes);
  const normal = new Set(findLeaks(probe.baseline).map((leak) => leak.name));
  const leaks = reportable(findLeaks(text).filter((leak) => !normal.has(leak.name)));
  for (const leak of leaks) {
    grouped.add(LEAK_RULES[leak.kind], probe.location, () => ({
      summary: `Sent ${probe.label}; the ${result.response.status} answer contains a ${leak.name}: \`${leak.sample.slice(0, 160)}\`.`,
      exchanges: [exchange(probe.label, result, leak.sample)],
    }));
  }
}

async function trace(ctx: CheckContext, grouped: Grouped): Promise<void> {
  const marker = `${ctx.token}-trace`;
  const result = await ctx.send({ method: 'TRACE', url: ctx.target.root(), headers: { 'x-rampart-probe': marker }, purpose: 'TRACE echo' });
  if (!usable(result)) return;
  const { status, text } = result.response;
  if (status >= 200 && status < 300 && text.toLowerCase().includes(`x-rampart-probe: ${marker}`)) {
    grouped.add('errors.trace-enabled', { method: 'TRACE', route: ctx.target.routeOf(ctx.target.root()) }, () => ({
      summary: `TRACE answered ${status} and echoed the request's headers back, including the probe header \`X-Rampart-Probe: ${marker}\`.`,
      exchanges: [exchange('TRACE with a marker header', result, marker)],
    }));
  }
}
