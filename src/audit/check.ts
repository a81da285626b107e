// What a check is, and what it is given. A check is small: it reads the survey, sends probes
// through the shared client, and reports findings for rules it declared up front.
import type { Confidence, Evidence, FindingContext, Location, OwaspCategory, Severity } from './finding.ts';
import type { Answer } from './http/answers.ts';
import type { HttpClient, HttpRequestSpec, HttpResult } from './http/client.ts';
import type { Account, Registration } from './identities/accounts.ts';
import type { AuditIdentity } from './identities/identity.ts';
import type { JsonObject } from './spec/refs.ts';
import type { ApiSpec } from './spec/load.ts';
import type { SafetyPolicy } from './safety/policy.ts';
import type { RequestPlanner } from './spec/request.ts';
import type { Protection } from './protection.ts';
import type { Survey } from './survey.ts';
import type { Target } from './target.ts';

/** A kind of flaw a check can report, with its defaults. Reports and SARIF rules read these. */
export interface Rule {
  /** `<check>.<name>`, stable. */
  id: string;
  title: string;
  severity: Severity;
  owasp: OwaspCategory;
  cwe: number;
  fix: string;
  context?: FindingContext;
}

/**
 * `spec`: an OpenAPI document. `identities`: at least two ordinary (role=user) identities.
 * `admin`: an admin identity. A check whose needs are not met is skipped with the reason.
 */
export type CheckNeed = 'spec' | 'identities' | 'admin';

export type { AuditIdentity };

export interface Check {
  id: string;
  title: string;
  /** The check's main category; a rule may name its own. */
  owasp: OwaspCategory;
  cwe: number;
  /** One line for --list-checks. */
  summary: string;
  needs: readonly CheckNeed[];
  /** Runs alone, after the others: its probes may trip the target's rate limiter. */
  exclusive?: boolean;
  rules: readonly Rule[];
  run(ctx: CheckContext): Promise<void>;
  /**
   * Runs after every selected check's `run` finished: reads `ctx.answers`, every answer the audit
   * received whichever check sent the request (passive checks). Sends nothing, or very little.
   */
  review?(ctx: CheckContext): Promise<void>;
}

export interface Report {
  rule: string;
  confidence: Confidence;
  location: Location;
  affected?: Location[];
  evidence: Evidence;
  /** `target`: one finding for the whole target (fingerprint ignores the route). Default `route`. */
  scope?: 'route' | 'target';
  title?: string;
  severity?: Severity;
}

export interface CheckContext {
  readonly check: Check;
  readonly target: Target;
  readonly spec: ApiSpec | undefined;
  /** Present exactly when a spec is. */
  readonly planner: RequestPlanner | undefined;
  readonly survey: Survey;
  /** Decides what may be called (safety/policy.ts); the engine enforces it on every request. */
  readonly safety: SafetyPolicy;
  /** Which operations need credentials, by behaviour first (protection.ts): every check asks this. */
  readonly protection: Protection;
  readonly dryRun: boolean;
  /** A random token for this run (probe origins, marker values). */
  readonly token: string;
  /** Per-request timeout in ms, for checks that reason about time. */
  readonly timeoutMs: number;
  /** The client (its settings). Send through `send`. */
  readonly http: HttpClient;
  /** Requests this check may still send: its share of the budget, and what finished checks left. */
  readonly remaining: number;
  send(request: HttpRequestSpec): Promise<HttpResult>;
  report(report: Report): void;
  /** Every answer received so far, by any check, the identities' logins and the survey included. */
  readonly answers: readonly Answer[];
  /** Something the user should know: a probe that could not conclude, a skipped part. */
  note(message: string): void;
  readonly identities: readonly AuditIdentity[]; // [] when none configured
  readonly intensive: boolean; // --intensive
  readonly callbackUrl: string | undefined; // --callback-url (E2's SSRF check)
  /** Sends as an identity (its credentials added); a 401 makes a login identity log in again and retry once. */
  sendAs(identity: AuditIdentity, request: HttpRequestSpec): Promise<HttpResult>;
  /**
   * Accounts of the audit's own, when the target lets anyone sign up (undefined: it does not, or
   * a dry run). Use them, never a given identity, for anything that changes account state.
   */
  readonly accounts?: {
    readonly registration: Registration;
    /** Signs up a new account (with `extra` in the body) and logs in as it; a string says why not. */
    register(why: string, extra?: JsonObject): Promise<Account | string>;
    /** The shared throwaway account, registered on first use. */
    throwaway(): Promise<Account | string>;
    /** An ordinary account a check registered becomes the shared throwaway (if there is none yet). */
    adopt(account: Account): void;
  };
  /**
   * A session of its own: logs the identity in once more and returns an identity that carries only
   * that new session (never re-logging in), whose logout the safety policy allows. A string says
   * why none could be opened (a static credential, a failed login).
   */
  openSession(identity: AuditIdentity): Promise<AuditIdentity | string>;
  /** Registers an object the audit created; at the end of the run its creator deletes it and the deletion is verified. */
  created(resourceUrl: URL | string, by: AuditIdentity): void;
  /** The check itself deleted an object it registered, and verified it gone. */
  removed(resourceUrl: URL | string): void;
}

/** Collects proofs of the same rule across routes and reports each rule once, listing them all. */
export class Grouped {
  readonly #ctx: CheckContext;
  readonly #byRule = new Map<string, { locations: Location[]; evidence: Evidence; confidence: Confidence; severity?: Severity }>();

  constructor(ctx: CheckContext) {
    this.#ctx = ctx;
  }

  add(rule: string, location: Location, evidence: () => Evidence, confidence: Confidence = 'confirmed', severity?: Severity): void {
    const entry = this.#byRule.get(rule);
    if (entry === undefined) {
      this.#byRule.set(rule, { locations: [location], evidence: evidence(), confidence, ...(severity ? { severity } : {}) });
      return;
    }
    if (!entry.locations.some((l) => l.method === location.method && l.route === location.route && l.parameter === location.parameter)) {
      entry.locations.push(location);
    }
  }

  has(rule: string): boolean {
    return this.#byRule.has(rule);
  }

  flush(): void {
    for (const [rule, entry] of this.#byRule) {
      this.#ctx.report({
        rule,
        confidence: entry.confidence,
        location: entry.locations[0]!,
        affected: entry.locations,
        evidence: entry.evidence,
        scope: 'target',
        ...(entry.severity ? { severity: entry.severity } : {}),
      });
    }
    this.#byRule.clear();
  }
}
