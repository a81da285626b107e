// CORS: which origins may read answers. Proven by sending an Origin and reading back
// Access-Control-Allow-Origin: an arbitrary origin echoed with credentials, `null` accepted, a
// look-alike of an allowed origin accepted (the signature of a prefix/suffix/unescaped-dot regex
// bug), or the plain-http twin of an allowed https origin. Some frameworks answer CORS only on a
// preflight or only to a request that carries a cookie: each origin is tried in those forms too.
// An arbitrary origin echoed without credentials is a note, not a finding: nothing a user is
// signed in to can be read that way.
import { isIP } from 'node:net';
import type { Check, CheckContext } from '../check.ts';
import { Grouped } from '../check.ts';
import type { Location } from '../finding.ts';
import type { HttpResult } from '../http/client.ts';
import { usable } from '../http/client.ts';
import { exchange } from '../lib/evidence.ts';

const MAX_ROUTES = 20;
/** Routes where each origin is also tried as a preflight and with a cookie (CORS is usually set once for all). */
const MAX_VARIANT_ROUTES = 3;
const CORS_HEADERS = ['access-control-allow-origin', 'access-control-allow-credentials'];
const MAX_CANDIDATES = 4;

interface Verdict {
  allowed: boolean;
  credentials: boolean;
  result: HttpResult;
  /** How the origin was sent: `a GET`, `a GET with a cookie`, `a preflight (OPTIONS)`. */
  how: string;
}

function verdict(result: HttpResult, origin: string, how: string): Verdict {
  if (!usable(result)) return { allowed: false, credentials: false, result, how };
  const headers = result.response.headers;
  return {
    allowed: (headers['access-control-allow-origin'] ?? '').trim() === origin,
    credentials: (headers['access-control-allow-credentials'] ?? '').trim().toLowerCase() === 'true',
    result,
    how,
  };
}

/** The `http://` twin of an allowed `https://` origin: plain HTTP, so anyone on the network can serve it. */
export function downgraded(origin: string): string | undefined {
  return origin.startsWith('https://') ? `http://${origin.slice('https://'.length)}` : undefined;
}

/** Origins (scheme, host, port) written in a text: the spec's description, links in answers. */
export function mentionedOrigins(text: string): string[] {
  const out = new Set<string>();
  for (const match of text.matchAll(/\bhttps?:\/\/[a-z0-9-]+(?:\.[a-z0-9-]+)*(?::\d+)?/gi)) {
    try {
      out.add(new URL(match[0]).origin);
    } catch {
      // not a URL
    }
  }
  return [...out];
}

export interface Lookalike {
  kind: 'prefix' | 'suffix' | 'unescaped-dot';
  origin: string;
  /** The allowlist bug this origin slips through. */
  bug: string;
}

/** Origins an attacker could register that a broken allowlist for `origin` would accept. */
export function lookalikes(origin: string, token: string): Lookalike[] {
  let url: URL;
  try {
    url = new URL(origin);
  } catch {
    return [];
  }
  const host = url.hostname;
  if (isIP(host.replace(/^\[|\]$/g, '')) !== 0 || !host.includes('.')) return [];
  const port = url.port === '' ? '' : `:${url.port}`;
  const labels = host.split('.');
  const domain = labels.slice(-2).join('.');
  const out: Lookalike[] = [];
  if (port === '') {
    out.push({
      kind: 'prefix',
      origin: `${url.protocol}//${host}.${token}.example`,
      bug: `a pattern without an end anchor (\`^${url.protocol}//${host.replaceAll('.', '\\.')}\`) or a starts-with test`,
    });
  }
  out.push({
    kind: 'suffix',
    origin: `${url.protocol}//${token}${domain}${port}`,
    bug: `an ends-with test on \`${domain}\` without the leading dot`,
  });
  if (labels.length >= 3) {
    out.push({
      kind: 'unescaped-dot',
      origin: `${url.protocol}//${labels[0]!}x${labels.slice(1).join('.')}${port}`,
      bug: 'a regular expression with an unescaped `.`, which matches any character',
    });
  }
  return out;
}

function candidateOrigins(ctx: CheckContext): string[] {
  const out = new Set<string>([ctx.target.origin]);
  // Origins the target names (a front end in the spec's description, a server list): it may allow them.
  for (const origin of mentionedOrigins(JSON.stringify(ctx.spec?.document.info ?? {}))) out.add(origin);
  for (const server of ctx.spec?.servers ?? []) {
    if (/^https?:\/\//i.test(server) && !server.includes('{')) {
      try {
        out.add(new URL(server).origin);
      } catch {
        // not a URL; ignore
      }
    }
  }
  for (const observation of ctx.survey.observations) {
    const acao = observation.result.response.headers['access-control-allow-origin']?.trim();
    if (acao !== undefined && /^https?:\/\/[^\s,]+$/.test(acao)) out.add(acao);
  }
  return [...out].slice(0, MAX_CANDIDATES);
}

/**
 * The origin in a plain GET, then (on the first routes) a GET carrying a cookie and a preflight:
 * the first form the target allows the origin in, else the plain GET's refusal.
 */
async function tryOrigin(ctx: CheckContext, url: URL, origin: string, purpose: string, variants: boolean): Promise<Verdict> {
  const plain = verdict(await ctx.send({ method: 'GET', url, headers: { origin }, purpose }), origin, 'a GET');
  if (plain.allowed || !variants) return plain;
  const cookie = verdict(await ctx.send({ method: 'GET', url, headers: { origin, cookie: `rampart_probe=${ctx.token}` }, purpose: `${purpose}, with a cookie` }), origin, 'a GET with a cookie');
  if (cookie.allowed) return cookie;
  const preflight = await ctx.send({
    method: 'OPTIONS',
    url,
    headers: { origin, 'access-control-request-method': 'GET', 'access-control-request-headers': 'authorization' },
    purpose: `${purpose}, preflight`,
  });
  const answer = verdict(preflight, origin, 'a preflight (OPTIONS)');
  return answer.allowed ? answer : plain;
}

export const corsCheck: Check = {
  id: 'cors',
  title: 'Cross-origin resource sharing',
  owasp: 'API8:2023',
  cwe: 942,
  summary: 'Arbitrary origins allowed with credentials, null origins, look-alikes or plain-http twins of allowed origins accepted; in simple requests, cookie-bearing ones and preflights.',
  needs: [],
  rules: [
    {
      id: 'cors.any-origin-credentials',
      title: 'Any origin may read answers with the user\'s credentials',
      severity: 'high',
      owasp: 'API8:2023',
      cwe: 942,
      fix: 'Allow only an exact list of trusted origins (compare the whole string, never echo the request\'s Origin); keep credentials off for anything else.',
    },
    {
      id: 'cors.null-origin-credentials',
      title: 'The `null` origin may read answers with credentials',
      severity: 'high',
      owasp: 'API8:2023',
      cwe: 942,
      fix: 'Never allow the `null` origin: sandboxed iframes and local files send it, so any attacker page can too.',
    },
    {
      id: 'cors.null-origin',
      title: 'The `null` origin is allowed',
      severity: 'low',
      owasp: 'API8:2023',
      cwe: 942,
      fix: 'Never allow the `null` origin: sandboxed iframes and local files send it, so any attacker page can too.',
    },
    {
      id: 'cors.lookalike-origin-credentials',
      title: 'Look-alike of an allowed origin may read answers with credentials',
      severity: 'high',
      owasp: 'API8:2023',
      cwe: 942,
      fix: 'Compare origins by exact string equality against a list; if patterns are unavoidable, anchor both ends and escape dots.',
    },
    {
      id: 'cors.lookalike-origin',
      title: 'Look-alike of an allowed origin is accepted',
      severity: 'low',
      owasp: 'API8:2023',
      cwe: 942,
      fix: 'Compare origins by exact string equality against a list; if patterns are unavoidable, anchor both ends and escape dots.',
    },
    {
      id: 'cors.insecure-origin-credentials',
      title: 'The plain-http twin of an allowed origin may read answers with credentials',
      severity: 'high',
      owasp: 'API8:2023',
      cwe: 942,
      fix: 'Allow only `https://` origins, compared as whole strings (a pattern like `https?://` also trusts the plain-http page, which anyone on the network path can forge).',
    },
  ],
  async run(ctx: CheckContext): Promise<void> {
    const grouped = new Grouped(ctx);
    const routes = new Map<string, { url: URL; location: Location }>();
    for (const observation of ctx.survey.observations) {
      if (routes.size >= MAX_ROUTES) break;
      if (observation.method !== 'GET' || routes.has(observation.route)) continue;
      routes.set(observation.route, { url: observation.url, location: { method: 'GET', route: observation.route } });
    }
    const candidates = candidateOrigins(ctx);
    const reflectedWithout: string[] = [];
    let index = 0;
    for (const { url, location } of routes.values()) {
      const variants = index++ < MAX_VARIANT_ROUTES;
      const probe = (origin: string, purpose: string): Promise<Verdict> => tryOrigin(ctx, url, origin, purpose, variants);
      const evil = `https://${ctx.token}.rampart-probe.example`;
      const any = await probe(evil, 'arbitrary origin');
      if (any.allowed && any.credentials) {
        grouped.add('cors.any-origin-credentials', location, () => ({
          summary: `An origin the target cannot know (${evil}), sent in ${any.how}, was echoed in Access-Control-Allow-Origin with Access-Control-Allow-Credentials: true: any site can read this route as the signed-in user.`,
          exchanges: [exchange(`${any.how} from an unknown origin`, any.result, undefined, CORS_HEADERS)],
        }));
        continue;
      }
      if (any.allowed) {
        // Without credentials a browser sends no cookie: only what anyone may fetch is readable.
        reflectedWithout.push(location.route);
        continue;
      }
      const nul = await probe('null', 'null origin');
      if (nul.allowed) {
        grouped.add(nul.credentials ? 'cors.null-origin-credentials' : 'cors.null-origin', location, () => ({
          summary: `Origin \`null\`, sent in ${nul.how}, was accepted${nul.credentials ? ' with credentials' : ''}: a sandboxed iframe on any site sends it.`,
          exchanges: [exchange(`${nul.how} from the null origin`, nul.result, undefined, CORS_HEADERS)],
        }));
      }
      for (const candidate of candidates) {
        const trusted = await probe(candidate, 'trusted origin candidate');
        if (!trusted.allowed) continue;
        let loose = false;
        for (const lookalike of lookalikes(candidate, ctx.token)) {
          const fake = await probe(lookalike.origin, `${lookalike.kind} look-alike origin`);
          if (!fake.allowed) continue;
          loose = true;
          grouped.add(fake.credentials ? 'cors.lookalike-origin-credentials' : 'cors.lookalike-origin', location, () => ({
            summary: `${candidate} is allowed, and so is ${lookalike.origin} (sent in ${fake.how}), which an attacker can register: the allowlist uses ${lookalike.bug}.`,
            exchanges: [exchange('the allowed origin', trusted.result, undefined, CORS_HEADERS), exchange(`${lookalike.kind} look-alike`, fake.result, undefined, CORS_HEADERS)],
          }));
        }
        // A pattern already shown to let look-alikes in is the one bug; its http:// twin is not another.
        const plain = downgraded(candidate);
        if (loose || plain === undefined || ctx.target.origin === plain) continue;
        const insecure = await probe(plain, 'plain-http twin of an allowed origin');
        if (!insecure.allowed) continue;
        if (!insecure.credentials) {
          ctx.note(`${location.route}: ${plain}, the plain-http twin of the allowed ${candidate}, is accepted too (without credentials)`);
          continue;
        }
        grouped.add('cors.insecure-origin-credentials', location, () => ({
          summary: `${candidate} is allowed, and so is ${plain} (sent in ${insecure.how}) with credentials: a page served over plain HTTP, which anyone on the network path can forge, reads this route as the signed-in user.`,
          exchanges: [exchange('the allowed origin', trusted.result, undefined, CORS_HEADERS), exchange('its plain-http twin', insecure.result, undefined, CORS_HEADERS)],
        }));
      }
    }
    if (reflectedWithout.length > 0) {
      ctx.note(`any origin is echoed without credentials on ${reflectedWithout.length} route(s) (e.g. ${reflectedWithout[0]!}): not a finding, a browser sends no cookie with such reads; make sure nothing there depends on the caller's network`);
    }
    grouped.flush();
  },
};
