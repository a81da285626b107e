// Logout that does not revoke (part of the authentication check, API2): the audit logs in once
// more as an identity, so that the session is its own, proves that session reads a protected
// route, calls the target's logout with it, and reads the same route with the same token again.
// Accepted after the logout means a stolen token outlives the user's sign-out. Only that session
// is ever logged out (the safety policy allows a logout for nothing else), so the identities'
// own sessions, and every other check using them, are untouched.
import type { AuditIdentity, CheckContext } from '../check.ts';
import type { HttpRequestSpec, HttpResult, UsableResult } from '../http/client.ts';
import { usable } from '../http/client.ts';
import { exchange } from '../lib/evidence.ts';
import { destructiveWord } from '../safety/policy.ts';
import type { Operation } from '../spec/load.ts';

/** Protected reads tried for the one the fresh session can read (the first that answers 2xx). */
const MAX_READS = 3;
/** Logout routes probed (each costs a login and three requests). */
const MAX_LOGOUTS = 2;
const PROFILE = /\b(?:me|self|profile|account|user|whoami|session)\b/i;

function ok(result: HttpResult): result is UsableResult {
  return usable(result) && result.response.status >= 200 && result.response.status < 300;
}

/** The spec's logout operations: their names say "log out" (the safety policy's own words). */
export function logoutOperations(operations: readonly Operation[]): Operation[] {
  return operations.filter((o) => ['POST', 'GET', 'DELETE'].includes(o.method) && destructiveWord(o)?.word === 'log out');
}

/** Protected GET routes without path parameters, a profile-like one first. */
function protectedReads(ctx: CheckContext): Operation[] {
  const reads = (ctx.spec?.operations ?? []).filter((o) => o.method === 'GET' && !o.parameters.some((p) => p.in === 'path') && ctx.protection.isProtected(o) && ctx.safety.callable(o).send);
  return reads.sort((a, b) => Number(PROFILE.test(b.path)) - Number(PROFILE.test(a.path))).slice(0, MAX_READS);
}

export async function logoutRevokes(ctx: CheckContext, report: (logout: Operation, exchanges: ReturnType<typeof exchange>[], summary: string) => void): Promise<void> {
  const logouts = logoutOperations(ctx.spec?.operations ?? []).slice(0, MAX_LOGOUTS);
  if (logouts.length === 0) {
    ctx.note('logout: not probed: the spec names no logout route');
    return;
  }
  // A given identity that logs in, else the audit's own account (issue 19), which always does.
  let identity = ctx.identities.find((i) => i.role === 'user' && i.login !== undefined);
  let why = 'no identity logs in and the target offers no sign-up for an account of the audit\'s own';
  if (identity === undefined && ctx.accounts !== undefined) {
    const own = await ctx.accounts.throwaway();
    if (typeof own === 'string') why = `no identity logs in, and no account of the audit's own: ${own}`;
    else identity = own.identity;
  }
  if (identity === undefined) {
    ctx.note(`logout: ${logouts.map((o) => `${o.method} ${o.path}`).join(', ')} not probed: ${why}; the audit logs out only a session it opened itself, never one it was given`);
    return;
  }
  const reads = protectedReads(ctx);
  if (reads.length === 0) {
    ctx.note('logout: not probed: no GET route without path parameters refuses anonymous callers, so nothing tells a live session from an ended one');
    return;
  }
  for (const logout of logouts) await probe(ctx, identity, logout, reads, report);
}

async function probe(ctx: CheckContext, identity: AuditIdentity, logout: Operation, reads: Operation[], report: Parameters<typeof logoutRevokes>[1]): Promise<void> {
  const where = `${logout.method} ${logout.path}`;
  const session = await ctx.openSession(identity);
  if (typeof session === 'string') {
    ctx.note(`logout: ${where} not probed: ${session}`);
    return;
  }
  const planner = ctx.planner!;
  let read: HttpRequestSpec | undefined;
  let before: UsableResult | undefined;
  for (const operation of reads) {
    const planned = planner.plan(operation);
    const request = { method: 'GET', url: planned.url, headers: planned.headers, purpose: `read ${operation.path} with a fresh session of ${identity.name}` };
    const answer = await ctx.sendAs(session, request);
    if (ok(answer)) {
      read = request;
      before = answer;
      break;
    }
  }
  if (read === undefined || before === undefined) {
    ctx.note(`logout: ${where} not probed: a fresh session of ${identity.name} could read none of ${reads.map((o) => o.path).join(', ')}`);
    return;
  }
  const planned = planner.plan(logout);
  const out = await ctx.sendAs(session, { method: logout.method, url: planned.url, headers: planned.headers, ...(planned.body === undefined ? {} : { body: planned.body }), purpose: `log out the fresh session of ${identity.name}` });
  if (!usable(out) || out.response.status >= 400) {
    ctx.note(`logout: ${where} did not accept the fresh session (${usable(out) ? `answered ${out.response.status}` : out.error}); whether it revokes is unknown`);
    return;
  }
  const after = await ctx.sendAs(session, { ...read, purpose: `${read.purpose!.replace(/^read/, 'read again')}, after its logout` });
  if (!ok(after)) return; // refused (revoked), or not judged: nothing to report
  const route = ctx.target.routeOf(new URL(read.url));
  report(logout, [exchange('before: the fresh session reads a protected route', before), exchange(`${where} with that session`, out), exchange('after the logout: the same token, the same route', after)],
    `${where} answered ${out.response.status} to a session the audit opened as ${identity.name}, yet the same token then read ${route} again (${after.response.status}): a token copied before the user signs out keeps working until it expires.`);
}
