// Edge numbers (part of the errors check): integer and number parameters in query strings and
// paths given Infinity, -Infinity, NaN, 1e400, -0, 2^63 and a 10,000-digit number, as the caller
// the route needs (anonymous, else the first ordinary identity; GET only: a write could change
// data the audit does not own). A finding only for a 5xx that comes back when the value is sent
// again, while the route's ordinary value, sent the same way, does not fail.
import type { CheckContext } from '../check.ts';
import type { Grouped } from '../check.ts';
import type { HttpRequestSpec, HttpResult, UsableResult } from '../http/client.ts';
import { usable } from '../http/client.ts';
import { exchange } from '../lib/evidence.ts';
import type { Operation, Parameter } from '../spec/load.ts';
import { schemaType } from '../spec/synth.ts';

export const EDGE_VALUES: readonly { value: string; label: string }[] = [
  { value: 'Infinity', label: 'Infinity' },
  { value: '-Infinity', label: '-Infinity' },
  { value: 'NaN', label: 'NaN' },
  { value: '1e400', label: '1e400 (beyond a double)' },
  { value: '-0', label: '-0' },
  { value: '9223372036854775808', label: '2^63 (beyond a signed 64-bit integer)' },
  { value: `9${'0'.repeat(9_999)}`, label: 'a 10,000-digit number' },
];
/** Parameters probed at most (each costs up to 2 + 2 × 7 requests). */
const MAX_PARAMETERS = 20;

type Send = (request: HttpRequestSpec) => Promise<HttpResult>;

function crashed(result: HttpResult): result is UsableResult {
  return usable(result) && result.response.status >= 500;
}

export interface ParameterTarget {
  operation: Operation;
  parameter: Parameter;
  send: Send;
  /** The identity it is sent as, when the route refuses anonymous callers. */
  as?: string;
}

/** Query and path parameters of GET routes whose type `accept`s, with the caller each route needs (GET only: a probe never writes). */
export function getParameters(ctx: CheckContext, accept: (type: string | undefined) => boolean): ParameterTarget[] {
  const spec = ctx.spec;
  if (spec === undefined) return [];
  const user = ctx.identities.find((i) => i.role === 'user');
  const out: ParameterTarget[] = [];
  for (const operation of spec.operations) {
    if (operation.method !== 'GET') continue;
    const refused = ctx.protection.isProtected(operation);
    if (refused && user === undefined) continue;
    for (const parameter of operation.parameters) {
      if (parameter.in !== 'query' && parameter.in !== 'path') continue;
      if (!accept(schemaType(spec.document, parameter.schema))) continue;
      out.push(refused ? { operation, parameter, send: (r) => ctx.sendAs(user!, r), as: user!.name } : { operation, parameter, send: (r) => ctx.send(r) });
    }
  }
  return out;
}

export async function edgeValues(ctx: CheckContext, grouped: Grouped): Promise<void> {
  const found = getParameters(ctx, (type) => type === 'integer' || type === 'number');
  if (found.length > MAX_PARAMETERS) ctx.note(`edge numbers: ${found.length - MAX_PARAMETERS} numeric parameter(s) after the first ${MAX_PARAMETERS} were not probed`);
  for (const { operation, parameter, send, as } of found.slice(0, MAX_PARAMETERS)) {
    const request = (value: string, purpose: string): HttpRequestSpec => {
      const planned = ctx.planner!.plan(operation, { values: { [parameter.name]: value } });
      return { method: 'GET', url: planned.url, headers: planned.headers, purpose: `${parameter.name}=${purpose}` };
    };
    const ordinary = ctx.planner!.valueFor(operation, parameter);
    const control = await send(request(ordinary, `${ordinary} (control)`));
    // A route that fails anyway, or cannot be reached, tells nothing about edge numbers.
    if (!usable(control) || control.response.status >= 500) continue;
    for (const { value, label } of EDGE_VALUES) {
      const first = await send(request(value, label));
      if (!crashed(first)) continue;
      const again = await send(request(value, `${label}, again`));
      if (!crashed(again)) continue;
      const controlAgain = await send(request(ordinary, `${ordinary} (control, again)`));
      if (!usable(controlAgain) || controlAgain.response.status >= 500) break;
      grouped.add('errors.edge-value-crash', { method: 'GET', route: operation.path, parameter: parameter.name }, () => ({
        summary: `${parameter.in} parameter ${parameter.name} = ${label} made ${operation.path} answer ${first.response.status}, twice in a row, while its ordinary value ${ordinary} answered ${controlAgain.response.status}${as === undefined ? '' : ` (as identity ${as})`}: the number reaches code that cannot handle it.`,
        exchanges: [exchange(`${parameter.name}=${ordinary} (control)`, controlAgain), exchange(`${parameter.name}=${label}`, first), exchange(`${parameter.name}=${label}, again`, again)],
      }));
      break;
    }
  }
}
