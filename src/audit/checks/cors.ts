// CORS: which origins may read answers. Proven by sending an Origin and reading back
// Access-Control-Allow-Origin: an arbitrary origin echoed, `null` accepted, or a look-alike of
// an allowed origin accepted (the signature of a prefix/suffix/unescaped-dot regex bug).
import { isIP } from 'node:net';
import type { Check, CheckContext } from '../check.ts';
import { Grouped } from '../check.ts';
import type { Location } from '../finding.ts';
import type { HttpResult } from '../http/client.ts';
import { usable } from '../http/client.ts';
import { exchange } from '../lib/evidence.ts';

const MAX_ROUTES = 20;
const CORS_HEADERS = ['access-control-allow-origin', 'access-control-allow-credentials'];
const MAX_CANDIDATES = 3;

interface Verdict {
  allowed: boolean;
  credentials: boolean;
  result: HttpResult;
}

function verdict(result: HttpResult, origin: string): Verdict {
  if (!usable(result)) return { allowed: false, credentials: false, result };
  const headers = result.response.headers;
  return {
    allowed: (headers['access-control-allow-origin'] ?? '').trim() === origin,
    credentials: (headers['access-control-allow-credentials'] ?? '').trim().toLowerCase() === 'true',
    result,
  };
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

export const corsCheck: Check = {
  id: 'cors',
  title: 'Cross-origin resource sharing',
  owasp: 'API8:2023',
  cwe: 942,
  summary: 'Arbitrary or null origins allowed, look-alikes of allowed origins accepted, with or without credentials.',
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
      id: 'cors.any-origin',
      title: 'Any origin is echoed in Access-Control-Allow-Origin',
      severity: 'low',
      owasp: 'API8:2023',
      cwe: 942,
      fix: 'Allow only an exact list of trusted origins; never echo the request\'s Origin.',
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
    const probe = (url: URL, origin: string, purpose: string): Promise<Verdict> =>
      ctx.send({ method: 'GET', url, headers: { origin }, purpose }).then((result) => verdict(result, origin));

    for (const { url, location } of routes.values()) {
      const evil = `https://${ctx.token}.rampart-probe.example`;
      const any = await probe(url, evil, 'arbitrary origin');
      if (any.allowed) {
        grouped.add(any.credentials ? 'cors.any-origin-credentials' : 'cors.any-origin', location, () => ({
          summary: `An origin the target cannot know (${evil}) was echoed in Access-Control-Allow-Origin${any.credentials ? ' with Access-Control-Allow-Credentials: true: any site can read this route as the signed-in user' : ''}.`,
          exchanges: [exchange('request from an unknown origin', any.result, undefined, CORS_HEADERS)],
        }));
        continue;
      }
      const nul = await probe(url, 'null', 'null origin');
      if (nul.allowed) {
        grouped.add(nul.credentials ? 'cors.null-origin-credentials' : 'cors.null-origin', location, () => ({
          summary: `Origin \`null\` was accepted${nul.credentials ? ' with credentials' : ''}: a sandboxed iframe on any site sends it.`,
          exchanges: [exchange('request from the null origin', nul.result, undefined, CORS_HEADERS)],
        }));
      }
      for (const candidate of candidates) {
        const trusted = await probe(url, candidate, 'trusted origin candidate');
        if (!trusted.allowed) continue;
        for (const lookalike of lookalikes(candidate, ctx.token)) {
          const fake = await probe(url, lookalike.origin, `${lookalike.kind} look-alike origin`);
          if (!fake.allowed) continue;
          grouped.add(fake.credentials ? 'cors.lookalike-origin-credentials' : 'cors.lookalike-origin', location, () => ({
            summary: `${candidate} is allowed, and so is ${lookalike.origin}, which an attacker can register: the allowlist uses ${lookalike.bug}.`,
            exchanges: [exchange('the allowed origin', trusted.result, undefined, CORS_HEADERS), exchange(`${lookalike.kind} look-alike`, fake.result, undefined, CORS_HEADERS)],
          }));
        }
      }
    }
    grouped.flush();
  },
};
