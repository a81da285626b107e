// Runs an audit: reach the target, read or find the spec, survey, run the selected checks
// (the ones whose probes may trip a rate limiter last and alone), and collect proven findings.
import { randomBytes } from 'node:crypto';
import type { Check, CheckContext, Report } from './check.ts';
import { CHECKS } from './checks/index.ts';
import { AuditError, didYouMean } from './errors.ts';
import type { Finding } from './finding.ts';
import { compareFindings, fingerprintOf } from './finding.ts';
import { AnswerLog } from './http/answers.ts';
import { RequestLog, redactText } from './http/log.ts';
import { HttpClient, usable } from './http/client.ts';
import type { HttpRequestSpec, HttpResult, SentRequest } from './http/client.ts';
import type { IdentitySpec } from './identities/config.ts';
import { ConfiguredIdentity, LoginFailed, sendAs } from './identities/identity.ts';
import type { AuditIdentity } from './identities/identity.ts';
import { Accounts, accountsDeletable, findRegistration } from './identities/accounts.ts';
import type { Account } from './identities/accounts.ts';
import { ownedBy, SafetyLedger, WriteLedger } from './identities/ledger.ts';
import type { WriteRecord } from './identities/ledger.ts';
import { createdUrl } from './lib/created.ts';
import { SafetyPolicy, unparseable } from './safety/policy.ts';
import { Snapshot } from './safety/snapshot.ts';
import { redactEvidence } from './identities/redact.ts';
import { carrierFor, loginPlans } from './identities/login.ts';
import type { LoginPlan } from './identities/login.ts';
import { resolveTokenUrl, specTokenUrl } from './identities/token-url.ts';
import { crawl, DEFAULT_CRAWL_BUDGET } from './discovery/crawl.ts';
import { mergeCrawled, saveDocument } from './discovery/merge.ts';
import { discoverSpec, SPEC_BODY_CAP } from './spec/discover.ts';
import { identitiesFromHar } from './imports/identities.ts';
import { importedSpec, readImport } from './imports/index.ts';
import type { LoadedImport } from './imports/index.ts';
import { buildSpec, loadSpecFile, parseSpecText } from './spec/load.ts';
import type { ApiSpec } from './spec/load.ts';
import { RequestPlanner } from './spec/request.ts';
import { ValueBank } from './spec/values.ts';
import { CheckBudget } from './budget.ts';
import { classifyProtection, Protection } from './protection.ts';
import type { ProtectionEntry } from './protection.ts';
import { runSurvey } from './survey.ts';
import { Target } from './target.ts';

export interface AuditOptions {
  target: string;
  /** A spec file path or an http(s) URL. */
  openapi?: string;
  rate: number;
  maxRequests: number;
  timeoutMs: number;
  only?: readonly string[];
  skip?: readonly string[];
  dryRun?: boolean;
  /** PEM text of extra certificate authorities for https targets. */
  ca?: string;
  insecure?: boolean;
  /** Longest Retry-After honoured (default 30 s). */
  maxRetryWaitMs?: number;
  concurrency?: number;
  /** The checks to choose from (default: all of them). */
  checks?: readonly Check[];
  /** Who the audit acts as (checks needing identities are skipped without them). */
  identities?: readonly IdentitySpec[];
  /** Token URL for login identities when the spec has no OAuth2 password flow. */
  tokenUrl?: string;
  /** Run heavy and timing checks. */
  intensive?: boolean;
  /** A URL the target may call back (out-of-band probes). */
  callbackUrl?: string;
  /** Operations the safety policy may call although their names say they destroy (operationId, path, `METHOD path` or the word). */
  unsafe?: readonly string[];
  /** Record every exchange to this JSON Lines file (mode 0600, credentials redacted). */
  logRequests?: string;
  /** A HAR 1.2 file (browser developer tools) whose requests to the target become operations. */
  har?: string;
  /** A Postman collection (v2.1) whose requests to the target become operations. */
  postman?: string;
  /** Sign-ins (else credentials) in the --har file act as identities too. */
  identitiesFromHar?: boolean;
  /** Audit only what the spec lists: no discovery beside it. */
  specOnly?: boolean;
  /** Write the operation list the audit used (published, discovered and imported) here as OpenAPI 3.1. */
  saveDiscovered?: string;
}

export interface AuditHooks {
  /** Progress messages for a human (what spec was used, what was skipped). */
  info?: (message: string) => void;
  onRequest?: (request: SentRequest, purpose: string | undefined, sent: number) => void;
  onPhase?: (phase: string) => void;
}

export interface SpecSummary {
  source: string;
  openapi: string;
  title?: string;
  operations: number;
  discovered: boolean;
}

export interface AuditResult {
  target: string;
  startedAt: string;
  durationMs: number;
  requests: number;
  spec: SpecSummary | null;
  checks: { ran: string[]; skipped: { id: string; reason: string }[] };
  findings: Finding[];
  notes: string[];
  /** False when the budget ran out or the target stopped answering usefully. */
  complete: boolean;
  /** Which operations need credentials, found by behaviour (protection.ts); [] without a spec. */
  protection: ProtectionEntry[];
  /** Requests sent, by who sent them: each check's id, `survey`, `protection`, `logins`, `snapshot`, `clean-up`, `other`. */
  requestsBy: Record<string, number>;
  dryRun: boolean;
  /** Every write the audit sent, and whether what it changed was restored. */
  writes: WriteRecord[];
  /** What differs between the reads before the audit and after it (empty: no trace found). */
  changes: string[];
  /** What the before/after comparison could not read or compare. */
  unchecked: string[];
  /** Accounts the audit registered for itself, and whether each was deleted or left behind on purpose. */
  accounts: OwnAccount[];
  /** What the after-reads show of those accounts left behind on purpose: listed, not counted as changes. */
  kept: string[];
}

/** An account the audit registered for itself (issue 19 item 4), as the report lists it. */
export interface OwnAccount {
  username: string;
  id?: string;
  url?: string;
  why: string;
  /** The privileged values it was registered with, if any. */
  extra: Record<string, unknown>;
  /** `deleted` (and verified gone), `left behind` (the target offers no DELETE on it), or `not deleted` (the DELETE failed). */
  fate: 'deleted' | 'left behind' | 'not deleted';
}

export function selectChecks(all: readonly Check[], only: readonly string[] = [], skip: readonly string[] = []): Check[] {
  const ids = all.map((c) => c.id);
  for (const id of [...only, ...skip]) {
    if (!ids.includes(id)) {
      throw new AuditError('USAGE', `unknown check \`${id}\`.${didYouMean(id, ids)} Run --list-checks to see them all.`);
    }
  }
  return all.filter((c) => (only.length === 0 || only.includes(c.id)) && !skip.includes(c.id));
}

function isUrl(value: string): boolean {
  return /^https?:\/\//i.test(value);
}

async function loadSpecUrl(client: HttpClient, url: string): Promise<ApiSpec> {
  const result = await client.send({ method: 'GET', url, purpose: 'read the spec', maxBodyBytes: SPEC_BODY_CAP, maxRedirects: 3 });
  if (!usable(result)) throw new AuditError('SPEC_UNREADABLE', `cannot fetch the OpenAPI document ${url}: ${result.error}`);
  const { status, truncated, text } = result.response;
  if (result.redirectBlocked !== undefined) {
    throw new AuditError('SPEC_UNREADABLE', `the OpenAPI document ${url} redirects to another host (${result.redirectBlocked}); not followed`);
  }
  if (status !== 200) throw new AuditError('SPEC_UNREADABLE', `cannot fetch the OpenAPI document ${url}: HTTP ${status}`);
  if (truncated) throw new AuditError('SPEC_UNREADABLE', `the OpenAPI document ${url} is larger than ${SPEC_BODY_CAP} bytes`);
  return buildSpec(parseSpecText(text, url), url);
}

export async function runAudit(options: AuditOptions, hooks: AuditHooks = {}): Promise<AuditResult> {
  const started = Date.now();
  const base = Target.parse(options.target);
  const checks = selectChecks(options.checks ?? CHECKS, options.only, options.skip);
  const info = hooks.info ?? ((): void => undefined);
  const notes: string[] = [];
  const answers = new AnswerLog();
  const requestsBy: Record<string, number> = {};

  // A spec file is read before any request: a broken file should fail fast.
  let spec: ApiSpec | undefined;
  let discovered = false;
  /** The spec is only what crawling guessed: imports replace its operations. */
  let guessed = false;
  if (options.openapi !== undefined && !isUrl(options.openapi)) spec = await loadSpecFile(options.openapi);
  const imports: LoadedImport[] = [];
  if (options.har !== undefined) imports.push(await readImport('har', options.har));
  if (options.postman !== undefined) imports.push(await readImport('postman', options.postman, base.origin));
  let identitySpecs: readonly IdentitySpec[] = options.identities ?? [];
  if (options.identitiesFromHar === true) {
    const har = imports.find((loaded) => loaded.kind === 'har');
    if (har === undefined) throw new AuditError('USAGE', '--identities-from-har takes its identities from the file given with --har; give one');
    const found = identitiesFromHar(har.observed, base.origin, new Set(identitySpecs.map((identity) => identity.name)));
    identitySpecs = [...identitySpecs, ...found.identities];
    notes.push(...found.notes);
    // From here on they are identities like the given ones (logins, own accounts' template).
    options = { ...options, identities: identitySpecs };
  }

  // Credentials known so far (the identities', once built): masked in the log and in every note.
  let secrets = (): string[] => [];
  const log = options.logRequests === undefined ? undefined : new RequestLog(options.logRequests, () => secrets());

  const client = new HttpClient({
    ratePerSecond: options.rate,
    maxRequests: options.maxRequests,
    timeoutMs: options.timeoutMs,
    dryRun: options.dryRun === true,
    insecure: options.insecure === true,
    ...(options.ca === undefined ? {} : { ca: options.ca }),
    ...(options.maxRetryWaitMs === undefined ? {} : { maxRetryWaitMs: options.maxRetryWaitMs }),
    ...(options.concurrency === undefined ? {} : { concurrency: options.concurrency }),
    onSent: (request, purpose) => {
      const by = sender(purpose, checks);
      requestsBy[by] = (requestsBy[by] ?? 0) + 1;
      hooks.onRequest?.(request, purpose, client.stats.sent);
    },
    onAnswer: (result, purpose) => answers.add(result, purpose),
    ...(log === undefined ? {} : { onExchange: (result: HttpResult, purpose: string | undefined) => log.write(result, purpose) }),
  });

  try {
    hooks.onPhase?.('reach');
    const reach = await client.send({ method: 'GET', url: base, purpose: 'reach the target' });
    if (reach.outcome === 'failed') {
      throw new AuditError('TARGET_UNREACHABLE', `cannot audit ${base.href}: ${reach.error}`);
    }
    if (!usable(reach)) {
      // Throttled from the first request: nothing can be concluded, but that is a result, not a crash.
      notes.push(`the target did not answer usefully: ${reach.error}. No finding is based on a throttled answer.`);
      const reason = `not run: the first request ended ${reach.error}`;
      return finish(started, base, spec, discovered, [], checks.map((c) => ({ id: c.id, reason })), [], notes, client, options);
    }

    const moved = reach.response.headers.location;
    if (reach.response.status >= 300 && reach.response.status < 400 && moved !== undefined) {
      notes.push(`the base URL answers ${reach.response.status} with Location: ${moved}; redirects are not followed, so audit that URL to cover the API behind it`);
    }
    if (options.openapi !== undefined && isUrl(options.openapi)) spec = await loadSpecUrl(client, options.openapi);
    if (spec === undefined) {
      hooks.onPhase?.('discover');
      const found = await discoverSpec(new Target(base), client);
      for (const rejected of found.rejected) notes.push(`found a document at ${rejected.url} but could not use it: ${rejected.reason}`);
      if (found.spec) {
        spec = found.spec;
        discovered = true;
        info(`Spec: none given; found OpenAPI ${spec.openapi} at ${spec.source} (${spec.operations.length} operations).`);
      } else {
        // No document anywhere: read the target as a client would, and audit what it names.
        const crawled = await crawl(new Target(base), client, Math.min(DEFAULT_CRAWL_BUDGET, Math.floor(client.remaining * 0.2)));
        for (const skipped of crawled.skipped.slice(0, 20)) notes.push(`discovery: ${skipped.path} not fetched: ${skipped.reason}`);
        if (crawled.spec !== undefined) {
          spec = crawled.spec;
          discovered = true;
          guessed = true;
          info(`Spec: none given and none found at ${found.tried.length} usual paths; discovered ${spec.operations.length} operations in ${crawled.requests} requests (robots.txt, pages, scripts, answers${crawled.documents.length > 0 ? `, ${crawled.documents.join(', ')}` : ''}, common paths)${crawled.softNotFound === undefined ? '' : `; unknown paths answer ${crawled.softNotFound}, so answers like that page were not taken for routes`}.`);
        } else {
          info(`Spec: none given, none found at ${found.tried.length} usual paths, and ${crawled.requests} discovery requests found no route; running the checks that need none.`);
        }
      }
    } else {
      info(`Spec: ${spec.source} (OpenAPI ${spec.openapi}, ${spec.operations.length} operations).`);
    }
    for (const warning of spec?.warnings ?? []) notes.push(`spec: ${warning}`);
    if (spec !== undefined && !guessed && options.specOnly !== true && options.dryRun !== true) {
      // A spec may document only part of the API (a partner sub-API): discovery runs for the rest.
      const crawled = await crawl(new Target(base), client, Math.min(DEFAULT_CRAWL_BUDGET, Math.floor(client.remaining * 0.1)));
      if (crawled.spec !== undefined) {
        const merged = mergeCrawled(spec, crawled.spec, new Target(base).prefix, new Target(base, spec).prefix);
        notes.push(`discovery: ${crawled.requests} request(s) beside the spec found ${merged.added} operation(s) it does not list${merged.added > 0 ? ', audited with it' : ''}${merged.outside.length > 0 ? `; the spec's paths are written out in full, as ${merged.outside.length} found path(s) lie outside its server path (${merged.outside.slice(0, 3).join(', ')})` : ''} (--spec-only turns this off)`);
        if (merged.added > 0) info(`Spec: discovery added ${merged.added} operation(s) the spec does not list; ${merged.spec.operations.length} in all.`);
        spec = merged.spec;
      }
    }
    if (imports.length > 0) {
      // Imported operations join the published ones (paths relative to the same prefix).
      const imported = importedSpec(imports, base.origin, new Target(base, spec).prefix, spec, guessed, options.identitiesFromHar === true);
      notes.push(...imported.notes);
      info(`Spec: ${imported.added} operation(s) imported from ${imports.map((i) => i.path).join(' and ')}; ${imported.spec.operations.length} in all.`);
      spec = imported.spec;
    }

    if (options.saveDiscovered !== undefined) {
      if (spec === undefined) notes.push(`--save-discovered: nothing to write to ${options.saveDiscovered}: no spec was given, found, imported or discovered`);
      else await saveDocument(options.saveDiscovered, spec);
    }
    const target = new Target(base, spec);
    const writes = new WriteLedger();
    const ledger = new SafetyLedger();
    const policy = new SafetyPolicy({ spec, target, unsafe: options.unsafe ?? [], own: (url) => ownedBy(ledger.entries, url) });
    // The identities' own logins (now and on every later re-login) are writes too: in the ledger.
    const loginSend = async (request: HttpRequestSpec): Promise<HttpResult> => {
      const result = await client.send(request);
      if (!['GET', 'HEAD', 'OPTIONS'].includes(request.method.toUpperCase()) && options.dryRun !== true) {
        writes.add({
          method: request.method,
          route: policy.named(request.method, new URL(request.url)).path,
          identity: (request.purpose ?? '').replace(/^log in as /, '') || 'anonymous',
          why: request.purpose ?? 'log in',
          answer: usable(result) ? result.response.status : result.error,
          restored: 'nothing to restore: a login',
        });
      }
      return result;
    };
    const identities = await prepareIdentities(options, target, spec, loginSend);
    /** What each write's answer was recorded as, so the accounts the audit registers can settle their lines. */
    const recordOf = new WeakMap<HttpResult, WriteRecord>();
    /** Credential header values of sessions the run opened for itself (openSession): only these may be logged out. */
    const ownSessions = new Set<string>();
    /** Every request after the reach goes through here: judged by the safety policy, writes recorded in the ledger. */
    const gated = async (request: HttpRequestSpec, identity: AuditIdentity | undefined): Promise<HttpResult> => {
      const url = new URL(request.url);
      const ownSession = Object.values(request.headers ?? {}).some((value) => ownSessions.has(value));
      const verdict = policy.judge({ ...request, url, ownSession, ...(identity === undefined ? {} : { identity: identity.name }), register: request.register === true });
      if (!verdict.send) {
        return { outcome: 'skipped', request: { method: request.method, url: url.href, headers: {} }, error: `not sent: ${verdict.reason}`, reason: 'unsafe' };
      }
      const result = await client.send(request);
      if (!verdict.write || options.dryRun === true) return result;
      const status = usable(result) ? result.response.status : undefined;
      // A 5xx to a body that cannot be accepted is a parser failing, not a write that broke something.
      if (status !== undefined && request.unacceptableBody !== true && !unparseable(request.body, request.headers)) policy.answered(true, status);
      const op = policy.named(request.method, url);
      const record: WriteRecord = {
        method: request.method,
        route: op.path,
        identity: identity?.name ?? 'anonymous',
        why: request.purpose ?? 'probe',
        answer: status ?? (result.outcome === 'ok' ? 0 : result.error),
        restored: 'nothing changed: no 2xx answer',
      };
      if (status !== undefined && status >= 200 && status < 300) {
        record.restored = 'pending';
        const own = ownedBy(ledger.entries, url);
        if (own) record.url = url.href;
        else if (request.register === true) record.restored = 'pending'; // settled by the account's fate (Accounts.made)
        else if (request.method === 'POST' && usable(result)) {
          // What a POST made is the run's own: deleted at the end by whoever made it.
          const made = createdUrl(url, result);
          if (made !== undefined) {
            ledger.created(made, identity);
            record.url = made.href;
          }
        }
        if (identity === undefined && request.register !== true && !policy.isLoginRequest(request.method, url)) {
          // It ignores what it is sent: no further anonymous write goes to it (the policy refuses them).
          policy.acceptsAnything(op);
          notes.push(`safety: ${request.method} ${op.path} without credentials, with a body that should not be accepted (${request.purpose ?? 'probe'}), answered ${status}: ${record.url === undefined ? 'the audit could not tell what it made (the before/after comparison shows any change)' : `it made ${record.url}, deleted at the end`}; no further anonymous write is sent to it`);
        }
        if (policy.isLoginRequest(request.method, url)) record.restored = 'nothing to restore: a login';
        else if (ownSession) record.restored = 'nothing to restore: it ended a session the audit opened for itself';
      }
      writes.add(record);
      recordOf.set(result, record);
      return result;
    };
    // Accounts of the audit's own, when the target lets anyone sign up (issue 19 item 4).
    let registration = options.dryRun === true ? undefined : findRegistration(spec);
    if (registration !== undefined && spec !== undefined && !accountsDeletable(spec) && !policy.allowedByUser(registration.operation)) {
      // An account the audit cannot delete would stay on a target it may never have seen.
      const signUp = `${registration.operation.method} ${registration.operation.path}`;
      notes.push(`safety: no account of the audit's own: the spec offers no DELETE on an account, so one registered at ${signUp} would stay behind; --unsafe '${signUp}' allows it (the report then names it as left behind)`);
      registration = undefined;
    }
    const accounts = registration === undefined || spec === undefined
      ? undefined
      : new Accounts({
        spec,
        target,
        registration,
        send: (request) => gated(request, undefined),
        identity: (account) => accountIdentity(options, target, spec ?? undefined, loginSend, account),
        made: (account) => {
          policy.ownAccount(account.identity.name);
          const record = recordOf.get(account.answer);
          if (account.deletable && account.url !== undefined) {
            ledger.created(account.url, account.identity);
            if (record !== undefined) record.url = account.url.href;
          } else if (record !== undefined) {
            record.restored = `NO, on purpose: ${account.username} is an account of the audit's own, and the target offers no way to delete it`;
          }
        },
      });
    const secretsOf = (list: readonly AuditIdentity[]): string[] => list.flatMap((i) => (i instanceof ConfiguredIdentity ? i.secrets : []));
    secrets = (): string[] => [...secretsOf(identities), ...secretsOf((accounts?.made ?? []).map((a) => a.identity)), ...(accounts?.made ?? []).map((a) => a.password)];
    const values = new ValueBank();
    const planner = spec ? new RequestPlanner(spec, target, values) : undefined;
    hooks.onPhase?.('survey');
    const survey = await runSurvey(target, spec, planner, values, {
      send: (request) => gated({ ...request, purpose: request.purpose ?? 'survey' }, undefined),
      note: (message) => notes.push(message),
    }, reach);
    for (const [operation, error] of survey.unanswered) {
      if (error.startsWith('not sent:')) continue;
      notes.push(`survey: GET ${operation.path} got no usable answer (${error}); checks that need it skip it`);
    }

    // Before any write: everything readable, anonymously and as each identity (issue 19 item 1).
    const sendAsOrNot = (request: HttpRequestSpec, identity: AuditIdentity | undefined): Promise<HttpResult> =>
      identity === undefined ? gated(request, undefined) : sendAs((r) => gated(r, identity), identity, request, target.origin);
    let snapshot: Snapshot | undefined;
    if (options.dryRun !== true) {
      hooks.onPhase?.('snapshot');
      snapshot = await Snapshot.take({ spec, planner, target, policy, identities, send: sendAsOrNot, remaining: client.remaining });
    }
    // After the snapshot: the protection probes are the first requests that could change anything
    // (reads as identities that --unsafe let through, writes with a body no parser accepts).
    hooks.onPhase?.('protection');
    const protection = spec && planner
      ? await classifyProtection(spec, planner, survey, identities, {
        send: (request) => gated(request, undefined),
        sendAs: (identity, request) => sendAs((r) => gated(r, identity), identity, request, target.origin),
        refused: (operation, how) => {
          const verdict = policy.callable(operation, how);
          return verdict.send ? undefined : verdict.reason;
        },
      })
      : new Protection();

    const findings: Finding[] = [];
    const ran: string[] = [];
    const skipped: { id: string; reason: string }[] = [];
    const token = randomBytes(4).toString('hex');
    const unanswered = new Map<string, { count: number; first: string }>();
    let budget = new CheckBudget(0, []);
    const budgetRanOut: string[] = [];
    const contextFor = (check: Check): CheckContext => {
      const sendFor = (identity: AuditIdentity | undefined) => async (request: HttpRequestSpec): Promise<HttpResult> => {
        if (!budget.take(check.id)) {
          const url = new URL(request.url);
          return { outcome: 'skipped', request: { method: request.method, url: url.href, headers: {} }, error: `not sent: the ${check.id} check's share of the request budget is spent`, reason: 'budget' };
        }
        const result = await gated({ ...request, purpose: `${check.id}: ${request.purpose ?? 'probe'}` }, identity);
        // Throttled answers a check asked to observe (rate-limit probes) are answers, not failures.
        if (result.outcome === 'failed' || (result.outcome === 'throttled' && request.onThrottle !== 'observe')) {
          const entry = unanswered.get(check.id) ?? { count: 0, first: `${result.request.method} ${target.routeOf(new URL(result.request.url))}: ${result.error}` };
          entry.count++;
          unanswered.set(check.id, entry);
        }
        return result;
      };
      const send = sendFor(undefined);
      return {
        check,
        safety: policy,
        target,
        spec,
        planner,
        survey,
        protection,
        dryRun: options.dryRun === true,
        token,
        timeoutMs: options.timeoutMs,
        http: client,
        get remaining() {
          return Math.min(budget.remaining(check.id), client.remaining);
        },
        send,
        get answers() {
          return answers.all;
        },
        note: (message: string) => notes.push(`${check.id}: ${message}`),
        identities,
        intensive: options.intensive === true,
        callbackUrl: options.callbackUrl,
        sendAs: (identity: AuditIdentity, request: HttpRequestSpec) => sendAs(sendFor(identity), identity, request, target.origin),
        accounts: accounts === undefined
          ? undefined
          : {
            registration: accounts.registration,
            register: (why, extra) => accounts.register(why, extra, sendFor(undefined)),
            throwaway: () => accounts.throwaway(sendFor(undefined)),
            adopt: (account) => accounts.adopt(account),
          },
        openSession: async (identity: AuditIdentity) => {
          if (!(identity instanceof ConfiguredIdentity) || identity.kind !== 'login') return `${identity.name} was given a ${identity.kind} credential: the audit opens sessions only by logging in, and never ends one it was given`;
          const headers = await identity.openSession();
          if (headers === undefined) return options.dryRun === true ? 'dry run: no login is sent' : `${identity.name} could not log in once more`;
          for (const value of Object.values(headers)) ownSessions.add(value);
          return sessionOf(identity, headers);
        },
        created: (url: URL | string, by: AuditIdentity) => {
          ledger.created(url, by);
        },
        removed: (url: URL | string) => {
          ledger.removed(url);
        },
        report: (report: Report) => {
          const finding = toFinding(check, { ...report, evidence: redactEvidence(report.evidence, secrets()) }, target);
          // The invariant behind every finding: each exchange it cites got a real answer.
          if (finding.evidence.exchanges.length === 0 || finding.evidence.exchanges.some((e) => e.response === undefined)) {
            notes.push(`${check.id}: dropped a ${finding.id} result whose evidence lacks an answer`);
            return;
          }
          findings.push(finding);
        },
      };
    };
    const runOne = async (check: Check, part: 'run' | 'review' = 'run'): Promise<void> => {
      hooks.onPhase?.(part === 'run' ? check.id : `${check.id} (review)`);
      try {
        if (part === 'run') await check.run(contextFor(check));
        else await check.review?.(contextFor(check));
      } catch (error) {
        const message = error instanceof Error ? error.message : String(error);
        notes.push(`${check.id}: stopped early: ${message}`);
      }
      if (part === 'run') budget.release(check.id);
      const ranOut = budget.ranOut(check.id);
      if (ranOut !== undefined && part === 'run') {
        notes.push(`${check.id}: ${ranOut}`);
        budgetRanOut.push(check.id);
      }
      const lost = unanswered.get(check.id);
      unanswered.delete(check.id);
      if (lost) {
        notes.push(`${check.id}: ${lost.count} probe${lost.count === 1 ? '' : 's'} got no usable answer and ${lost.count === 1 ? 'was' : 'were'} not judged (first: ${lost.first})`);
      }
    };
    const runnable: Check[] = [];
    const users = identities.filter((i) => i.role === 'user').length;
    for (const check of checks) {
      if (check.needs.includes('spec') && spec === undefined) {
        skipped.push({ id: check.id, reason: 'needs an OpenAPI spec (routes and parameters come only from a spec): pass --openapi, --har or --postman' });
      } else if (check.needs.includes('identities') && users < 2) {
        skipped.push({ id: check.id, reason: `needs two ordinary identities (role=user), ${users === 0 ? 'none' : 'only one'} configured: pass --identity name=…,login=… twice` });
      } else if (check.needs.includes('admin') && !identities.some((i) => i.role === 'admin')) {
        skipped.push({ id: check.id, reason: 'needs an admin identity: pass --identity name=…,role=admin,…' });
      } else {
        runnable.push(check);
        ran.push(check.id);
      }
    }
    // What is left after the survey, less a reserve for logins and the clean-up, shared out per check.
    budget = new CheckBudget(Math.max(0, client.remaining - Math.min(100, Math.floor(client.remaining * 0.05))), runnable.map((c) => c.id));
    await Promise.all(runnable.filter((c) => c.exclusive !== true).map((c) => runOne(c)));
    for (const check of runnable.filter((c) => c.exclusive === true)) await runOne(check);
    // Passive reviews last: they read every answer the others received.
    for (const check of runnable.filter((c) => c.review !== undefined)) await runOne(check, 'review');
    if (answers.dropped > 0) notes.push(`passive checks did not see ${answers.dropped} answer(s): the kept answers reached their size cap`);
    if (ledger.entries.length > 0) {
      hooks.onPhase?.('clean up');
      const left = await ledger.cleanUp((identity, request) =>
        identity === undefined ? gated({ ...request, restore: true }, undefined) : sendAs((r) => gated({ ...r, restore: true }, identity), identity, request, target.origin),
      );
      for (const problem of left) notes.push(`safety: ${problem}`);
    }
    writes.settle(ledger.entries);
    const own = (accounts?.made ?? []).map((account) => ownAccount(account, ledger.entries));
    let comparison = { changes: [] as string[], unchecked: ['dry run: nothing was read or compared'], kept: [] as string[] };
    if (snapshot !== undefined) {
      hooks.onPhase?.('compare');
      comparison = await snapshot.compare(sendAsOrNot, (accounts?.made ?? []).filter((a) => a.removed !== true));
    }
    for (const account of own.filter((a) => a.fate !== 'deleted')) {
      const raised = Object.keys(account.extra).length === 0 ? '' : `, registered with ${Object.entries(account.extra).map(([k, v]) => `${k}=${JSON.stringify(v)}`).join(', ')} in its sign-up (see the mass-assignment findings: if they landed, it holds them)`;
      notes.push(`safety: ${account.fate === 'left behind' ? 'left behind on purpose' : 'COULD NOT DELETE'}: the account ${account.username}${account.id === undefined ? '' : ` (id ${account.id})`} the audit registered ${account.why}${account.fate === 'left behind' ? ': the target offers no way to delete it' : ''}${raised}`);
    }
    for (const [operation, reason] of policy.skipped) notes.push(`not called (safety): ${operation}: ${reason}`);

    const result = finish(started, base, spec, discovered, ran, skipped, options.dryRun === true ? [] : findings, notes, client, options, { writes: writes.writes, ...comparison, accounts: own });
    if (budgetRanOut.length > 0) result.notes.push(`audit incomplete: the request budget ran out for ${budgetRanOut.join(', ')} (see their notes)`);
    return { ...result, complete: result.complete && budgetRanOut.length === 0, notes: result.notes.map((note) => redactText(note, secrets())), protection: protection.entries, requestsBy };
  } finally {
    client.close();
    log?.close();
  }
}

/** A configured identity, with the ways it logs in (the identity's own login URL, --token-url, else the spec's). */
function buildIdentity(identitySpec: IdentitySpec, options: AuditOptions, target: Target, spec: ApiSpec | undefined, send: (request: HttpRequestSpec) => Promise<HttpResult>): ConfiguredIdentity {
  const credential = identitySpec.credential;
  let plans: LoginPlan[] = [];
  if (credential.kind === 'login') {
    const own = credential.tokenUrl ?? options.tokenUrl;
    const raw = own ?? specTokenUrl(spec);
    const url = raw === undefined ? undefined : resolveTokenUrl(raw, target, own !== undefined);
    const source = credential.tokenUrl !== undefined ? 'its login-url' : options.tokenUrl !== undefined ? '--token-url' : "the spec's OAuth2 password flow";
    plans = loginPlans(credential, url, spec, target, source);
  }
  try {
    return new ConfiguredIdentity(identitySpec, {
      plans,
      ...(credential.kind === 'login' ? { carrier: carrierFor(credential, spec) } : {}),
      target,
      send,
      dryRun: options.dryRun === true,
    });
  } catch (error) {
    if (error instanceof LoginFailed) throw new AuditError('IDENTITY_FAILED', error.message);
    throw error;
  }
}

/** Builds the configured identities and logs in those that log in, so bad credentials stop the audit at once. */
async function prepareIdentities(options: AuditOptions, target: Target, spec: ApiSpec | undefined, send: (request: HttpRequestSpec) => Promise<HttpResult>): Promise<AuditIdentity[]> {
  const out = (options.identities ?? []).map((identitySpec) => buildIdentity(identitySpec, options, target, spec, send));
  for (const identity of out) {
    try {
      await identity.headers();
    } catch (error) {
      if (error instanceof LoginFailed) throw new AuditError('IDENTITY_FAILED', error.message);
      throw error;
    }
  }
  return out;
}

/**
 * The login identity of an account the audit registered: it logs in the way the first given
 * login identity does (same URL, fields and token carrier), by email when that one logs in with
 * an email, else the way the spec's login operations show.
 */
function accountIdentity(options: AuditOptions, target: Target, spec: ApiSpec | undefined, send: (request: HttpRequestSpec) => Promise<HttpResult>, account: { username: string; email: string; password: string }): ConfiguredIdentity {
  const template = (options.identities ?? []).find((i) => i.credential.kind === 'login')?.credential;
  const byEmail = template?.kind === 'login' && template.username.includes('@');
  const credential = { ...(template?.kind === 'login' ? template : {}), kind: 'login' as const, username: byEmail ? account.email : account.username, password: account.password };
  return buildIdentity({ name: account.username, role: 'user', credential }, options, target, spec, send);
}

/** How the report lists an account the audit registered. */
function ownAccount(account: Account, objects: readonly { url: string; removed: boolean }[]): OwnAccount {
  const entry = account.url === undefined ? undefined : objects.find((o) => o.url === account.url!.href);
  account.removed = entry?.removed === true;
  return {
    username: account.username,
    ...(account.id === undefined ? {} : { id: account.id }),
    ...(account.url === undefined ? {} : { url: account.url.href }),
    why: account.why,
    extra: account.extra,
    fate: !account.deletable ? 'left behind' : account.removed ? 'deleted' : 'not deleted',
  };
}

/** An identity that carries one session the run opened (never logging in again: a 401 is the answer to judge). */
function sessionOf(identity: AuditIdentity, headers: Record<string, string>): AuditIdentity {
  const token = Object.values(headers)[0];
  return {
    name: `${identity.name} (a session of its own)`,
    role: identity.role,
    kind: 'login',
    inCookie: 'cookie' in headers,
    headers: () => Promise.resolve({ ...headers }),
    token: () => token,
  };
}

/** Who sent a request, from its purpose: a check (`<id>: …`), the survey, the protection probes, a login, or other. */
function sender(purpose: string | undefined, checks: readonly Check[]): string {
  const text = purpose ?? '';
  const id = text.slice(0, text.indexOf(':'));
  if (id !== '' && checks.some((c) => c.id === id)) return id;
  if (text.startsWith('survey')) return 'survey';
  if (text.startsWith('protection:')) return 'protection';
  if (text.startsWith('log in as')) return 'logins';
  if (text.startsWith('snapshot')) return 'snapshot';
  if (/clean.?up/.test(text)) return 'clean-up';
  return 'other';
}

function toFinding(check: Check, report: Report, target: Target): Finding {
  const rule = check.rules.find((r) => r.id === report.rule);
  if (rule === undefined) throw new Error(`check ${check.id} reported undeclared rule ${report.rule}`);
  const scopeLocation = report.scope === 'target' ? { method: '*', route: '*' } : report.location;
  return {
    id: rule.id,
    check: check.id,
    title: report.title ?? rule.title,
    severity: report.severity ?? rule.severity,
    confidence: report.confidence,
    owasp: rule.owasp,
    cwe: rule.cwe,
    location: report.location,
    affected: report.affected ?? [report.location],
    evidence: report.evidence,
    fix: rule.fix,
    fingerprint: fingerprintOf(rule.id, scopeLocation),
    target: target.base.href,
    ...(rule.context ? { context: rule.context } : {}),
  };
}

function finish(
  started: number,
  base: URL,
  spec: ApiSpec | undefined,
  discovered: boolean,
  ran: string[],
  skipped: { id: string; reason: string }[],
  findings: Finding[],
  notes: string[],
  client: HttpClient,
  options: AuditOptions,
  safety: { writes: WriteRecord[]; changes: string[]; unchecked: string[]; kept?: string[]; accounts?: OwnAccount[] } = { writes: [], changes: [], unchecked: ['the audit stopped before the snapshot'] },
): AuditResult {
  // The same flaw reported twice (two checks, or twice by one) is one finding.
  const unique = new Map<string, Finding>();
  for (const finding of findings) {
    const existing = unique.get(finding.fingerprint);
    if (existing === undefined) unique.set(finding.fingerprint, finding);
    else for (const location of finding.affected) if (!existing.affected.some((l) => l.route === location.route && l.method === location.method)) existing.affected.push(location);
  }
  const stop = client.stopReason;
  if (stop !== undefined) notes.push(`audit incomplete: ${stop}; checks after that point did not run to the end`);
  return {
    target: base.href,
    startedAt: new Date(started).toISOString(),
    durationMs: Date.now() - started,
    requests: client.stats.sent,
    spec: spec
      ? { source: spec.source, openapi: spec.openapi, ...(spec.title ? { title: spec.title } : {}), operations: spec.operations.length, discovered }
      : null,
    checks: { ran, skipped },
    findings: [...unique.values()].sort(compareFindings),
    notes,
    complete: stop === undefined && client.stats.throttled === 0,
    protection: [],
    requestsBy: {},
    dryRun: options.dryRun === true,
    writes: safety.writes,
    changes: safety.changes,
    unchecked: safety.unchecked,
    kept: safety.kept ?? [],
    accounts: safety.accounts ?? [],
  };
}
