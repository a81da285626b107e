// Transport: plain HTTP that does not move clients to HTTPS, and for HTTPS targets, a missing
// or short Strict-Transport-Security. HSTS sent over plain HTTP is ignored by browsers, so it
// is never asked for there.
import type { Check, CheckContext } from '../check.ts';
import { Grouped } from '../check.ts';
import { exchange } from '../lib/evidence.ts';

/** 180 days: below this, HSTS lapses between visits of occasional users. */
export const HSTS_MIN_MAX_AGE = 15_552_000;

export function hstsMaxAge(value: string): number | undefined {
  const match = /(?:^|;)\s*max-age\s*=\s*"?(\d+)"?/i.exec(value);
  return match ? Number(match[1]) : undefined;
}

export const transportCheck: Check = {
  id: 'transport',
  title: 'Transport security',
  owasp: 'API8:2023',
  cwe: 319,
  summary: 'Plain HTTP without a redirect to HTTPS; missing or weak HSTS on HTTPS targets.',
  needs: [],
  rules: [
    {
      id: 'transport.plain-http',
      title: 'Served over plain HTTP without a redirect to HTTPS',
      severity: 'medium',
      owasp: 'API8:2023',
      cwe: 319,
      fix: 'Serve the API over HTTPS only; answer plain HTTP with a redirect (308) to the HTTPS URL, or do not listen on it.',
    },
    {
      id: 'transport.hsts-missing',
      title: 'HTTPS answers without Strict-Transport-Security',
      severity: 'medium',
      owasp: 'API8:2023',
      cwe: 319,
      fix: 'Send `Strict-Transport-Security: max-age=31536000; includeSubDomains` on every HTTPS response.',
    },
    {
      id: 'transport.hsts-weak',
      title: 'Strict-Transport-Security max-age is too short',
      severity: 'low',
      owasp: 'API8:2023',
      cwe: 319,
      fix: 'Use `max-age=31536000` (one year) or more, with `includeSubDomains`.',
    },
  ],
  run(ctx: CheckContext): Promise<void> {
    const base = ctx.survey.base;
    if (base === undefined) {
      ctx.note('no answer from the base URL to judge transport on');
      return Promise.resolve();
    }
    if (!ctx.target.secure) {
      const { status, headers } = base.result.response;
      let upgrades = false;
      if (status >= 300 && status < 400 && headers.location !== undefined) {
        try {
          const next = new URL(headers.location, base.url);
          upgrades = next.protocol === 'https:' && next.hostname === ctx.target.base.hostname;
        } catch {
          upgrades = false;
        }
      }
      if (!upgrades) {
        ctx.report({
          rule: 'transport.plain-http',
          confidence: 'confirmed',
          location: { method: 'GET', route: base.route },
          scope: 'target',
          ...(ctx.target.loopback ? { severity: 'info' as const, title: 'Served over plain HTTP (loopback target: informational)' } : {}),
          evidence: {
            summary: `${ctx.target.base.href} answers over plain HTTP with ${status} instead of redirecting to HTTPS, so requests and answers cross the network readable and alterable.`,
            exchanges: [exchange('plain HTTP request to the base URL', base.result, undefined, ['location'])],
          },
        });
      }
      return Promise.resolve();
    }
    const grouped = new Grouped(ctx);
    for (const observation of ctx.survey.observations) {
      const value = observation.result.response.headers['strict-transport-security'];
      const location = { method: observation.method, route: observation.route };
      const maxAge = value === undefined ? undefined : hstsMaxAge(value);
      if (value === undefined || maxAge === undefined || maxAge === 0) {
        grouped.add('transport.hsts-missing', location, () => ({
          summary:
            value === undefined
              ? 'This HTTPS answer has no Strict-Transport-Security header, so a browser can be downgraded to plain HTTP on its next visit.'
              : `Strict-Transport-Security \`${value}\` has no usable max-age (0 or absent), which turns HSTS off.`,
          exchanges: [exchange('HTTPS answer', observation.result, undefined, ['strict-transport-security'])],
        }));
      } else if (maxAge < HSTS_MIN_MAX_AGE) {
        grouped.add('transport.hsts-weak', location, () => ({
          summary: `Strict-Transport-Security max-age is ${maxAge} s (${(maxAge / 86_400).toFixed(1)} days); below 180 days the protection lapses between visits.`,
          exchanges: [exchange('HTTPS answer with a short HSTS', observation.result, undefined, ['strict-transport-security'])],
        }));
      }
    }
    grouped.flush();
    return Promise.resolve();
  },
};
