// Which operations need credentials, found by behaviour (issue 19 item 5): real specs often
// declare no security at all, or declare it wrongly. Every GET the survey sent anonymously is
// sent again as each identity (the same URL: reads the safety policy lets through); every write that takes a JSON body is
// sent anonymously with a body no parser accepts (truncated JSON), so nothing can be written.
// A route that refuses anonymous callers (401/403, a redirect to a login, an error body that
// says so, a login page, or a 404 where an identity gets 2xx) is protected whatever the spec
// says; one that answers an anonymous caller 2xx with content is public; a 400/422 (validation
// before authentication), a 404, a 5xx or no answer is unknown, and then the spec's declaration
// decides. Every check asks this one map.
import type { HttpRequestSpec, HttpResponse, HttpResult } from './http/client.ts';
import { usable } from './http/client.ts';
import type { AuditIdentity } from './identities/identity.ts';
import { parseJson } from './lib/links.ts';
import type { ApiSpec, Operation } from './spec/load.ts';
import { requiresAuth } from './spec/load.ts';
import type { RequestPlanner } from './spec/request.ts';
import { isObject } from './spec/refs.ts';
import type { Survey } from './survey.ts';

export type Verdict = 'protected' | 'public' | 'unknown';

export interface ProtectionEntry {
  method: string;
  route: string;
  verdict: Verdict;
  /** How it was decided, for the report. */
  why: string;
  /** The status an anonymous caller got, when one was sent. */
  anonymous?: number;
  /** The status each identity got (GET only). */
  identities: Record<string, number>;
}

/** Body that no JSON parser accepts: a write sent with it cannot change anything. */
export const UNPARSEABLE_JSON = '{"';
const LOGIN_LOCATION = /log-?in|sign-?in|auth|sso|oauth|session|account/i;
const REFUSAL_TEXT = /unauthori[sz]ed|unauthenticated|not authenticated|authentication (?:is )?required|login required|log ?in required|not logged in|missing (?:token|credentials|authori[sz]ation|api key|bearer)|no (?:token|credentials|authori[sz]ation)|invalid (?:token|credentials|api key)|token (?:is )?(?:missing|required|expired|invalid)|access denied|permission denied|forbidden/i;

/** Why an answer refuses the caller (401/403, a login redirect, an error body, a login page), or undefined. */
export function refusal(response: HttpResponse): string | undefined {
  const { status, headers, text } = response;
  if (status === 401 || status === 403) return `answered ${status}`;
  if (status >= 300 && status < 400) {
    const location = headers.location ?? '';
    return LOGIN_LOCATION.test(location) ? `redirects to a login (${location.slice(0, 80)})` : undefined;
  }
  if (status >= 200 && status < 300 && text.length < 4096) {
    const json = parseJson(text);
    if (isObject(json)) {
      const said = ['error', 'message', 'detail', 'msg', 'error_description', 'reason', 'title', 'status', 'code']
        .map((key) => json[key])
        .flatMap((value) => (typeof value === 'string' ? [value] : isObject(value) ? Object.values(value).filter((v): v is string => typeof v === 'string') : []))
        .find((value) => REFUSAL_TEXT.test(value));
      if (said !== undefined) return `answered ${status} with an error body (${said.slice(0, 60)})`;
    }
    if (/<input[^>]+type\s*=\s*["']?password/i.test(text)) return `answered ${status} with a login page`;
  }
  return undefined;
}

export class Protection {
  readonly #entries = new Map<Operation, ProtectionEntry>();

  set(operation: Operation, entry: ProtectionEntry): void {
    this.#entries.set(operation, entry);
  }

  entry(operation: Operation): ProtectionEntry | undefined {
    return this.#entries.get(operation);
  }

  verdict(operation: Operation): Verdict {
    return this.#entries.get(operation)?.verdict ?? (requiresAuth(operation) ? 'protected' : 'unknown');
  }

  /** Needs credentials: refused anonymously, or declared so by the spec where behaviour did not tell. */
  isProtected(operation: Operation): boolean {
    return this.verdict(operation) === 'protected';
  }

  /** Refused anonymous callers when tried (not only declared by the spec). */
  refusesAnonymous(operation: Operation): boolean {
    const entry = this.#entries.get(operation);
    return entry?.verdict === 'protected' && !entry.why.startsWith('declared');
  }

  get entries(): ProtectionEntry[] {
    return [...this.#entries.values()];
  }
}

export interface ProtectionOptions {
  send: (request: HttpRequestSpec) => Promise<HttpResult>;
  sendAs: (identity: AuditIdentity, request: HttpRequestSpec) => Promise<HttpResult>;
  /** Why the safety policy keeps this operation out (as an identity, or with an unacceptable body), or undefined when it may be sent. */
  refused?: (operation: Operation, how: { identity?: boolean; unacceptableBody?: boolean }) => string | undefined;
}

function statusOf(result: HttpResult | undefined): number | undefined {
  return result !== undefined && usable(result) ? result.response.status : undefined;
}

/** Classifies every operation of the spec by how it answers anonymous callers and each identity. */
export async function classifyProtection(spec: ApiSpec, planner: RequestPlanner, survey: Survey, identities: readonly AuditIdentity[], options: ProtectionOptions): Promise<Protection> {
  const protection = new Protection();
  const refused = options.refused ?? ((): undefined => undefined);
  for (const operation of spec.operations) {
    const declared = requiresAuth(operation);
    const identityStatus: Record<string, number> = {};
    let anonymous: HttpResponse | undefined;
    let tried = '';
    if (operation.method === 'GET') {
      const baseline = survey.baseline(operation);
      anonymous = baseline?.result.response;
      tried = baseline === undefined ? 'the survey got no answer' : '';
      const kept = refused(operation, { identity: true });
      if (baseline !== undefined && kept === undefined) {
        for (const identity of identities) {
          const result = await options.sendAs(identity, { method: 'GET', url: baseline.url, purpose: `protection: ${operation.path} as ${identity.name}` });
          const status = statusOf(result);
          if (status !== undefined) identityStatus[identity.name] = status;
        }
      }
    } else if (operation.method !== 'HEAD' && operation.method !== 'OPTIONS' && operation.requestBody !== undefined && /json/i.test(operation.requestBody.contentType)) {
      const kept = refused(operation, { unacceptableBody: true });
      if (kept === undefined) {
        const planned = planner.plan(operation, { body: UNPARSEABLE_JSON, contentType: 'application/json' });
        const result = await options.send({ method: operation.method, url: planned.url, headers: planned.headers, body: UNPARSEABLE_JSON, unacceptableBody: true, purpose: `protection: ${operation.path} without credentials, with an unparseable body` });
        if (usable(result)) anonymous = result.response;
        else tried = `no usable answer (${result.error})`;
      } else {
        tried = `not sent: ${kept}`;
      }
    } else {
      tried = 'not sent: a write without a JSON body the target could refuse unread';
    }
    const entry: ProtectionEntry = { method: operation.method, route: operation.path, verdict: 'unknown', why: '', identities: identityStatus, ...(anonymous === undefined ? {} : { anonymous: anonymous.status }) };
    const refuses = anonymous === undefined ? undefined : refusal(anonymous);
    const reached = Object.entries(identityStatus).filter(([, s]) => s >= 200 && s < 300).map(([name]) => name);
    if (refuses !== undefined) {
      entry.verdict = 'protected';
      entry.why = `refuses anonymous callers: ${refuses}${reached.length > 0 ? `; ${reached.join(', ')} ${reached.length === 1 ? 'gets' : 'get'} 2xx` : ''}`;
    } else if (anonymous !== undefined && anonymous.status === 404 && reached.length > 0) {
      entry.verdict = 'protected';
      entry.why = `answers anonymous callers 404 and ${reached.join(', ')} 2xx`;
    } else if (anonymous !== undefined && anonymous.status >= 200 && anonymous.status < 300) {
      entry.verdict = 'public';
      entry.why = `answered ${anonymous.status} to an anonymous caller${declared ? ' although the spec requires credentials' : ''}`;
    } else {
      const inconclusive = anonymous === undefined ? tried : `an anonymous caller got ${anonymous.status}, which does not tell`;
      entry.verdict = declared ? 'protected' : 'unknown';
      entry.why = declared ? `declared by the spec (${inconclusive})` : inconclusive;
    }
    protection.set(operation, entry);
  }
  return protection;
}
