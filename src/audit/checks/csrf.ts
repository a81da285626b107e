// Cross-site request forgery: an unsafe route authenticated by a cookie, sent the way another
// site's page can send it without a preflight (POST, a text/plain body, Origin and
// Sec-Fetch-Site of a foreign site, no token). Accepted, it proves any page the user visits
// can act as them. Safety: the body is the resource's current state, read first as the same
// identity, so the accepted write changes nothing; the state is read again to verify that.
import type { Check, CheckContext } from '../check.ts';
import { Grouped } from '../check.ts';
import type { HttpResult } from '../http/client.ts';
import { usable } from '../http/client.ts';
import type { AuditIdentity } from '../identities/identity.ts';
import { exchange } from '../lib/evidence.ts';
import { parseJson } from '../lib/links.ts';
import type { Operation } from '../spec/load.ts';
import { deref, isObject } from '../spec/refs.ts';
import type { Json } from '../spec/refs.ts';

const MAX_ROUTES = 6;

export const csrfCheck: Check = {
  id: 'csrf',
  title: 'Cross-site request forgery',
  owasp: 'API8:2023',
  cwe: 352,
  summary: 'A cookie-authenticated unsafe route that accepts a cross-site request (foreign Origin, text/plain body, no token).',
  needs: ['spec', 'identities'],
  rules: [
    {
      id: 'csrf.cross-site-accepted',
      title: 'A cookie-authenticated write accepts cross-site requests',
      severity: 'high',
      owasp: 'API8:2023',
      cwe: 352,
      fix: 'Refuse unsafe requests whose Origin (or Sec-Fetch-Site) is not your own site, require a CSRF token (double-submit or synchronizer) on cookie-authenticated writes, accept only application/json bodies, and set session cookies SameSite=Lax or Strict.',
    },
  ],
  async run(ctx: CheckContext): Promise<void> {
    const identity = ctx.identities.find((i) => i.inCookie && i.role === 'user') ?? ctx.identities.find((i) => i.inCookie);
    if (identity === undefined) {
      ctx.note('no cookie identity configured (--identity name=…,cookie=…): cookie-authenticated writes not probed');
      return;
    }
    const grouped = new Grouped(ctx);
    for (const operation of cookieWrites(ctx).slice(0, MAX_ROUTES)) await probe(ctx, grouped, identity, operation);
    grouped.flush();
  },
};

/** POST operations that a cookie scheme may authenticate. */
function cookieWrites(ctx: CheckContext): Operation[] {
  const spec = ctx.spec!;
  const cookieSchemes = new Set(Object.values(spec.securitySchemes).filter((s) => s.type === 'apiKey' && s.in === 'cookie').map((s) => s.name));
  return spec.operations.filter((o) => o.method === 'POST' && o.security.some((requirement) => Object.keys(requirement).some((name) => cookieSchemes.has(name))));
}

/** The current state, limited to the fields the write accepts. */
function writable(ctx: CheckContext, operation: Operation, state: Json | undefined): Record<string, Json> | undefined {
  if (!isObject(state)) return undefined;
  const schema = deref(ctx.spec!.document, operation.requestBody?.schema);
  if (!isObject(schema) || !isObject(schema.properties)) return undefined;
  const out: Record<string, Json> = {};
  for (const name of Object.keys(schema.properties)) if (state[name] !== undefined) out[name] = state[name];
  return Object.keys(out).length > 0 ? out : undefined;
}

async function probe(ctx: CheckContext, grouped: Grouped, identity: AuditIdentity, operation: Operation): Promise<void> {
  const reader = ctx.spec!.operations.find((o) => o.method === 'GET' && o.path === operation.path);
  if (reader === undefined) {
    ctx.note(`POST ${operation.path}: no GET on the same path to read the current state; not probed (it would write unknown values)`);
    return;
  }
  const planned = ctx.planner!.plan(reader);
  const read = (purpose: string): Promise<HttpResult> => ctx.sendAs(identity, { method: 'GET', url: planned.url, headers: planned.headers, purpose });
  const before = await read('read the current state');
  if (!usable(before) || before.response.status !== 200) return;
  const body = writable(ctx, operation, parseJson(before.response.text));
  if (body === undefined) return;
  const url = ctx.planner!.plan(operation).url;
  const crossSite = {
    'content-type': 'text/plain',
    origin: `https://${ctx.token}.rampart-probe.example`,
    'sec-fetch-site': 'cross-site',
    'sec-fetch-mode': 'no-cors',
  };
  const text = JSON.stringify(body);
  // The control carries the body cut short: refused for want of the cookie (401/403) before it is read, it proves the cookie
  // is what lets the request in; and no anonymous write can succeed (issue 19 item 3).
  const anonymous = await ctx.send({ method: 'POST', url, headers: crossSite, body: text.slice(0, -1), unacceptableBody: true, purpose: 'control: the same request cut short, without the cookie' });
  if (!usable(anonymous) || (anonymous.response.status !== 401 && anonymous.response.status !== 403)) return;
  const forged = await ctx.sendAs(identity, { method: 'POST', url, headers: crossSite, body: text, purpose: 'cross-site request with the cookie' });
  if (!usable(forged)) return;
  const after = await read('verify the state is unchanged');
  if (usable(after) && after.response.text !== before.response.text) {
    ctx.note(`RESTORE FAILED: POST ${operation.path} changed ${identity.name}'s state although the same values were written back; compare it with the values before the audit`);
  }
  if (forged.response.status < 200 || forged.response.status >= 300) return;
  grouped.add('csrf.cross-site-accepted', { method: 'POST', route: operation.path }, () => ({
    summary: `With ${identity.name}'s cookie, a text/plain POST from Origin ${crossSite.origin} (Sec-Fetch-Site: cross-site, no CSRF token) was accepted (${forged.response.status}); without the cookie it is refused (${anonymous.response.status}): any web page can make a signed-in user's browser send it. (The values written were the current ones, so nothing changed.)`,
    exchanges: [exchange('cross-site, no cookie: refused', anonymous), exchange('cross-site, with the cookie: accepted', forged)],
  }));
}
