// Inventory (API9): what answers that should not. Documentation, debug and status endpoints at
// the paths frameworks use for them, at the root, under the target's prefix and under every
// directory of the spec's paths, and among the spec's own routes (judged by content, never by
// status alone); spec routes that answer without the authentication the spec declares; routes
// revealed by answers that the spec does not document.
import type { Check, CheckContext } from '../check.ts';
import type { HttpResponse, UsableResult } from '../http/client.ts';
import { usable } from '../http/client.ts';
import { similarity } from '../lib/compare.ts';
import { exchange } from '../lib/evidence.ts';
import { parseJson } from '../lib/links.ts';
import { documented } from '../survey.ts';
import { isObject } from '../spec/refs.ts';
import type { Json } from '../spec/refs.ts';
import { parseSpecText } from '../spec/load.ts';
import { requiresAuth } from '../spec/load.ts';
import { isHtml } from './headers.ts';

/** Paths where frameworks and servers expose docs, debug and status pages. */
export const WELL_KNOWN_PATHS = [
  // documentation
  'docs',
  'docs/',
  'documentation',
  'documentation/json',
  'docs/json',
  'swagger',
  'swagger-ui',
  'swagger-ui.html',
  'swagger/index.html',
  'api-docs',
  'redoc',
  'openapi.json',
  'openapi.yaml',
  'swagger.json',
  'v3/api-docs',
  // debug
  'debug',
  'debug/vars',
  'debug/pprof/',
  'debug/env',
  'debug/config',
  '_debug',
  '__debug__/',
  'env',
  '.env',
  'config.json',
  'actuator/env',
  'actuator/configprops',
  'phpinfo.php',
  'console',
  // status
  'status',
  'health',
  'healthz',
  'info',
  'version',
  'metrics',
  'actuator/health',
  'actuator/info',
  'actuator/metrics',
  'server-status',
] as const;

/** Debug and status names tried under each directory of the spec's paths (`/internal/debug/vars`). */
export const NESTED_PATHS = ['debug', 'debug/vars', 'debug/pprof/', 'env', '.env', 'actuator/env', 'config', 'metrics', 'status', 'info'] as const;
/** Directories of the spec's paths tried, shortest first. */
const MAX_DIRECTORIES = 8;

type Exposure = { rule: 'inventory.docs-exposed' | 'inventory.debug-endpoint' | 'inventory.status-details'; why: string; focus?: string | RegExp };

const ENV_NAMES = /^(?:PATH|HOME|USER|PWD|HOSTNAME|NODE_ENV|SHELL|LANG)$/;
const SECRET_NAME = /(?:SECRET|PASSWORD|PASSWD|TOKEN|API_?KEY|PRIVATE|CREDENTIAL|DATABASE_URL|DSN)/i;
/** Keys of a status answer that describe the machine and runtime rather than the service's health. */
const SYSTEM_KEYS =
  /^(?:memory|memoryusage|heap\w*|rss|pid|hostname|host|os|platform|arch|cpus?|loadavg|node|nodeversion|runtime|versions|env|environment|dependencies|process|kernel)$/i;

function keysOf(json: Json, depth = 0, out: string[] = []): string[] {
  if (depth > 3) return out;
  if (isObject(json)) {
    for (const [key, value] of Object.entries(json)) {
      out.push(key);
      keysOf(value, depth + 1, out);
    }
  } else if (Array.isArray(json)) {
    for (const item of json.slice(0, 10)) keysOf(item, depth + 1, out);
  }
  return out;
}

/** What an answer at a well-known path exposes, judged by its content. */
export function classify(response: HttpResponse): Exposure | undefined {
  if (response.status !== 200 || response.body.length === 0) return undefined;
  const text = response.text;
  const head = text.slice(0, 200_000);
  // Documentation: an OpenAPI/Swagger document, or a documentation UI.
  if (/^\s*\{?\s*["']?(?:openapi|swagger)["']?\s*:/m.test(head.slice(0, 2000))) {
    try {
      const doc = parseSpecText(text, 'answer');
      if (isObject(doc) && (typeof doc.openapi === 'string' || typeof doc.swagger === 'string') && isObject(doc.paths)) {
        return { rule: 'inventory.docs-exposed', why: `an OpenAPI document listing ${Object.keys(doc.paths).length} paths`, focus: /openapi|swagger/ };
      }
    } catch {
      // not a spec after all
    }
  }
  if (isHtml(response.headers) && /swagger-ui|SwaggerUIBundle|<redoc|redoc\.standalone|rapi-doc|@scalar\/api-reference|graphiql/i.test(head)) {
    return { rule: 'inventory.docs-exposed', why: 'an interactive API documentation page', focus: /swagger|redoc|rapi-doc|scalar|graphiql/i };
  }
  // Debug: environment or configuration dumps, runtime internals.
  const json = parseJson(text);
  if (json !== undefined) {
    const keys = keysOf(json);
    const envNames = keys.filter((k) => /^[A-Z][A-Z0-9_]{1,}$/.test(k));
    if (envNames.filter((k) => ENV_NAMES.test(k)).length >= 2 || (envNames.length >= 3 && envNames.some((k) => SECRET_NAME.test(k)))) {
      return { rule: 'inventory.debug-endpoint', why: `a dump of environment variables (${envNames.slice(0, 6).join(', ')}${envNames.length > 6 ? ', …' : ''})`, focus: envNames[0]! };
    }
    if (keys.includes('cmdline') && keys.includes('memstats')) return { rule: 'inventory.debug-endpoint', why: 'Go expvar runtime variables', focus: 'cmdline' };
    if (keys.includes('propertySources') || keys.includes('activeProfiles')) return { rule: 'inventory.debug-endpoint', why: 'Spring Actuator environment', focus: 'propertySources' };
    const system = new Set(keys.filter((k) => SYSTEM_KEYS.test(k)).map((k) => k.toLowerCase()));
    // `{"status":"ok","uptime":1,"database":"ok"}` is a health check; hosts, memory and runtime versions are not.
    if (system.size >= 3) {
      return { rule: 'inventory.status-details', why: `internal system details (${[...system].slice(0, 6).join(', ')})`, focus: [...system][0]! };
    }
    return undefined;
  }
  if ((head.match(/^[A-Z][A-Z0-9_]*=.+$/gm) ?? []).length >= 3) {
    return { rule: 'inventory.debug-endpoint', why: 'an environment (.env) file', focus: /^[A-Z][A-Z0-9_]*=/m };
  }
  if (/Types of profiles available/.test(head)) return { rule: 'inventory.debug-endpoint', why: 'Go pprof profiles', focus: 'profiles' };
  if (/phpinfo\(\)|<title>PHP \d[\d.]* - phpinfo/.test(head)) return { rule: 'inventory.debug-endpoint', why: 'phpinfo()', focus: 'PHP' };
  if (/Interactive Console|Werkzeug/.test(head)) return { rule: 'inventory.debug-endpoint', why: 'an interactive debug console', focus: 'Console' };
  if ((head.match(/^# (?:HELP|TYPE) \w+/gm) ?? []).length >= 3) {
    return { rule: 'inventory.status-details', why: 'Prometheus metrics of the process', focus: '# HELP' };
  }
  if (/Apache Server Status/.test(head)) return { rule: 'inventory.status-details', why: 'Apache server-status', focus: 'Server Status' };
  return undefined;
}

/** Masks values of secret-looking names in evidence, so a report never spreads the secrets it found. */
export function maskSecrets(text: string): string {
  return text.replace(
    /(["']?[\w.-]*(?:SECRET|PASSWORD|PASSWD|TOKEN|API_?KEY|PRIVATE|CREDENTIAL|DATABASE_URL|DSN)[\w.-]*["']?\s*[:=]\s*["']?)[^"'\s,}]+/gi,
    '$1***',
  );
}

function masked(result: UsableResult): UsableResult {
  return { ...result, response: { ...result.response, text: maskSecrets(result.response.text) } };
}

export const inventoryCheck: Check = {
  id: 'inventory',
  title: 'API inventory',
  owasp: 'API9:2023',
  cwe: 1059,
  summary: 'Docs, debug and status endpoints exposed; spec routes answering without their declared authentication; undocumented routes.',
  needs: [],
  rules: [
    {
      id: 'inventory.docs-exposed',
      title: 'API documentation is public',
      severity: 'low',
      owasp: 'API9:2023',
      cwe: 200,
      context: 'development-only',
      fix: 'Serve documentation only in development, or behind authentication with a docs scope in production.',
    },
    {
      id: 'inventory.debug-endpoint',
      title: 'Debug endpoint exposes internals',
      severity: 'high',
      owasp: 'API9:2023',
      cwe: 489,
      fix: 'Remove debug endpoints from production builds (or bind them to localhost); rotate any secret they exposed.',
    },
    {
      id: 'inventory.status-details',
      title: 'Status endpoint reveals system details',
      severity: 'low',
      owasp: 'API9:2023',
      cwe: 497,
      fix: 'Keep public health checks to `{"status":"ok"}`; put versions, hosts and metrics behind authentication or an internal port.',
    },
    {
      id: 'inventory.unauthenticated-route',
      title: 'Route answers without the authentication its spec declares',
      severity: 'high',
      owasp: 'API2:2023',
      cwe: 306,
      fix: 'Enforce the declared security requirement on this route (deny by default: every route states its policy, and the server refuses to start when one does not).',
    },
    {
      id: 'inventory.undocumented-route',
      title: 'Route answers but is not in the spec',
      severity: 'low',
      owasp: 'API9:2023',
      cwe: 1059,
      fix: 'Document the route in the spec with its security requirement, or remove it if it is a leftover (old version, internal tool).',
    },
  ],
  async run(ctx: CheckContext): Promise<void> {
    await wellKnown(ctx);
    surveyed(ctx);
    if (ctx.spec === undefined) {
      ctx.note('no spec: declared authentication and undocumented routes not checked');
      return;
    }
    unauthenticated(ctx);
    undocumented(ctx);
  },
};

function reportExposure(ctx: CheckContext, exposure: Exposure, route: string, result: UsableResult): void {
  ctx.report({
    rule: exposure.rule,
    confidence: 'confirmed',
    location: { method: 'GET', route },
    evidence: {
      summary: `GET ${route} answered ${result.response.status} without credentials with ${exposure.why}.`,
      exchanges: [exchange(`unauthenticated GET ${route}`, exposure.rule === 'inventory.debug-endpoint' ? masked(result) : result, exposure.focus)],
    },
  });
}

/** Directories of the spec's paths below the target (`/internal/debug` for `/internal/debug/vars`), shortest first. */
function directories(ctx: CheckContext): string[] {
  const out = new Set<string>();
  for (const operation of ctx.spec?.operations ?? []) {
    const segments = operation.path.split('/').filter((s) => s !== '');
    for (let depth = 1; depth < segments.length; depth++) {
      if (segments[depth - 1]!.includes('{')) break;
      out.add(`/${segments.slice(0, depth).join('/')}`);
    }
  }
  return [...out].sort((a, b) => a.split('/').length - b.split('/').length || a.localeCompare(b)).slice(0, MAX_DIRECTORIES);
}

async function wellKnown(ctx: CheckContext): Promise<void> {
  // A server that answers 200 to anything: its catch-all page is not an exposure.
  const missing = new URL(ctx.target.origin);
  missing.pathname = `${ctx.target.prefix}/rampart-${ctx.token}-missing`;
  const control = await ctx.send({ method: 'GET', url: missing, purpose: 'catch-all control' });
  const catchAll = usable(control) && control.response.status === 200 ? control.response.text : undefined;
  const tries: { base: string; paths: readonly string[] }[] = [...new Set([ctx.target.prefix, ''])].map((base) => ({ base, paths: WELL_KNOWN_PATHS }));
  for (const directory of directories(ctx)) tries.push({ base: `${ctx.target.prefix}${directory}`, paths: NESTED_PATHS });
  for (const { base, paths } of tries) {
    for (const path of paths) {
      const url = new URL(ctx.target.origin);
      url.pathname = `${base}/${path}`;
      if (ctx.spec && documented(ctx.spec, ctx.target, url)) continue;
      const result = await ctx.send({ method: 'GET', url, purpose: `well-known path ${ctx.target.routeOf(url)}` });
      if (!usable(result) || result.response.status < 200 || result.response.status >= 300) continue;
      const exposure = classify(result.response);
      if (exposure === undefined) continue;
      if (catchAll !== undefined && similarity(catchAll, result.response.text) > 0.9) continue;
      reportExposure(ctx, exposure, ctx.target.routeOf(url), result);
    }
  }
}

/** The spec's own GET routes, as the survey found them without credentials: a debug dump the spec lists is still one. */
function surveyed(ctx: CheckContext): void {
  for (const observation of ctx.survey.observations) {
    const { status } = observation.result.response;
    if (observation.source !== 'spec' || status < 200 || status >= 300) continue;
    const exposure = classify(observation.result.response);
    if (exposure === undefined || exposure.rule === 'inventory.docs-exposed') continue;
    reportExposure(ctx, exposure, observation.route, observation.result);
  }
}

function unauthenticated(ctx: CheckContext): void {
  for (const observation of ctx.survey.observations) {
    const operation = observation.operation;
    if (operation === undefined || !requiresAuth(operation)) continue;
    const { status, text, headers } = observation.result.response;
    if (status < 200 || status >= 300) continue;
    // A login page served with 200 is not the protected content.
    if (isHtml(headers) && /type\s*=\s*["']?password/i.test(text)) continue;
    const schemes = operation.security.map((r) => Object.keys(r).join(' + ')).join(' or ');
    ctx.report({
      rule: 'inventory.unauthenticated-route',
      confidence: 'confirmed',
      location: { method: operation.method, route: operation.path },
      evidence: {
        summary: `The spec requires ${schemes} for ${operation.method} ${operation.path}, but a request with no credentials at all got ${status} with content.`,
        exchanges: [exchange('request without any credentials', observation.result)],
      },
    });
  }
}

function undocumented(ctx: CheckContext): void {
  const wellKnown = new Set<string>(WELL_KNOWN_PATHS.map((p) => `/${p}`));
  // A single-page app answers every unknown path with its one page: a link whose answer is
  // byte for byte another route's answer is that catch-all, not a route of its own.
  const routesByBody = new Map<string, Set<string>>();
  for (const observation of ctx.survey.observations) {
    const text = observation.result.response.text;
    if (text.length < 64) continue;
    const routes = routesByBody.get(text) ?? new Set<string>();
    routes.add(observation.route);
    routesByBody.set(text, routes);
  }
  for (const observation of ctx.survey.observations) {
    if (observation.source !== 'link') continue;
    const { status } = observation.result.response;
    if (status < 200 || status >= 300 || wellKnown.has(observation.route)) continue;
    if ((routesByBody.get(observation.result.response.text)?.size ?? 0) > 1) continue;
    const from = ctx.survey.revealed.get(observation.url.href)?.from ?? 'an answer';
    ctx.report({
      rule: 'inventory.undocumented-route',
      confidence: 'confirmed',
      location: { method: 'GET', route: observation.route },
      evidence: {
        summary: `${from} links to ${observation.route}, which answers ${status} but matches no path in the spec.`,
        exchanges: [exchange('request to the revealed route', observation.result)],
      },
    });
  }
}
