// Injection proven by an effect, never by a status code (part of the injection check): a shell
// or a template engine that evaluates the value computes the product of two primes chosen for
// this run, and only the product, which the payload does not contain, coming back in the answer
// proves it. A second pair of primes in the same syntax confirms it. The shell payloads only
// compute (`$((a*b))`): they never read a file or start a program, and take no time; GET only,
// as the caller the route needs, so nothing is written.
import { randomInt } from 'node:crypto';
import type { CheckContext } from '../check.ts';
import type { HttpRequestSpec, HttpResult, UsableResult } from '../http/client.ts';
import { usable } from '../http/client.ts';
import { exchange } from '../lib/evidence.ts';
import { getParameters } from './edge-values.ts';
import type { ParameterTarget } from './edge-values.ts';

/** Four-digit primes: their products (eight digits) are unlikely in any answer by chance. */
const PRIMES = [7919, 7927, 7933, 7937, 7949, 7951, 7963, 7993, 8009, 8011, 8017, 8039, 8053, 8059, 8069, 8081];
/** String parameters probed at most (each costs a baseline and three requests, and one more per hit). */
const MAX_PARAMETERS = 25;

export interface Syntax {
  rule: 'injection.os-command' | 'injection.template';
  name: string;
  /** The value to send: the ordinary value with the expression of `a × b` added. */
  payload(value: string, a: number, b: number): string;
}

/**
 * Each payload is a polyglot of its family, so that a parameter costs a baseline and three
 * requests, not one per syntax (targets that throttle would otherwise slow the audit down).
 */
export const SYNTAXES: readonly Syntax[] = [
  { rule: 'injection.os-command', name: 'commands after `;`, `|` and `&&`', payload: (v, a, b) => `${v};echo $((${a}*${b}))|echo $((${a}*${b}))&&echo $((${a}*${b}))` },
  { rule: 'injection.os-command', name: 'command substitution (`$( )` and backticks)', payload: (v, a, b) => `${v}$(echo $((${a}*${b})))\`echo $((${a}*${b}))\`` },
  { rule: 'injection.template', name: 'template expressions (`{{ }}`, `${ }`, `<%= %>`, `#{ }`)', payload: (v, a, b) => `${v}{{${a}*${b}}}\${${a}*${b}}<%= ${a}*${b} %>#{${a}*${b}}` },
];

/** Two distinct primes for one try. */
function pair(): [number, number] {
  const a = randomInt(PRIMES.length);
  const b = (a + 1 + randomInt(PRIMES.length - 1)) % PRIMES.length;
  return [PRIMES[a]!, PRIMES[b]!];
}

function computed(result: HttpResult, product: number): result is UsableResult {
  return usable(result) && result.response.text.includes(String(product));
}

export type EffectReport = (rule: Syntax['rule'], target: ParameterTarget, summary: string, exchanges: ReturnType<typeof exchange>[]) => void;

export async function injectionByEffect(ctx: CheckContext, report: EffectReport): Promise<void> {
  // Strings and untyped values: a number or a boolean is refused before it reaches a shell.
  const found = getParameters(ctx, (type) => type === undefined || type === 'string');
  if (found.length > MAX_PARAMETERS) ctx.note(`command and template injection: ${found.length - MAX_PARAMETERS} string parameter(s) after the first ${MAX_PARAMETERS} were not probed`);
  const chosen = found.slice(0, MAX_PARAMETERS);
  for (const [index, target] of chosen.entries()) {
    // Extra probes on a target that already throttles only make every later check wait.
    if (ctx.http.stats.throttled > 0) {
      ctx.note(`command and template injection: ${chosen.length - index} string parameter(s) not probed: the target throttles this client (429/503)`);
      return;
    }
    await probe(ctx, target, report);
  }
}

async function probe(ctx: CheckContext, target: ParameterTarget, report: EffectReport): Promise<void> {
  const { operation, parameter, send, as } = target;
  const request = (value: string, purpose: string): HttpRequestSpec => {
    const planned = ctx.planner!.plan(operation, { values: { [parameter.name]: value } });
    return { method: 'GET', url: planned.url, headers: planned.headers, purpose: `${parameter.name}: ${purpose}` };
  };
  const ordinary = ctx.planner!.valueFor(operation, parameter);
  const baseline = await send(request(ordinary, 'baseline for command and template injection'));
  if (!usable(baseline)) return;
  const found = new Set<Syntax['rule']>();
  for (const syntax of SYNTAXES) {
    if (found.has(syntax.rule)) continue;
    const [a, b] = pair();
    if (baseline.response.text.includes(String(a * b))) continue;
    const first = await send(request(syntax.payload(ordinary, a, b), `${syntax.name} computing ${a}*${b}`));
    if (!computed(first, a * b)) continue;
    const [c, d] = pair();
    const again = await send(request(syntax.payload(ordinary, c, d), `${syntax.name} computing ${c}*${d} (confirmation)`));
    if (!computed(again, c * d) || baseline.response.text.includes(String(c * d))) continue;
    found.add(syntax.rule);
    const what = syntax.rule === 'injection.os-command' ? 'a shell' : 'a template engine';
    report(syntax.rule, target,
      `${parameter.in} parameter ${parameter.name} given ${syntax.name} asking for ${a}*${b} made ${operation.path} answer with ${a * b}, and ${c}*${d} with ${c * d}; the ordinary value's answer has neither${as === undefined ? '' : ` (as identity ${as})`}: ${what} evaluates the value.`,
      [exchange(`baseline: ${parameter.name}=${ordinary}`, baseline), exchange(`${syntax.name}: ${a}*${b}`, first, String(a * b)), exchange(`${syntax.name} again: ${c}*${d}`, again, String(c * d))]);
  }
}
