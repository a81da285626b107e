// Leave no trace, and show it (issue 19 item 1). Before any write the audit reads, with GET only,
// everything it can read anonymously and as each identity: every listing and profile the spec
// has, and every object those listings name (up to a few per route). Each read is taken twice, so
// values that change by themselves (timestamps, counters, request ids, nonces) are found and set
// aside, besides the ones their names or forms give away (a refusal is read once and compared by
// its status). It never guesses an object id: a failed lookup may count as enumeration. At the
// end the same reads are taken again and compared; what differs is what the audit left, and what
// could not be read is said.
import type { HttpRequestSpec, HttpResult } from '../http/client.ts';
import { usable } from '../http/client.ts';
import type { AuditIdentity } from '../identities/identity.ts';
import { parseJson } from '../lib/links.ts';
import type { ApiSpec, Operation } from '../spec/load.ts';
import type { RequestPlanner } from '../spec/request.ts';
import { isObject } from '../spec/refs.ts';
import type { Json } from '../spec/refs.ts';
import type { Target } from '../target.ts';
import type { SafetyPolicy } from './policy.ts';

/** Objects read per item route and viewer, taken from that viewer's listing. */
const IDS_PER_ROUTE = 5;
/** Reads in one snapshot at most (each is taken up to twice before, once after). */
const MAX_READS = 400;
/** The snapshot's share of the request budget left when it starts (before and after together). */
export const SNAPSHOT_BUDGET_SHARE = 0.2;
const VOLATILE = '<volatile>';
/** Field names whose values move by themselves. */
const VOLATILE_KEY =
  /(?:^|_|-)(?:at|time|timestamp|date|datetime|updated|modified|expires?|expiry|exp|iat|nbf|jti|nonce|request_?id|trace_?id|span_?id|correlation_?id|csrf|xsrf|etag|uptime|now|server_?time|last_?seen|last_?login|last_?active|generated)$|(?:At|Time|Date|Timestamp|Nonce|RequestId|TraceId)$/i;
const ISO_DATE = /^\d{4}-\d\d-\d\d(?:[T ]\d\d:\d\d(?::\d\d(?:\.\d+)?)?(?:Z|[+-]\d\d:?\d\d)?)?$/;
const JWT = /^eyJ[\w-]*\.eyJ[\w-]*\.[\w-]*$/;

type Send = (request: HttpRequestSpec, identity: AuditIdentity | undefined) => Promise<HttpResult>;

interface Read {
  key: string;
  /** `GET /lists/{id}` as alice: how the report names it. */
  label: string;
  url: URL;
  viewer: AuditIdentity | undefined;
  status?: number;
  body?: Json | string;
  /** JSON paths (or `*` for a whole text body) that changed between the two reads before. */
  volatile: Set<string>;
}

export interface SnapshotComparison {
  /** What differs after the audit, one line each. */
  changes: string[];
  /** What the audit could not read or compare, one line each. */
  unchecked: string[];
  /** New items that are (or belong to) an account the audit registered and left behind on purpose. */
  kept: string[];
  /** Reads sent (before and after). */
  reads: number;
}

function viewerName(viewer: AuditIdentity | undefined): string {
  return viewer === undefined ? 'anonymously' : `as ${viewer.name}`;
}

/** The body with values that move by themselves replaced. */
export function normalise(value: Json | undefined, key = ''): Json | undefined {
  if (value === undefined) return undefined;
  if (key !== '' && VOLATILE_KEY.test(key)) return VOLATILE;
  if (typeof value === 'string') return ISO_DATE.test(value) || JWT.test(value) ? VOLATILE : value;
  if (Array.isArray(value)) return value.map((v) => normalise(v) ?? null);
  if (isObject(value)) return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, normalise(v, k) ?? null]));
  return value;
}

function textOf(text: string): string {
  return text
    .replace(/\d{4}-\d\d-\d\d[T ]\d\d:\d\d(?::\d\d(?:\.\d+)?)?(?:Z|[+-]\d\d:?\d\d)?/g, VOLATILE)
    .replace(/\b[0-9a-f]{16,}\b/gi, VOLATILE)
    .replace(/eyJ[\w-]*\.eyJ[\w-]*\.[\w-]*/g, VOLATILE);
}

function bodyOf(result: HttpResult): { status?: number; body?: Json | string } {
  if (!usable(result)) return {};
  const json = parseJson(result.response.text);
  return { status: result.response.status, body: json === undefined ? textOf(result.response.text) : normalise(json) };
}

/**
 * Paths (`items[2].title`) where two values differ; arrays of objects with ids are matched by id.
 * A new item `ours` says is the audit's own account's (or holds it) goes to `kept`, not `out`.
 */
export function differences(before: Json | string | undefined, after: Json | string | undefined, path = '', out: string[] = [], ours?: (item: Json) => boolean, kept: string[] = []): string[] {
  if (out.length >= 20) return out;
  if (JSON.stringify(before) === JSON.stringify(after)) return out;
  const at = path === '' ? '(body)' : path;
  if (Array.isArray(before) && Array.isArray(after)) {
    const ids = (list: Json[]): (string | undefined)[] => list.map((item) => (isObject(item) && (typeof item.id === 'string' || typeof item.id === 'number') ? String(item.id) : undefined));
    const [a, b] = [ids(before), ids(after)];
    if (a.every((id) => id !== undefined) && b.every((id) => id !== undefined)) {
      for (const id of a) if (!b.includes(id)) out.push(`${at}: the item with id ${id} is gone`);
      for (const [j, id] of b.entries()) if (!a.includes(id)) (ours?.(after[j]!) === true ? kept : out).push(`${at}: a new item with id ${id}`);
      for (const [i, id] of a.entries()) {
        const j = b.indexOf(id);
        if (j !== -1) differences(before[i], after[j], `${path}[id=${id}]`, out, ours, kept);
      }
      return out;
    }
    if (before.length !== after.length) out.push(`${at}: ${before.length} items → ${after.length}`);
    for (let i = 0; i < Math.min(before.length, after.length); i++) differences(before[i], after[i], `${path}[${i}]`, out, ours, kept);
    return out;
  }
  if (isObject(before) && isObject(after)) {
    for (const key of new Set([...Object.keys(before), ...Object.keys(after)])) differences(before[key], after[key], path === '' ? key : `${path}.${key}`, out, ours, kept);
    return out;
  }
  const show = (v: Json | string | undefined): string => (v === undefined ? '(absent)' : JSON.stringify(v).slice(0, 80));
  out.push(`${at}: ${show(before)} → ${show(after)}`);
  return out;
}

/** Sets every path that differs between two reads to VOLATILE in both, so they compare equal. */
function masked(value: Json | string | undefined, volatile: Set<string>, path = ''): Json | string | undefined {
  if (volatile.has(path === '' ? '(body)' : path)) return VOLATILE;
  if (Array.isArray(value)) return value.map((v, i) => masked(v, volatile, `${path}[${i}]`) as Json);
  if (isObject(value)) return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, masked(v, volatile, path === '' ? k : `${path}.${k}`) as Json]));
  return value;
}

function changedPaths(a: Json | string | undefined, b: Json | string | undefined, path = '', out = new Set<string>()): Set<string> {
  if (JSON.stringify(a) === JSON.stringify(b)) return out;
  if (Array.isArray(a) && Array.isArray(b) && a.length === b.length) {
    a.forEach((v, i) => changedPaths(v, b[i], `${path}[${i}]`, out));
    return out;
  }
  if (isObject(a) && isObject(b)) {
    for (const key of new Set([...Object.keys(a), ...Object.keys(b)])) changedPaths(a[key], b[key], path === '' ? key : `${path}.${key}`, out);
    return out;
  }
  out.add(path === '' ? '(body)' : path);
  return out;
}

/** Ids of the items a listing answer holds (top-level array, or the largest array within). */
function listedIds(json: Json | string | undefined, param: string): string[] {
  const arrays: Json[][] = [];
  const walk = (node: Json | undefined, depth: number): void => {
    if (depth > 3 || node === null || typeof node !== 'object') return;
    if (Array.isArray(node)) arrays.push(node);
    else for (const v of Object.values(node)) walk(v, depth + 1);
  };
  if (typeof json !== 'string') walk(json, 0);
  const list = arrays.sort((a, b) => b.length - a.length)[0] ?? [];
  const out: string[] = [];
  for (const item of list) {
    if (!isObject(item)) continue;
    const id = item[param] ?? item.id;
    if ((typeof id === 'string' || typeof id === 'number') && !out.includes(String(id))) out.push(String(id));
  }
  return out;
}

const OWNER_KEY = /^(?:id|(?:owner|user|account|member|author|created_?by)_?id|owner|user)$/i;

/** Is an item the account itself, or one of its own (its name in any value, its id under an owner key)? */
function belongsTo(item: Json, account: { username: string; id?: string }, depth = 0): boolean {
  if (depth > 3 || !isObject(item)) return false;
  for (const [key, value] of Object.entries(item)) {
    if (typeof value === 'string' && value.toLowerCase().includes(account.username.toLowerCase())) return true;
    if (account.id !== undefined && (typeof value === 'string' || typeof value === 'number') && OWNER_KEY.test(key) && String(value) === account.id) return true;
    if (isObject(value) && belongsTo(value, account, depth + 1)) return true;
  }
  return false;
}

export class Snapshot {
  readonly #reads: Read[] = [];
  readonly #unchecked: string[] = [];
  #sent = 0;
  readonly #maxReads: number;

  private constructor(maxReads: number) {
    this.#maxReads = maxReads;
  }

  /** Reads everything it can, twice, before any write. */
  static async take(options: {
    spec: ApiSpec | undefined;
    planner: RequestPlanner | undefined;
    target: Target;
    policy: SafetyPolicy;
    identities: readonly AuditIdentity[];
    send: Send;
    /** Requests left in the audit's budget. */
    remaining: number;
  }): Promise<Snapshot> {
    const snapshot = new Snapshot(Math.min(MAX_READS, Math.floor((options.remaining * SNAPSHOT_BUDGET_SHARE) / 3)));
    const { spec, planner, target, policy } = options;
    const viewers: (AuditIdentity | undefined)[] = [undefined, ...options.identities];
    const planned: { label: string; url: URL; viewer: AuditIdentity | undefined }[] = [];
    if (spec === undefined || planner === undefined) {
      for (const viewer of viewers) planned.push({ label: `GET ${target.routeOf(target.root())}`, url: target.root(), viewer });
      snapshot.#unchecked.push('no OpenAPI spec: only the base URL was compared');
    }
    const gets = (spec?.operations ?? []).filter((o) => o.method === 'GET');
    for (const operation of gets) {
      const verdict = policy.callable(operation);
      if (!verdict.send) snapshot.#unchecked.push(`GET ${operation.path}: not read (${verdict.reason})`);
    }
    const readable = gets.filter((o) => policy.callable(o).send);
    const params = (o: Operation): string[] => [...o.path.matchAll(/\{([^}]+)\}/g)].map((m) => m[1]!);
    // Collections first, for every viewer: their answers name the objects the item routes read.
    const first = new Map<string, Json | string | undefined>();
    for (const viewer of viewers) {
      for (const operation of readable.filter((o) => params(o).length === 0)) {
        const url = planner!.plan(operation).url;
        planned.push({ label: `GET ${operation.path}`, url, viewer });
      }
    }
    await snapshot.#readAll(planned, options.send);
    for (const read of snapshot.#reads) first.set(`${read.viewer?.name ?? ''} ${read.label}`, read.body);
    const items: typeof planned = [];
    for (const operation of readable.filter((o) => params(o).length > 0)) {
      const names = params(operation);
      const parent = operation.path.replace(/\/\{[^}]+\}$/, '');
      for (const viewer of viewers) {
        const ids = names.length === 1 && parent !== operation.path ? listedIds(first.get(`${viewer?.name ?? ''} GET ${parent}`), names[0]!).slice(0, IDS_PER_ROUTE) : [];
        // Only objects this viewer's own listing names: a guessed id is a failed lookup, which a
        // target may count as enumeration and answer with 429 for the rest of the audit.
        for (const id of ids) items.push({ label: `GET ${operation.path.replace(`{${names[0]!}}`, id)}`, url: planner!.plan(operation, { values: { [names[0]!]: id } }).url, viewer });
        if (ids.length === 0) snapshot.#unchecked.push(`GET ${operation.path} ${viewerName(viewer)}: no object of this viewer's listed at GET ${parent === operation.path ? '(no parent listing)' : parent}; not read`);
      }
    }
    await snapshot.#readAll(items, options.send);
    return snapshot;
  }

  async #readAll(planned: { label: string; url: URL; viewer: AuditIdentity | undefined }[], send: Send): Promise<void> {
    for (const { label, url, viewer } of planned) {
      const key = `${viewer?.name ?? ''} ${url.href}`;
      if (this.#reads.some((r) => r.key === key)) continue;
      if (this.#reads.length >= this.#maxReads) {
        this.#unchecked.push(`${label} ${viewerName(viewer)} and what follows: not read (the snapshot's share of the request budget, ${this.#maxReads} reads, is used up)`);
        return;
      }
      const request = { method: 'GET', url, purpose: 'snapshot before the audit' };
      const one = await send(request, viewer);
      const a = bodyOf(one);
      this.#sent++;
      // A second read finds the values that move by themselves; a refusal is compared by its status alone.
      const ok = a.status !== undefined && a.status >= 200 && a.status < 300;
      const two = ok ? await send({ ...request, purpose: 'snapshot before the audit (again, for values that move by themselves)' }, viewer) : one;
      if (ok) this.#sent++;
      const b = ok ? bodyOf(two) : a;
      if (a.status === undefined || b.status === undefined) {
        this.#unchecked.push(`${label} ${viewerName(viewer)}: no usable answer (${usable(one) ? (usable(two) ? '' : two.error) : one.error})`);
        continue;
      }
      const volatile = a.status === b.status ? changedPaths(a.body, b.body) : new Set(['(status)']);
      if (volatile.has('(body)') || volatile.has('(status)')) {
        this.#unchecked.push(`${label} ${viewerName(viewer)}: its answer changes by itself between two reads; not compared`);
        continue;
      }
      this.#reads.push({ key, label, url, viewer, status: a.status, ...(a.body === undefined ? {} : { body: a.body }), volatile });
    }
  }

  /** Reads everything again and says what differs; what belongs to `accounts` (left behind on purpose) is listed apart. */
  async compare(send: Send, accounts: readonly { username: string; id?: string }[] = []): Promise<SnapshotComparison> {
    const changes: string[] = [];
    const kept: string[] = [];
    const ours = (item: Json): boolean => accounts.some((account) => belongsTo(item, account));
    const unchecked = [...this.#unchecked];
    let sent = this.#sent;
    for (const read of this.#reads) {
      const now = await send({ method: 'GET', url: read.url, purpose: 'snapshot after the audit' }, read.viewer);
      sent++;
      const after = bodyOf(now);
      if (after.status === undefined) {
        unchecked.push(`${read.label} ${viewerName(read.viewer)}: no usable answer after the audit (${usable(now) ? '' : now.error})`);
        continue;
      }
      const where = `${read.label} ${viewerName(read.viewer)}`;
      if (after.status !== read.status) {
        changes.push(`${where}: answered ${read.status} before the audit, ${after.status} after`);
        continue;
      }
      if (after.status < 200 || after.status >= 300) continue;
      const left: string[] = [];
      const diff = differences(masked(read.body, read.volatile), masked(after.body, read.volatile), '', [], ours, left);
      for (const line of diff) changes.push(`${where}: ${line}`);
      for (const line of left) kept.push(`${where}: ${line}`);
    }
    return { changes, unchecked, kept, reads: sent };
  }

  get size(): number {
    return this.#reads.length;
  }
}
