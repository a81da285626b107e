// Session cookies (API8): the attributes that keep a session cookie from being sent over plain
// HTTP (Secure), read by a page's script (HttpOnly), sent along with other sites' requests
// (SameSite) or shared with sibling hosts (a parent Domain). Passive: every Set-Cookie of every
// answer the audit received is read (logins, survey, probes), whichever check caused it.
import type { Check, CheckContext } from '../check.ts';
import { Grouped } from '../check.ts';
import { broaderDomain, isSessionCookie, maskedLine, parseSetCookies } from '../lib/cookies.ts';
import { exchange, masked } from '../lib/evidence.ts';
import { locate } from '../lib/passive.ts';

export const cookiesCheck: Check = {
  id: 'cookies',
  title: 'Session cookie attributes',
  owasp: 'API8:2023',
  cwe: 614,
  summary: 'Session cookies (by name, JWT value, or a token the same answer hands out) set without Secure, HttpOnly or SameSite, or for a parent domain; read from every answer.',
  needs: [],
  rules: [
    {
      id: 'cookies.missing-secure',
      title: 'Session cookie without the Secure attribute',
      severity: 'medium',
      owasp: 'API8:2023',
      cwe: 614,
      fix: 'Set `Secure` on every session cookie (and serve only over HTTPS), so a browser never sends it over plain HTTP where anyone on the path can read it.',
    },
    {
      id: 'cookies.missing-httponly',
      title: 'Session cookie readable by scripts (no HttpOnly)',
      severity: 'medium',
      owasp: 'API8:2023',
      cwe: 1004,
      fix: 'Set `HttpOnly` on every session cookie, so that a cross-site scripting flaw anywhere on the origin cannot read the session.',
    },
    {
      id: 'cookies.missing-samesite',
      title: 'Session cookie without a SameSite attribute',
      severity: 'low',
      owasp: 'API8:2023',
      cwe: 1275,
      fix: 'Set `SameSite=Strict` (or `Lax` where top-level navigation must stay signed in) on session cookies, so other sites\' requests do not carry them; keep CSRF protection for writes as well.',
    },
    {
      id: 'cookies.broad-scope',
      title: 'Session cookie scoped to a parent domain',
      severity: 'low',
      owasp: 'API8:2023',
      cwe: 668,
      fix: 'Leave `Domain` off session cookies (host-only), so sibling hosts under the same parent domain never receive them; use `__Host-` prefixed names to have browsers enforce it.',
    },
  ],
  run(): Promise<void> {
    // Nothing to send: cookies are judged in the review, once every answer (logins included) is in.
    return Promise.resolve();
  },
  review(ctx: CheckContext): Promise<void> {
    const grouped = new Grouped(ctx);
    const host = ctx.target.base.hostname;
    for (const { result, purpose } of ctx.answers) {
      const cookies = parseSetCookies(result.response.headers['set-cookie']).filter((c) => isSessionCookie(c, result.response.text));
      if (cookies.length === 0) continue;
      const location = locate(ctx, result.request.method, result.request.url);
      const label = `${location.method} ${location.route} sets a session cookie (${purpose ?? 'request'})`;
      for (const cookie of cookies) {
        const line = maskedLine(cookie);
        const add = (rule: string, summary: string): void => {
          grouped.add(rule, location, () => ({ summary, exchanges: [masked(exchange(label, result, undefined, ['set-cookie']), [cookie.value])] }));
        };
        if (!cookie.attributes.has('secure')) add('cookies.missing-secure', `The session cookie \`${cookie.name}\` is set without \`Secure\` (\`${line}\`): a browser also sends it over plain HTTP.`);
        if (!cookie.attributes.has('httponly')) add('cookies.missing-httponly', `The session cookie \`${cookie.name}\` is set without \`HttpOnly\` (\`${line}\`): any script on the page can read it.`);
        if (!cookie.attributes.has('samesite')) add('cookies.missing-samesite', `The session cookie \`${cookie.name}\` is set without \`SameSite\` (\`${line}\`): older browsers send it with every cross-site request.`);
        const parent = broaderDomain(cookie, host);
        if (parent !== undefined) add('cookies.broad-scope', `The session cookie \`${cookie.name}\` is set for \`Domain=${parent}\` (\`${line}\`): every host under ${parent}, not only ${host}, receives it.`);
      }
    }
    grouped.flush();
    return Promise.resolve();
  },
};
