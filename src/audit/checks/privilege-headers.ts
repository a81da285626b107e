// Request headers a client can set and a naive app (or a misconfigured proxy) trusts for
// privilege (part of the function-level check, issue 20 item 1): a role or admin flag, a user id,
// a proxy's user header. Tried on reads only, on routes the caller is refused: the evidence is an
// answer that changes with the header, refused without it and with a junk value in it, 2xx with
// the privileged value.
import type { AuditIdentity, CheckContext } from '../check.ts';
import type { Exchange } from '../finding.ts';
import type { HttpRequestSpec, HttpResult } from '../http/client.ts';
import { usable } from '../http/client.ts';
import { exchange } from '../lib/evidence.ts';
import { ok, users } from '../lib/owned.ts';
import type { Operation } from '../spec/load.ts';

/** Headers and the privileged value each is given. */
export const PRIVILEGE_HEADERS: readonly [string, string][] = [
  ['x-user-role', 'admin'],
  ['x-role', 'admin'],
  ['x-admin', 'true'],
  ['x-is-admin', 'true'],
  ['x-user-type', 'admin'],
  ['x-forwarded-user', 'admin'],
  ['x-remote-user', 'admin'],
  ['x-user-id', '1'],
];
/** Refused routes tried at most (each costs up to one baseline and two requests per header). */
const MAX_ROUTES = 8;

export type HeaderReport = (operation: Operation, summary: string, exchanges: Exchange[]) => void;

function refused(result: HttpResult): boolean {
  return usable(result) && (result.response.status === 401 || result.response.status === 403);
}

/** Protected reads without path parameters, admin ones first. */
function routes(ctx: CheckContext, admin: (operation: Operation) => boolean): Operation[] {
  const reads = ctx.spec!.operations.filter((o) => o.method === 'GET' && !o.parameters.some((p) => p.in === 'path') && ctx.protection.isProtected(o) && ctx.safety.callable(o).send);
  return reads.sort((a, b) => Number(admin(b)) - Number(admin(a))).slice(0, MAX_ROUTES);
}

/** `admin`: does the spec mark the operation admin-only (function-level.ts)? Those routes go first. */
export async function privilegeHeaders(ctx: CheckContext, admin: (operation: Operation) => boolean, report: HeaderReport): Promise<void> {
  const [user] = users(ctx);
  const chosen = routes(ctx, admin);
  for (const [index, operation] of chosen.entries()) {
    // Extra probes on a target that already throttles only make every later check wait.
    if (ctx.http.stats.throttled > 0) {
      ctx.note(`privilege headers: ${chosen.length - index} protected route(s) not probed: the target throttles this client (429/503)`);
      return;
    }
    const planned = ctx.planner!.plan(operation);
    const plain: HttpRequestSpec = { method: 'GET', url: planned.url, headers: planned.headers };
    // As the ordinary user where the route refuses it (an admin route), else anonymously.
    let as: AuditIdentity | undefined = user;
    const send = (request: HttpRequestSpec): Promise<HttpResult> => (as === undefined ? ctx.send(request) : ctx.sendAs(as, request));
    let baseline = user === undefined ? undefined : await send({ ...plain, purpose: `${operation.path} as ${user.name}, no privilege header` });
    if (baseline === undefined || !refused(baseline)) {
      as = undefined;
      baseline = await send({ ...plain, purpose: `${operation.path} anonymously, no privilege header` });
    }
    if (!refused(baseline)) continue;
    const who = as === undefined ? 'an anonymous caller' : `the ordinary user ${as.name}`;
    for (const [name, value] of PRIVILEGE_HEADERS) {
      const withHeader = await send({ ...plain, headers: { ...plain.headers, [name]: value }, purpose: `${operation.path} with ${name}: ${value}` });
      if (!ok(withHeader)) continue;
      const junk = `rampart-${ctx.token}`;
      const control = await send({ ...plain, headers: { ...plain.headers, [name]: junk }, purpose: `${operation.path} with ${name}: ${junk} (control)` });
      if (!refused(control)) continue;
      report(operation,
        `GET ${operation.path} refuses ${who} (${usable(baseline) ? baseline.response.status : ''}) and refuses them with \`${name}: ${junk}\` (${usable(control) ? control.response.status : ''}), but answers ${withHeader.response.status} with \`${name}: ${value}\`: the route takes the caller's privilege from a header any client sets.`,
        [exchange(`${who}, no header`, baseline), exchange(`${name}: ${value}`, withHeader), exchange(`control: ${name}: ${junk}`, control)]);
      break;
    }
  }
}
