// Broken function level authorization (API5): an ordinary identity reaching routes meant for
// administrators. Admin routes are known from the spec (an `admin` tag, an `/admin` path segment,
// an admin scope) and from what the admin identity reaches. Only reads are sent: a write to an
// admin route could change data the audit does not own. Proven by content: the user's answer is
// the admin's answer (confirmed), or a non-empty JSON answer where an anonymous caller is refused.
import type { Check, CheckContext } from '../check.ts';
import { Grouped } from '../check.ts';
import type { HttpResult } from '../http/client.ts';
import { usable } from '../http/client.ts';
import { similarity } from '../lib/compare.ts';
import { exchange } from '../lib/evidence.ts';
import { parseJson } from '../lib/links.ts';
import { ok, users } from '../lib/owned.ts';
import type { ApiSpec, Operation } from '../spec/load.ts';
import { isObject } from '../spec/refs.ts';
import type { Json } from '../spec/refs.ts';
import { privilegeHeaders } from './privilege-headers.ts';

const ADMIN_WORD = /(?:^|[^a-z])(?:admin|administrator|superuser|staff|internal|manage(?:ment)?|backoffice|root)(?:$|[^a-z])/i;
const MAX_OPERATIONS = 30;

/** Why the spec marks an operation as admin-only, or undefined. */
export function adminReason(spec: ApiSpec, operation: Operation): string | undefined {
  if (operation.path.split('/').some((segment) => /^(?:admin|administration|superuser|staff|backoffice)$/i.test(segment))) return `its path ${operation.path} is under an admin segment`;
  const tags = operationTags(spec, operation);
  const tag = tags.find((t) => ADMIN_WORD.test(t));
  if (tag !== undefined) return `the spec tags it \`${tag}\``;
  for (const requirement of operation.security) {
    for (const scopes of Object.values(requirement)) {
      const scope = scopes.find((s) => ADMIN_WORD.test(s.replace(/[:.]/g, ' ')));
      if (scope !== undefined) return `the spec requires the scope \`${scope}\``;
    }
  }
  return undefined;
}

function operationTags(spec: ApiSpec, operation: Operation): string[] {
  const paths = spec.document.paths;
  const item = isObject(paths) ? paths[operation.path] : undefined;
  const raw = isObject(item) ? item[operation.method.toLowerCase()] : undefined;
  return isObject(raw) && Array.isArray(raw.tags) ? raw.tags.filter((t): t is string => typeof t === 'string') : [];
}

function meaningful(result: HttpResult): boolean {
  if (!ok(result)) return false;
  const json = parseJson(result.response.text);
  if (json === undefined) return false;
  const empty = (value: Json): boolean => (Array.isArray(value) ? value.length === 0 : isObject(value) ? Object.keys(value).length === 0 : false);
  return !empty(json);
}

export const functionLevelCheck: Check = {
  id: 'function-level',
  title: 'Function level authorization',
  owasp: 'API5:2023',
  cwe: 285,
  summary: 'An ordinary identity reaching admin-only routes (from the spec and from what the admin identity reaches), or any caller let in by a role, admin or user header it sets; reads only.',
  needs: ['spec', 'identities'],
  rules: [
    {
      id: 'function-level.admin-route',
      title: 'An ordinary user reaches an admin route',
      severity: 'high',
      owasp: 'API5:2023',
      cwe: 285,
      fix: 'Deny by default: give every admin route a policy that requires the admin role or scope, enforced before the handler, and test it with a non-admin token.',
    },
    {
      id: 'function-level.header-privilege',
      title: 'Privilege taken from a request header the client sets',
      severity: 'critical',
      owasp: 'API5:2023',
      cwe: 290,
      fix: 'Take the caller\'s identity and role only from the verified credential (the token\'s claims or the session), never from request headers; where a proxy authenticates, have it strip these headers from client requests and trust them only from the proxy.',
    },
  ],
  async run(ctx: CheckContext): Promise<void> {
    const spec = ctx.spec!;
    const [user] = users(ctx);
    if (user === undefined) return;
    const admin = ctx.identities.find((i) => i.role === 'admin');
    const grouped = new Grouped(ctx);
    const reads = spec.operations.filter((o) => o.method === 'GET');
    let probed = 0;
    for (const operation of reads) {
      if (probed >= MAX_OPERATIONS) break;
      let reason = adminReason(spec, operation);
      const planned = ctx.planner!.plan(operation);
      const request = { method: 'GET', url: planned.url, headers: planned.headers };
      let adminAnswer: HttpResult | undefined;
      if (admin !== undefined && reason !== undefined) {
        adminAnswer = await ctx.sendAs(admin, { ...request, purpose: `${operation.path} as the admin ${admin.name}` });
      } else if (admin !== undefined && reason === undefined) {
        // What the admin reaches and a user is told to leave alone is admin-only too; only look when the survey saw it refused.
        if (!ctx.protection.isProtected(operation)) continue;
        adminAnswer = await ctx.sendAs(admin, { ...request, purpose: `${operation.path} as the admin ${admin.name}` });
        const second = users(ctx)[1];
        if (!ok(adminAnswer) || second === undefined) continue;
        // A route both users are refused but the admin reaches is admin-only.
        const other = await ctx.sendAs(second, { ...request, purpose: `${operation.path} as ${second.name}` });
        if (!usable(other) || (other.response.status !== 403 && other.response.status !== 404)) continue;
        reason = `the admin ${admin.name} reaches it while ${second.name} is refused ${other.response.status}`;
      }
      if (reason === undefined) continue;
      probed++;
      const answer = await ctx.sendAs(user, { ...request, purpose: `${operation.path} as the ordinary user ${user.name}` });
      if (!meaningful(answer)) continue;
      const anonymousStatus = ctx.survey.baseline(operation)?.result.response.status;
      const sameAsAdmin = adminAnswer !== undefined && ok(adminAnswer) && usable(answer) && similarity(adminAnswer.response.text, answer.response.text) >= 0.9;
      const refusedAnonymously = ctx.protection.refusesAnonymous(operation);
      if (!sameAsAdmin && !refusedAnonymously) continue;
      const location = { method: 'GET', route: operation.path };
      grouped.add(
        'function-level.admin-route',
        location,
        () => ({
          summary: `GET ${operation.path} is admin-only (${reason}), yet the ordinary user ${user.name} got ${usable(answer) ? answer.response.status : ''} with data${sameAsAdmin ? ', the same answer the admin gets' : `, where an anonymous caller gets ${anonymousStatus}`}.`,
          exchanges: [
            exchange(`${user.name} (role user)`, answer),
            ...(sameAsAdmin && adminAnswer !== undefined ? [exchange(`${admin!.name} (role admin)`, adminAnswer)] : []),
          ],
        }),
        sameAsAdmin ? 'confirmed' : 'firm',
      );
    }
    grouped.flush();
    await privilegeHeaders(ctx, (operation) => adminReason(spec, operation) !== undefined, (operation, summary, exchanges) => {
      ctx.report({ rule: 'function-level.header-privilege', confidence: 'confirmed', location: { method: 'GET', route: operation.path }, evidence: { summary, exchanges } });
    });
  },
};
