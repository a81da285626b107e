// Injection. Beyond SQL (injection-effects.ts, injection-logins.ts): a shell or template engine
// computing a product, a login handing out a token for a tautology or an operator object.
// SQL injection, proven by inference: a condition that is always true leaves the answer as it
// was, one that is always false changes it, a second pair with other literals agrees, and a
// control (the value with junk appended) shows that the parameter really selects what is
// returned. An SQL error message alone is reported as firm at most, never confirmed. Operations
// refused without credentials are probed as the first ordinary (role=user) identity: GET with
// query parameters only (no body, no made-up object ids).
import type { Check, CheckContext } from '../check.ts';
import type { Exchange } from '../finding.ts';
import type { HttpRequestSpec, HttpResult, UsableResult } from '../http/client.ts';
import { usable } from '../http/client.ts';
import { differentAnswer, sameAnswer, stripEchoes } from '../lib/compare.ts';
import { exchange } from '../lib/evidence.ts';
import { findLeaks } from '../lib/signatures.ts';
import type { Operation, Parameter } from '../spec/load.ts';
import { schemaType } from '../spec/synth.ts';
import { injectionByEffect } from './injection-effects.ts';
import { loginInjection } from './injection-logins.ts';

const MAX_OPERATIONS = 60;
const MAX_PARAMS = 5;

interface Syntax {
  name: string;
  true1: string;
  false1: string;
  true2: string;
  false2: string;
}

const NUMERIC: Syntax = { name: 'numeric', true1: ' AND 1=1', false1: ' AND 1=2', true2: ' AND 7>3', false2: ' AND 3>7' };
const QUOTED: Syntax = { name: 'quoted string', true1: "' AND '1'='1", false1: "' AND '1'='2", true2: "' AND 'zq'='zq", false2: "' AND 'zq'='qz" };
const COMMENTED: Syntax = { name: 'string with comment', true1: "' AND 1=1-- ", false1: "' AND 1=2-- ", true2: "' AND 7>3-- ", false2: "' AND 3>7-- " };

export const injectionCheck: Check = {
  id: 'injection',
  title: 'Injection',
  owasp: 'API8:2023',
  cwe: 89,
  summary: 'SQL injection in path and query parameters (protected GET routes as a user identity), confirmed by paired boolean requests and a control; OS command and template injection proven by a product of primes computed; SQL tautologies and NoSQL operators at logins proven by a token handed out.',
  needs: ['spec'],
  rules: [
    {
      id: 'injection.sql-boolean',
      title: 'SQL injection',
      severity: 'critical',
      owasp: 'API8:2023',
      cwe: 89,
      fix: 'Bind every value as a query parameter (prepared statements or a query builder); never build SQL by concatenating input. Validate the parameter\'s type and format at the edge as well.',
    },
    {
      id: 'injection.sql-error',
      title: 'Possible SQL injection (database error on a quote)',
      severity: 'high',
      owasp: 'API8:2023',
      cwe: 89,
      fix: 'Bind every value as a query parameter; a quote in input must never reach the SQL parser. Map database errors to a generic answer.',
    },
    {
      id: 'injection.sql-login-bypass',
      title: 'SQL injection at the login: signed in without a password',
      severity: 'critical',
      owasp: 'API2:2023',
      cwe: 89,
      fix: 'Look the user up with a bound parameter, then verify the password hash in code (never `WHERE password = ...`); validate the user name\'s format at the edge.',
    },
    {
      id: 'injection.nosql',
      title: 'NoSQL operator injection',
      severity: 'critical',
      owasp: 'API8:2023',
      cwe: 943,
      fix: 'Accept only strings (or the declared scalar type) for fields that go into a query, refusing objects such as `{"$ne": ""}` with a 400; verify passwords by hash in code, never in the query.',
    },
    {
      id: 'injection.os-command',
      title: 'OS command injection',
      severity: 'critical',
      owasp: 'API8:2023',
      cwe: 78,
      fix: 'Never pass input to a shell: run the program directly with an argument list (execFile, subprocess.run([...]) without shell=True), and allow only the characters the value needs (a host name: letters, digits, dots, hyphens).',
    },
    {
      id: 'injection.template',
      title: 'Server-side template injection',
      severity: 'critical',
      owasp: 'API8:2023',
      cwe: 1336,
      fix: 'Never build a template\'s source from input: pass values to a fixed template as variables (render_template_string("Hello {{ name }}", name=name)), which escapes them.',
    },
  ],
  async run(ctx: CheckContext): Promise<void> {
    const spec = ctx.spec!;
    const gets = spec.operations.filter((o) => o.method === 'GET');
    const operations = gets.slice(0, MAX_OPERATIONS);
    if (gets.length > MAX_OPERATIONS) ctx.note(`${gets.length - MAX_OPERATIONS} GET operation(s) after the spec's first ${MAX_OPERATIONS} were not probed for injection`);
    // Operations refused without credentials are probed as one ordinary identity. Only GET: an
    // identity never carries a payload in the body of a request that could write.
    const identity = ctx.identities.find((i) => i.role === 'user');
    const anonymous = (request: HttpRequestSpec): Promise<HttpResult> => ctx.send(request);
    const asIdentity = (request: HttpRequestSpec): Promise<HttpResult> => ctx.sendAs(identity!, request);
    const tested: string[] = [];
    const untested: Untested = { anonymous: [], pathIds: [], refused: [] };
    for (const operation of operations) {
      const params = operation.parameters.filter((p) => p.in === 'path' || p.in === 'query').slice(0, MAX_PARAMS);
      if (params.length === 0) continue;
      const protectedOperation = ctx.protection.isProtected(operation);
      if (!protectedOperation) {
        for (const parameter of params) await probeParameter(ctx, operation, parameter, anonymous);
        continue;
      }
      const route = `${operation.method} ${operation.path}`;
      if (identity === undefined) {
        untested.anonymous.push(route);
        continue;
      }
      // The anonymous survey learned no id behind a refusal, and a made-up one only gets 404s,
      // which targets count against the identity (object-enumeration limits): not probed.
      if (params.some((p) => p.in === 'path')) {
        untested.pathIds.push(route);
        continue;
      }
      // Still refused as the identity (an admin route, a missing scope): nothing to compare.
      const planned = ctx.planner!.plan(operation);
      const entry = await asIdentity({ method: 'GET', url: planned.url, headers: planned.headers, purpose: 'is the identity let in?' });
      if (!usable(entry) || entry.response.status < 200 || entry.response.status >= 300) {
        untested.refused.push(route);
        continue;
      }
      tested.push(route);
      for (const parameter of params) await probeParameter(ctx, operation, parameter, asIdentity, identity.name);
    }
    const note = protectedNote(tested, untested, identity?.name);
    if (note !== undefined) ctx.note(note);
    await injectionByEffect(ctx, (rule, { operation, parameter }, summary, exchanges) => {
      ctx.report({ rule, confidence: 'confirmed', location: { method: operation.method, route: operation.path, parameter: parameter.name }, evidence: { summary, exchanges } });
    });
    await loginInjection(ctx, (rule, endpoint, summary, exchanges) => {
      ctx.report({ rule, confidence: 'confirmed', location: endpoint.location, evidence: { summary, exchanges } });
    });
  },
};

const NAMED = 8;

function routes(list: readonly string[]): string {
  return list.length <= NAMED ? list.join(', ') : `${list.slice(0, NAMED).join(', ')} and ${list.length - NAMED} more`;
}

/** Operations refused without credentials and left untested, by reason. */
export interface Untested {
  /** No role=user identity was given. */
  anonymous: string[];
  /** A path parameter: no id of a real object is known (the survey was anonymous). */
  pathIds: string[];
  /** The identity got no 2xx either. */
  refused: string[];
}

/** How many operations refused without credentials were tested, as whom, and why the rest were not. */
export function protectedNote(tested: readonly string[], untested: Untested, identity: string | undefined): string | undefined {
  const left = untested.anonymous.length + untested.pathIds.length + untested.refused.length;
  const total = tested.length + left;
  if (total === 0) return undefined;
  const head = `${total} operation(s) with parameters answered 401/403 without credentials`;
  if (identity === undefined) {
    return `${head}; their parameters were not tested (no role=user identity given; add one with --identity): ${routes(untested.anonymous)}`;
  }
  const parts = [`${tested.length} tested as identity ${identity} (GET only)`];
  if (untested.refused.length > 0) parts.push(`${untested.refused.length} not tested, no 2xx as ${identity} either: ${routes(untested.refused)}`);
  if (untested.pathIds.length > 0) parts.push(`${untested.pathIds.length} not tested, path parameters with no known object id: ${routes(untested.pathIds)}`);
  return `${head}; ${parts.join('; ')}`;
}

type Send = (request: HttpRequestSpec) => Promise<HttpResult>;

async function probeParameter(ctx: CheckContext, operation: Operation, parameter: Parameter, transport: Send, identity?: string): Promise<void> {
  const planner = ctx.planner!;
  const original = planner.valueFor(operation, parameter);
  const send = (value: string, purpose: string): Promise<HttpResult> => {
    const planned = planner.plan(operation, { values: { [parameter.name]: value } });
    return transport({ method: 'GET', url: planned.url, headers: planned.headers, purpose: `${parameter.name}: ${purpose}` });
  };
  const as = identity === undefined ? '' : ` (sent as identity ${identity})`;
  const r0 = await send(original, 'baseline');
  const r0again = await send(original, 'baseline again');
  if (!usable(r0) || !usable(r0again)) return;
  if (r0.response.status >= 500) return;
  const echoBase = original.length >= 3 ? [original] : [];
  if (!sameAnswer(r0.response, r0again.response, echoBase)) {
    ctx.note(`${operation.method} ${operation.path}: answers to the same request differ; ${parameter.name} not tested for injection`);
    return;
  }

  const type = schemaType(ctx.spec!.document, parameter.schema);
  const numeric = type === 'integer' || type === 'number' || /^-?\d+$/.test(original);
  const syntaxes = numeric ? [NUMERIC, QUOTED, COMMENTED] : [QUOTED, COMMENTED];
  const seen: { label: string; result: UsableResult; payload: string }[] = [];
  const probe = async (suffix: string, label: string): Promise<UsableResult | undefined> => {
    const result = await send(original + suffix, label);
    if (!usable(result)) return undefined;
    seen.push({ label, result, payload: original + suffix });
    return result;
  };
  const echoes = (...suffixes: string[]): string[] => [...echoBase, ...suffixes.map((s) => original + s)];

  for (const syntax of syntaxes) {
    const t1 = await probe(syntax.true1, `${syntax.name}: always-true condition`);
    if (!t1 || !sameAnswer(r0.response, t1.response, echoes(syntax.true1))) continue;
    const f1 = await probe(syntax.false1, `${syntax.name}: always-false condition`);
    if (!f1 || !differentAnswer(r0.response, f1.response, echoes(syntax.false1))) continue;
    const junk = `zq${ctx.token}`;
    const control = await probe(junk, 'control: value with junk appended');
    if (!control || !differentAnswer(r0.response, control.response, echoes(junk))) continue;
    const t2 = await probe(syntax.true2, `${syntax.name}: second always-true condition`);
    if (!t2 || !sameAnswer(r0.response, t2.response, echoes(syntax.true2))) continue;
    const f2 = await probe(syntax.false2, `${syntax.name}: second always-false condition`);
    if (!f2 || !differentAnswer(r0.response, f2.response, echoes(syntax.false2))) continue;
    const exchanges: Exchange[] = [
      exchange('baseline', r0),
      exchange(`always true: ${original}${syntax.true1}`, t1),
      exchange(`always false: ${original}${syntax.false1}`, f1),
      exchange(`control: ${original}${junk}`, control),
      exchange(`always true again: ${original}${syntax.true2}`, t2),
      exchange(`always false again: ${original}${syntax.false2}`, f2),
    ];
    ctx.report({
      rule: 'injection.sql-boolean',
      title: `SQL injection in ${parameter.in} parameter \`${parameter.name}\``,
      confidence: 'confirmed',
      location: { method: operation.method, route: operation.path, parameter: parameter.name },
      evidence: {
        summary:
          `Appending an always-true SQL condition (${syntax.name} syntax) to ${parameter.name}=${original} gives the baseline answer (${r0.response.status}); an always-false one changes it (${f1.response.status}). ` +
          `A second pair with other literals agrees, and the control (junk appended) also changes the answer, so the condition is evaluated as SQL${as}.`,
        exchanges,
      },
    });
    return;
  }

  // No boolean proof: does a lone quote make the database complain?
  await probe("'", 'lone quote');
  const normal = new Set(findLeaks(r0.response.text).map((l) => l.name));
  for (const { label, result, payload } of seen) {
    const leak = findLeaks(stripEchoes(result.response.text, [payload])).find((l) => l.kind === 'sql-text' && !normal.has(l.name));
    if (leak === undefined) continue;
    ctx.report({
      rule: 'injection.sql-error',
      confidence: 'firm',
      location: { method: operation.method, route: operation.path, parameter: parameter.name },
      evidence: {
        summary: `A quote in ${parameter.name} produced a ${leak.name} (\`${leak.sample.slice(0, 120)}\`), so the value reaches an SQL parser unescaped. Boolean tests could not confirm it (the answer may not depend on the condition)${as}.`,
        exchanges: [exchange('baseline', r0), exchange(label, result, leak.sample)],
      },
    });
    return;
  }
}
