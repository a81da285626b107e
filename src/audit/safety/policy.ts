// The one place that decides whether the audit may send a request (issue 19 items 2 and 3). Every
// request a check sends goes through `judge` (the engine calls it before the client); checks ask
// `callable` while planning, so they do not plan probes that would be refused.
//
// The rules, on anything this run did not create itself:
// - an operation whose method, path, operationId, summary or tags say it creates (outside the
//   ordinary POST to a collection), resets, seeds, initialises, installs, drops, deletes, purges,
//   flushes, clears, shuts down or logs out is never called, with any method, unless `--unsafe`
//   names it;
// - a GET whose path or operationId names an action (`/tasks/{id}/complete`, `archiveTask`) is the
//   write it is;
// - a write goes only to an object the run created, as a new object of a collection (as an
//   identity: the object is then the run's own), to a login (a credential check changes nothing),
//   or with a body the target cannot accept (truncated JSON, or one its schema refuses), and no
//   longer anonymously once the route answered 2xx to such a body (it ignores what it is sent);
// - the audit may register accounts of its own (a POST whose name says register or sign up, sent
//   anonymously with the `register` flag) and, as such an account, write to the routes that are
//   its own state (a path without parameters that names no action, e.g. PATCH /me);
// - bursts go only to reads and logins;
// - after repeated 5xx answers to writes, no more writes (clean-up and restores excepted).
import type { ApiSpec, Operation } from '../spec/load.ts';
import { matchTemplate } from '../spec/load.ts';
import type { Target } from '../target.ts';

/** What an operation is called: enough to judge it by its name. */
export interface Named {
  method: string;
  path: string;
  operationId?: string;
  summary?: string;
  tags?: readonly string[];
}

const READ_METHODS = new Set(['GET', 'HEAD', 'OPTIONS', 'TRACE']);

/** The issue's words, in the verb forms that say the operation does it (not `created`, `deleted`: those describe). */
const DESTRUCTIVE: Record<string, string> = {};
for (const [word, forms] of Object.entries({
  create: 'create creates creating creation',
  reset: 'reset resets resetting',
  seed: 'seed seeds seeding reseed',
  initialise: 'init inits initialise initialize initialises initializes initialising initializing initialisation initialization reinit reinitialise reinitialize',
  install: 'install installs installing installation uninstall reinstall',
  drop: 'drop drops dropping',
  delete: 'delete deletes deleting deletion destroy destroys erase erases wipe wipes remove removes removal truncate truncates',
  purge: 'purge purges purging',
  flush: 'flush flushes flushing flushall flushdb',
  clear: 'clear clears clearing cleanup',
  'shut down': 'shutdown shutdowns halt poweroff reboot restart kill terminate',
  'log out': 'logout logouts logoff signout',
})) {
  for (const form of forms.split(' ')) DESTRUCTIVE[form] = word;
}
/** Two-word phrases of the same meaning. */
const DESTRUCTIVE_PHRASES: [RegExp, string][] = [
  [/\bshut(?:s|ting)? down\b/, 'shut down'],
  [/\blog(?:s|ging)? (?:out|off)\b/, 'log out'],
  [/\bsign(?:s|ing)? out\b/, 'log out'],
  [/\bclean(?:s|ing)? up\b/, 'clear'],
];

/** Verbs that, named by a GET's path or operationId, say the GET changes something. */
const ACTIONS = new Set(
  (
    'archive unarchive complete uncomplete approve reject cancel activate deactivate enable disable publish unpublish lock unlock close reopen ' +
    'finish done toggle start stop run execute exec trigger send resend submit confirm verify accept decline assign unassign block unblock ' +
    'ban unban suspend resume restore undo redo revoke rotate sync import migrate rebuild reindex recalculate recompute process pay charge refund ' +
    'transfer withdraw deposit subscribe unsubscribe follow unfollow like unlike vote join leave invite kick promote demote grant update edit ' +
    'modify change set add insert upsert save write copy move rename duplicate clone merge upload apply retry regenerate generate increment ' +
    'decrement upgrade downgrade checkout buy purchase book reserve claim redeem dismiss hide unhide pin unpin star unstar mute unmute snooze ' +
    'flag share unshare expire invalidate void settle mark unmark forgot recover register signup enrol enroll'
  ).split(' '),
);

const LOGIN = /\b(?:log ?in|sign ?in|logon|token|tokens|session|sessions|auth|authenticate|authentication|authorize|oauth)\b/;
/** Names that say a password route does something other than check a credential. */
const NOT_LOGIN = /\b(?:register|registration|sign ?up|signup|join|create|new|enrol|enroll|invite|reset|change|forgot|forgotten|recover|recovery|verify|confirm|set|update|refresh|revoke|logout|log ?out|sign ?out)\b/;

/** Lower-case words of a name: `archiveTask /api/reset-demo` → archive task api reset demo. */
export function nameWords(text: string): string[] {
  return text
    .split(/[^A-Za-z]+|(?<=[a-z])(?=[A-Z])|(?<=[A-Z])(?=[A-Z][a-z])/)
    .filter(Boolean)
    .map((w) => w.toLowerCase());
}

function literalSegments(path: string): string[] {
  return path.split('/').filter((s) => s !== '' && !s.includes('{'));
}

/** The first place where the operation's name says it is destructive, e.g. `path says "reset"`. */
export function destructiveWord(op: Named): { word: string; where: string } | undefined {
  if (op.method === 'DELETE') return { word: 'delete', where: 'method' };
  const fields: [string, string][] = [
    ['path', op.path],
    ['operationId', op.operationId ?? ''],
    ['summary', op.summary ?? ''],
    ['tags', (op.tags ?? []).join(' ')],
  ];
  for (const [where, text] of fields) {
    const words = nameWords(text);
    const spaced = words.join(' ');
    for (const [pattern, word] of DESTRUCTIVE_PHRASES) if (pattern.test(spaced)) return { word, where };
    for (const w of words) {
      const word = DESTRUCTIVE[w];
      if (word === undefined) continue;
      // The ordinary create: a POST to a collection makes a new object, which is then the run's own.
      if (word === 'create' && ordinaryCreate(op, where)) continue;
      return { word, where };
    }
  }
  return undefined;
}

/** A POST whose path ends in a collection (a literal segment naming no action) and says `create` only in its description. */
function ordinaryCreate(op: Named, where: string): boolean {
  if (op.method !== 'POST' || where === 'path') return false;
  const last = op.path.split('/').filter(Boolean).at(-1) ?? '';
  return last !== '' && !last.includes('{') && !nameWords(last).some((w) => ACTIONS.has(w) || DESTRUCTIVE[w] !== undefined);
}

/** An action a read-method operation names in its path or operationId: `/tasks/{id}/complete` → complete. */
export function actionWord(op: Named): { word: string; where: string } | undefined {
  if (!READ_METHODS.has(op.method)) return undefined;
  for (const [where, words] of [
    ['path', literalSegments(op.path).flatMap(nameWords)],
    ['operationId', nameWords(op.operationId ?? '')],
  ] as const) {
    const word = words.find((w) => ACTIONS.has(w));
    if (word !== undefined) return { word, where };
  }
  return undefined;
}

/** A read the audit may send as often as it likes: a read method whose name says no write. */
export function isRead(op: Named): boolean {
  return READ_METHODS.has(op.method) && destructiveWord(op) === undefined && actionWord(op) === undefined;
}

/**
 * A credential check: a POST whose name says login or token and nothing else (no sign-up, reset or
 * logout). A password field alone is not enough: a POST to /users with one makes an account.
 */
export function isLogin(op: Named): boolean {
  if (op.method !== 'POST') return false;
  if (NOT_LOGIN.test(nameWords(`${op.path} ${op.operationId ?? ''}`).join(' '))) return false;
  return LOGIN.test(nameWords(`${op.path} ${op.operationId ?? ''} ${op.summary ?? ''}`).join(' '));
}

const REGISTER = /\b(?:register|registration|signup|sign up|join|enrol|enroll|enrolment|enrollment)\b/;

/** A sign-up: a POST whose path or operationId says register, sign up, join or enrol. */
export function isRegistration(op: Named): boolean {
  return op.method === 'POST' && REGISTER.test(nameWords(`${op.path} ${op.operationId ?? ''}`).join(' '));
}

/** A route that is the caller's own state (no path parameter, no action or destructive word): `/me`, `/account`. */
export function isSelfRoute(op: Named): boolean {
  // Without a spec a path is literal: a segment that looks like an id names someone's object.
  const idLike = op.path.split('/').some((segment) => /^(?:\d+|[0-9a-f]{16,}|[0-9a-f-]{36})$/i.test(segment));
  return !op.path.includes('{') && !idLike && destructiveWord(op) === undefined && actionWord({ ...op, method: 'GET' }) === undefined;
}

/** A POST to a collection: it makes a new object (as an identity, the run's own). */
export function isCollectionPost(op: Named): boolean {
  return op.method === 'POST' && ordinaryCreate(op, 'summary');
}

export type Verdict = { send: true; write: boolean } | { send: false; reason: string };

export interface Judged {
  method: string;
  url: URL;
  body?: string | Buffer;
  headers?: Record<string, string>;
  /** The identity it is sent as; undefined: without the audit's credentials. */
  identity?: string;
  /** One of a burst (rate-limit and flow probes). */
  burst?: boolean;
  /** The check built a body the route's schema refuses. */
  unacceptableBody?: boolean;
  /** Clean-up or a restore of what the audit changed: never refused for the 5xx stop. */
  restore?: boolean;
  /** The audit registering an account of its own (a sign-up sent anonymously). */
  register?: boolean;
  /** It carries a session the run opened for itself (engine's openSession): its logout harms no one. */
  ownSession?: boolean;
}

export const WRITE_5XX_STOP = 3;

/** Is the body a JSON text that does not parse (truncated)? Such a body cannot be accepted. */
export function unparseable(body: string | Buffer | undefined, headers: Record<string, string> = {}): boolean {
  if (body === undefined) return false;
  const type = Object.entries(headers).find(([k]) => k.toLowerCase() === 'content-type')?.[1] ?? 'application/json';
  if (!/json/i.test(type)) return false;
  try {
    JSON.parse(body.toString());
    return false;
  } catch {
    return true;
  }
}

export class SafetyPolicy {
  readonly #spec: ApiSpec | undefined;
  readonly #target: Target;
  readonly #unsafe: readonly string[];
  readonly #own: (url: URL) => boolean;
  /** `METHOD path` of operations that answered 2xx to an anonymous body they should have refused. */
  readonly #acceptsAnything = new Set<string>();
  /** Names of the accounts the audit registered itself: their own state is theirs to change. */
  readonly #accounts = new Set<string>();
  #write5xx = 0;
  /** Operations refused, by `METHOD route`, with the reason (each once, for the notes). */
  readonly skipped = new Map<string, string>();

  constructor(options: { spec: ApiSpec | undefined; target: Target; unsafe?: readonly string[]; own: (url: URL) => boolean }) {
    this.#spec = options.spec;
    this.#target = options.target;
    this.#unsafe = (options.unsafe ?? []).map((u) => u.trim()).filter(Boolean);
    this.#own = options.own;
  }

  /** The spec operation a request reaches: a literal path before a template. */
  operationFor(method: string, url: URL): Operation | undefined {
    const route = this.#target.routeOf(url);
    const candidates = (this.#spec?.operations ?? []).filter((o) => o.method === method && matchTemplate(o.path, route));
    return candidates.sort((a, b) => (a.path.match(/\{/g) ?? []).length - (b.path.match(/\{/g) ?? []).length)[0];
  }

  /** The name of what a request reaches: its spec operation, else its path. */
  named(method: string, url: URL): Named {
    return this.operationFor(method, url) ?? { method, path: this.#target.routeOf(url) };
  }

  /** Did `--unsafe` name it (operationId, path, `METHOD path`, or the word that makes it unsafe)? */
  allowedByUser(op: Named): boolean {
    const words = [destructiveWord(op)?.word, actionWord(op)?.word].filter((w) => w !== undefined);
    return this.#unsafe.some((u) => u === op.operationId || u === op.path || u.replace(/\s+/, ' ').toUpperCase() === `${op.method} ${op.path}`.toUpperCase() || words.includes(u.toLowerCase()));
  }


  /**
   * May a check plan to call this operation this way? (Without a URL: on objects it did not create.)
   * The engine's `judge` still has the last word on each request.
   */
  callable(op: Named, how: { identity?: boolean; burst?: boolean; unacceptableBody?: boolean; ownAccount?: boolean; register?: boolean } = {}): Verdict {
    if (this.allowedByUser(op)) return { send: true, write: !isRead(op) };
    if (how.register && !how.identity && !how.burst && isRegistration(op)) return { send: true, write: true };
    if (how.ownAccount && !how.burst && op.method !== 'DELETE' && isSelfRoute(op)) return { send: true, write: !isRead(op) };
    const destructive = destructiveWord(op);
    if (destructive !== undefined) {
      return { send: false, reason: `its ${destructive.where} says "${destructive.word}": not called on anything this run did not create (--unsafe '${op.operationId ?? `${op.method} ${op.path}`}' allows it)` };
    }
    const action = actionWord(op);
    if (action !== undefined && !how.unacceptableBody) {
      return { send: false, reason: `a ${op.method} whose ${action.where} says "${action.word}" changes state: treated as the write it is (--unsafe '${op.operationId ?? `${op.method} ${op.path}`}' allows it)` };
    }
    if (isRead(op)) return { send: true, write: false };
    if (isLogin(op)) return { send: true, write: true };
    if (how.burst) return { send: false, reason: 'bursts go only to reads and logins' };
    if (how.unacceptableBody && !how.identity && this.#acceptsAnything.has(`${op.method} ${op.path}`)) {
      return { send: false, reason: 'it answered 2xx to a body no parser accepts (it ignores what it is sent): no further anonymous write goes to it' };
    }
    if (how.unacceptableBody) return { send: true, write: true };
    if (!how.identity) return { send: false, reason: 'an anonymous write whose body the target could accept' };
    if (isCollectionPost(op)) return { send: true, write: true };
    return { send: false, reason: 'a write to an object this run did not create' };
  }

  /** The last word on one request, just before it is sent. */
  judge(request: Judged): Verdict {
    const op = this.named(request.method, request.url);
    const unacceptableBody = request.unacceptableBody === true || unparseable(request.body, request.headers);
    const own = this.#own(request.url);
    let verdict: Verdict;
    if (own && !request.burst) verdict = { send: true, write: !isRead(op) };
    else if (request.ownSession === true && !request.burst && destructiveWord(op)?.word === 'log out') verdict = { send: true, write: true };
    else {
      verdict = this.callable(op, {
        identity: request.identity !== undefined,
        burst: request.burst === true,
        unacceptableBody,
        ownAccount: request.identity !== undefined && this.#accounts.has(request.identity),
        register: request.register === true,
      });
    }
    if (verdict.send && verdict.write && !request.restore && this.#write5xx >= WRITE_5XX_STOP && !isLogin(op)) {
      verdict = { send: false, reason: `the target answered ${this.#write5xx} writes with 5xx: the audit stopped writing to it` };
    }
    if (!verdict.send) this.skipped.set(`${op.method} ${op.path}`, verdict.reason);
    return verdict;
  }

  /** The operation answered 2xx to an anonymous body it should have refused: it takes anything, so no more anonymous writes. */
  acceptsAnything(op: Named): void {
    this.#acceptsAnything.add(`${op.method} ${op.path}`);
  }

  /** An account the audit registered itself: it may change its own state (policy rules above). */
  ownAccount(name: string): void {
    this.#accounts.add(name);
  }

  isOwnAccount(name: string): boolean {
    return this.#accounts.has(name);
  }

  /** Does this request reach a login? */
  isLoginRequest(method: string, url: URL): boolean {
    return isLogin(this.named(method, url));
  }

  /** Counts the target's 5xx answers to writes. */
  answered(write: boolean, status: number): void {
    if (write && status >= 500) this.#write5xx++;
  }

  get write5xx(): number {
    return this.#write5xx;
  }
}
