// Mass assignment (API3, property level): privileged-looking fields the request schema does not
// offer (role, is_admin, verified, balance, …, and fields that answers show but requests do not
// take) are sent in update and create bodies. Proven only by reading the object back with the
// value in it; a changed value is restored at once and the restore is read back too.
import { isDeepStrictEqual } from 'node:util';
import type { Check, CheckContext } from '../check.ts';
import type { Exchange } from '../finding.ts';
import type { HttpResult } from '../http/client.ts';
import { usable } from '../http/client.ts';
import type { AuditIdentity } from '../identities/identity.ts';
import { exchange } from '../lib/evidence.ts';
import { canaryBody, createdUrl, families, objectOf, ok, users } from '../lib/owned.ts';
import type { ApiSpec, Operation } from '../spec/load.ts';
import { parseJson } from '../lib/links.ts';
import { deref, isObject } from '../spec/refs.ts';
import type { Json, JsonObject } from '../spec/refs.ts';

/**
 * Names of fields that grant rights, money or trust. Only ever raised, never lowered: a flag that
 * could disable the identity (active, status) is not on the list, so a probe cannot lock it out.
 */
export const PRIVILEGED =
  /^(?:roles?|is_?admin|admin|is_?staff|is_?superuser|superuser|verified|is_?verified|email_?verified|approved|is_?approved|balance|credits?|permissions|scopes?|plan|tier|groups?|level|quota|discount)$/i;
const IDENTIFIER = /(?:^|_)id$|Id$|^(?:username|login|email|name|created_?at|updated_?at)$/i;
const MAX_TARGETS = 10;

const FIX =
  'Bind request bodies to an explicit input schema that lists only the fields a caller may set (reject unknown fields with 400); never copy a request body onto a stored record.';

export const massAssignmentCheck: Check = {
  id: 'mass-assignment',
  title: 'Mass assignment',
  owasp: 'API3:2023',
  cwe: 915,
  summary: 'Privileged fields (role, is_admin, balance, …) accepted in create/update bodies (proven by read-back, then restored).',
  needs: ['spec', 'identities'],
  rules: [
    { id: 'mass-assignment.update', title: 'A privileged field can be set through an update', severity: 'high', owasp: 'API3:2023', cwe: 915, fix: FIX },
    { id: 'mass-assignment.create', title: 'A privileged field can be set when creating an object', severity: 'high', owasp: 'API3:2023', cwe: 915, fix: FIX },
    { id: 'mass-assignment.registration', title: 'A privileged field can be set when signing up', severity: 'critical', owasp: 'API3:2023', cwe: 915, fix: FIX },
  ],
  async run(ctx: CheckContext): Promise<void> {
    const [a] = users(ctx);
    if (a === undefined) return;
    const spec = ctx.spec!;
    // Update routes of the caller's own resource (e.g. PATCH /me), read back through GET on the same path.
    const selfUpdates = spec.operations.filter(
      // Protected by its own answer or by its read's (a route that parses the body before it asks who calls answers 400 anonymously).
      (o) => (o.method === 'PATCH' || o.method === 'PUT') && !o.path.includes('{') && o.requestBody && /json/i.test(o.requestBody.contentType) && spec.operations.some((g) => g.method === 'GET' && g.path === o.path && (ctx.protection.isProtected(o) || ctx.protection.isProtected(g))),
    );
    await probeRegistration(ctx);
    for (const operation of selfUpdates.slice(0, MAX_TARGETS)) {
      // Privileged fields go to an account the audit registered for the purpose, never to a given identity.
      const own = ctx.accounts === undefined ? undefined : await ctx.accounts.throwaway();
      if (typeof own === 'string') ctx.note(`${operation.method} ${operation.path}: no account of the audit's own to try privileged fields on (${own})`);
      await probeUpdate(ctx, typeof own === 'object' ? own.identity : a, operation, typeof own === 'object');
    }
    for (const family of families(spec).filter((f) => f.remove !== undefined && f.read !== undefined).slice(0, MAX_TARGETS)) {
      await probeCreate(ctx, a, family.create, family);
    }
  },
};

/** Top-level property names the request schema accepts. */
function requestFields(spec: ApiSpec, operation: Operation): Set<string> {
  const schema = deref(spec.document, operation.requestBody?.schema);
  const out = new Set<string>();
  const parts = isObject(schema) && Array.isArray(schema.allOf) ? [schema, ...schema.allOf] : [schema];
  for (const part of parts) {
    const resolved = deref(spec.document, part);
    if (isObject(resolved) && isObject(resolved.properties)) for (const key of Object.keys(resolved.properties)) out.add(key);
  }
  return out;
}

const HIGHER = /admin|owner|super|root|manager|staff|editor|moderator|premium|pro|enterprise|gold|vip/i;

/**
 * A value for `key` different from `current` that would raise privileges and that the target
 * accepts (issue 19 item 4): a string only from the spec's enum for that field or from values the
 * target's own answers hold under that name; a number no higher than a declared maximum.
 * `known`: those accepted values (undefined: none known).
 */
export function raisedValue(key: string, current: Json | undefined, known?: readonly Json[], maximum?: number): Json | undefined {
  if (typeof current === 'boolean') return current ? undefined : true;
  if (typeof current === 'number') {
    const raised = maximum === undefined ? current + 1000 : Math.min(current + 1000, maximum);
    return raised > current ? raised : undefined;
  }
  const strings = (known ?? []).filter((v): v is string => typeof v === 'string');
  const best = (except: readonly string[]): string | undefined => strings.find((v) => HIGHER.test(v) && !except.includes(v));
  if (Array.isArray(current)) {
    const value = best(current.filter((v): v is string => typeof v === 'string'));
    return value === undefined ? undefined : [...current, value];
  }
  if (typeof current === 'string' && /role|group|level|tier|plan/i.test(key)) return best([current]);
  return undefined;
}

/** Values the target accepts for a field: every enum the spec gives a property of that name, else values its answers hold under it. */
export function knownValues(ctx: CheckContext, key: string): Json[] {
  const out = new Set<Json>();
  const walk = (node: Json | undefined, depth: number): void => {
    if (depth > 40 || node === null || typeof node !== 'object') return;
    if (Array.isArray(node)) {
      for (const item of node) walk(item, depth + 1);
      return;
    }
    const properties = node.properties;
    if (isObject(properties)) {
      const property = deref(ctx.spec!.document, properties[key]);
      const items = isObject(property) ? deref(ctx.spec!.document, property.items) : undefined;
      for (const source of [property, items]) if (isObject(source) && Array.isArray(source.enum)) for (const value of source.enum) out.add(value);
    }
    for (const value of Object.values(node)) walk(value, depth + 1);
  };
  walk(ctx.spec?.document, 0);
  if (out.size > 0) return [...out];
  const seen = new Set<string>();
  const collect = (node: Json | undefined, depth: number): void => {
    if (depth > 8 || node === null || typeof node !== 'object') return;
    if (Array.isArray(node)) {
      for (const item of node.slice(0, 200)) collect(item, depth + 1);
      return;
    }
    for (const [name, value] of Object.entries(node)) {
      if (name === key && typeof value === 'string') seen.add(value);
      else if (name === key && Array.isArray(value)) for (const v of value) if (typeof v === 'string') seen.add(v);
      else collect(value, depth + 1);
    }
  };
  for (const answer of ctx.answers) {
    const status = answer.result.response.status;
    if (status >= 200 && status < 300 && /json/i.test(answer.result.response.headers['content-type'] ?? '')) collect(parseJson(answer.result.response.text), 0);
  }
  return [...seen];
}

/** A declared maximum for a numeric field of that name, anywhere in the spec. */
function declaredMaximum(ctx: CheckContext, key: string): number | undefined {
  let found: number | undefined;
  const walk = (node: Json | undefined, depth: number): void => {
    if (found !== undefined || depth > 40 || node === null || typeof node !== 'object') return;
    if (Array.isArray(node)) return node.forEach((item) => walk(item, depth + 1));
    if (isObject(node.properties)) {
      const property = deref(ctx.spec!.document, node.properties[key]);
      if (isObject(property) && typeof property.maximum === 'number') found = property.maximum;
    }
    for (const value of Object.values(node)) walk(value, depth + 1);
  };
  walk(ctx.spec?.document, 0);
  return found;
}

/** Fields to try: shown by the answer, not offered by the request schema, named like privileges, with a value the target accepts. */
function candidates(ctx: CheckContext, current: JsonObject, accepted: Set<string>, others: readonly JsonObject[]): JsonObject {
  const out: JsonObject = {};
  for (const [key, value] of Object.entries(current)) {
    if (accepted.has(key) || IDENTIFIER.test(key) || !PRIVILEGED.test(key)) continue;
    const seen = others.map((o) => o[key]).filter((v): v is Json => v !== undefined).flatMap((v) => (Array.isArray(v) ? v : [v]));
    const raised = raisedValue(key, value, [...knownValues(ctx, key), ...seen], declaredMaximum(ctx, key));
    if (raised !== undefined) out[key] = raised;
    else if (typeof value === 'string' || Array.isArray(value)) ctx.note(`${key}: no higher value the target is known to accept (no enum in the spec, none seen in its answers); not sent`);
  }
  return out;
}

function landed(sent: JsonObject, before: JsonObject | undefined, after: JsonObject): string[] {
  return Object.keys(sent).filter((key) => isDeepStrictEqual(after[key], sent[key]) && !isDeepStrictEqual(before?.[key], sent[key]));
}

async function probeUpdate(ctx: CheckContext, who: AuditIdentity, operation: Operation, ownAccount: boolean): Promise<void> {
  const spec = ctx.spec!;
  // Privileged fields only on an account the audit made for the purpose, never a given identity (unless --unsafe names the route).
  const allowed = ctx.safety.callable(operation, { identity: true, ownAccount });
  if (!allowed.send) {
    ctx.note(`${operation.method} ${operation.path}: privileged fields not tried on ${who.name}, an identity the audit was given (${allowed.reason}${ctx.accounts === undefined ? '; the target has no sign-up the audit could make an account of its own with' : ''})`);
    return;
  }
  const url = ctx.target.url(operation.path);
  const read = (purpose: string): Promise<HttpResult> => ctx.sendAs(who, { method: 'GET', url, purpose });
  const first = await read(`${operation.path} as ${who.name} before`);
  const before = objectOf(first);
  if (before === undefined) return;
  const accepted = requestFields(spec, operation);
  // What the other identities read at the same path: values the target itself holds for these fields.
  const others: JsonObject[] = [];
  for (const other of ctx.identities.filter((i) => i !== who)) {
    const theirs = objectOf(await ctx.sendAs(other, { method: 'GET', url, purpose: `${operation.path} as ${other.name}: values the target holds` }));
    if (theirs !== undefined) others.push(theirs);
  }
  const extra = candidates(ctx, before, accepted, others);
  if (Object.keys(extra).length === 0) return;
  const bodyOf = (fields: JsonObject): JsonObject => {
    if (operation.method === 'PATCH') return fields;
    // PUT replaces: keep every writable field as it is.
    const keep: JsonObject = {};
    for (const key of accepted) if (before[key] !== undefined) keep[key] = before[key];
    return { ...keep, ...fields };
  };
  const write = (fields: JsonObject, purpose: string): Promise<HttpResult> =>
    ctx.sendAs(who, { method: operation.method, url, headers: { 'content-type': 'application/json' }, body: JSON.stringify(bodyOf(fields)), purpose });
  const attempt = await write(extra, `send privileged fields ${Object.keys(extra).join(', ')}`);
  const check = await read('read back');
  const after = objectOf(check);
  if (after === undefined) {
    // The write may have broken the object: put every field back at once, verify, and say so loudly.
    if (!usable(attempt) || attempt.response.status >= 300) return;
    const original: JsonObject = {};
    for (const key of Object.keys(extra)) original[key] = before[key] ?? null;
    await write(original, `restore ${Object.keys(original).join(', ')} (the read-back failed)`);
    const verify = objectOf(await read('verify the restore after a failed read-back'));
    const back = verify !== undefined && Object.keys(original).every((key) => isDeepStrictEqual(verify[key], before[key]));
    const answered = usable(check) ? `answered ${check.response.status}` : check.error;
    ctx.note(
      back
        ? `RESTORED: ${operation.method} ${operation.path} as ${who.name} accepted ${JSON.stringify(extra)} (${attempt.response.status}), then the read-back of ${url.href} ${answered}; the original values were written back and verified`
        : `RESTORE FAILED: ${operation.method} ${operation.path} as ${who.name} accepted ${JSON.stringify(extra)} (${attempt.response.status}), then the read-back of ${url.href} ${answered}, and the restore could not be verified: set ${JSON.stringify(original)} back by hand`,
    );
    return;
  }
  const changed = landed(extra, before, after);
  if (changed.length === 0) return;

  // Restore at once, and verify.
  const original: JsonObject = {};
  for (const key of changed) original[key] = before[key] ?? null;
  const restore = await write(original, `restore ${changed.join(', ')}`);
  let verify = await read('verify the restore');
  let restored = objectOf(verify);
  if (restored === undefined || changed.some((key) => !isDeepStrictEqual(restored![key], before[key]))) {
    await write(original, 'restore again');
    verify = await read('verify the restore again');
    restored = objectOf(verify);
  }
  const back = restored !== undefined && changed.every((key) => isDeepStrictEqual(restored[key], before[key]));
  if (!back) ctx.note(`RESTORE FAILED: ${operation.method} ${operation.path} as ${who.name}: ${changed.join(', ')} could not be set back to ${JSON.stringify(original)}; fix it by hand`);
  const shown = changed.map((key) => `${key}: ${JSON.stringify(before[key])} → ${JSON.stringify(after[key])}`).join(', ');
  const exchanges: Exchange[] = [
    exchange('before', first),
    exchange(`${who.name} sends the fields`, attempt),
    exchange('read back', check, changed[0]),
    exchange(back ? 'restored and verified' : 'restore could not be verified', usable(verify) ? verify : restore),
  ];
  ctx.report({
    rule: 'mass-assignment.update',
    confidence: 'confirmed',
    location: { method: operation.method, route: operation.path, parameter: changed[0]! },
    evidence: {
      summary: `${operation.method} ${operation.path} does not offer ${changed.join(', ')}, yet sending ${changed.length === 1 ? 'it' : 'them'} changed the stored value (${shown}), as the read-back shows. ${back ? 'The original value was restored and read back.' : 'The original value could NOT be restored.'}`,
      exchanges,
    },
  });
}

async function probeCreate(ctx: CheckContext, who: AuditIdentity, create: Operation, family: { item: string; param: string; read?: Operation; remove?: Operation; update?: Operation; create: Operation }): Promise<void> {
  const spec = ctx.spec!;
  const accepted = requestFields(spec, create);
  // What the created object shows: from the spec's 2xx response schema, since nothing exists yet.
  const extra = freshExtras(ctx, responseFields(spec, create), accepted);
  if (Object.keys(extra).length === 0) return;
  const canary = `rampart-canary-${ctx.token}-ma`;
  const body = canaryBody(spec, create, canary);
  if (body === undefined) return;
  const planned = ctx.planner!.plan(create, { body: JSON.stringify({ ...body, ...extra }), contentType: 'application/json' });
  const made = await ctx.sendAs(who, { method: 'POST', url: planned.url, headers: planned.headers, body: planned.body!, purpose: `create with ${Object.keys(extra).join(', ')}` });
  if (!ok(made)) return;
  const place = createdUrl(ctx, family, made);
  if (place === undefined) return;
  ctx.created(place.url, who);
  const check = await ctx.sendAs(who, { method: 'GET', url: place.url, purpose: 'read back the created object' });
  const after = objectOf(check);
  if (after === undefined) return;
  const changed = landed(extra, undefined, after);
  if (changed.length === 0) return;
  ctx.report({
    rule: 'mass-assignment.create',
    confidence: 'confirmed',
    location: { method: create.method, route: create.path, parameter: changed[0]! },
    evidence: {
      summary: `${create.method} ${create.path} does not offer ${changed.join(', ')}, yet the object created with ${changed.map((k) => `${k}=${JSON.stringify(extra[k])}`).join(', ')} reads back with ${changed.length === 1 ? 'that value' : 'those values'}. The object is deleted at the end of the audit.`,
      exchanges: [exchange(`${who.name} creates the object`, made), exchange('read back', check, changed[0])],
    },
  });
}

/** Privileged fields a new object shows but its request does not offer, each with a raised value the target accepts. */
function freshExtras(ctx: CheckContext, shown: Map<string, string | undefined>, accepted: Set<string>): JsonObject {
  const extra: JsonObject = {};
  for (const [key, type] of shown) {
    if (accepted.has(key) || IDENTIFIER.test(key) || !PRIVILEGED.test(key)) continue;
    const empty = type === 'boolean' ? false : type === 'integer' || type === 'number' ? 0 : type === 'array' ? [] : type === 'string' ? '' : undefined;
    const value = empty === undefined ? undefined : raisedValue(key, empty, knownValues(ctx, key), declaredMaximum(ctx, key));
    if (value !== undefined) extra[key] = type === 'integer' || type === 'number' ? Math.min(1_000_000, declaredMaximum(ctx, key) ?? 1_000_000) : value;
  }
  return extra;
}

/**
 * The sign-up (issue 19 item 4): a new account of the audit's own is registered with the
 * privileged fields the account shows (the sign-up's answer, the caller's own profile) but the
 * sign-up does not offer, with values the target accepts; it logs in and reads its own profile.
 * Never tried on an existing account. If nothing landed, the account is the checks' throwaway.
 */
async function probeRegistration(ctx: CheckContext): Promise<void> {
  const accounts = ctx.accounts;
  if (accounts === undefined) return;
  const spec = ctx.spec!;
  const signUp = accounts.registration.operation;
  const selfReads = spec.operations.filter((o) => o.method === 'GET' && !o.path.includes('{') && ctx.safety.callable(o).send && ctx.protection.isProtected(o));
  const shown = responseFields(spec, signUp);
  for (const read of selfReads) for (const [key, type] of responseFields(spec, read)) if (!shown.has(key)) shown.set(key, type);
  const extra = freshExtras(ctx, shown, requestFields(spec, signUp));
  const keys = Object.keys(extra);
  if (keys.length === 0) return;
  const made = await accounts.register(`to try ${keys.join(', ')} at sign-up`, extra);
  if (typeof made === 'string') {
    ctx.note(`${signUp.method} ${signUp.path}: ${keys.join(', ')} not tried at sign-up: ${made}`);
    return;
  }
  for (const read of selfReads) {
    const check = await ctx.sendAs(made.identity, { method: 'GET', url: ctx.target.url(read.path), purpose: `read back the new account ${made.username}` });
    const after = objectOf(check);
    if (after === undefined) {
      if (usable(check) && check.response.status >= 500) {
        ctx.note(`ACCOUNT BROKEN: ${made.username}, registered by the audit with ${JSON.stringify(extra)}, answers ${check.response.status} at GET ${read.path}; remove it by hand`);
        return;
      }
      continue;
    }
    if (!keys.some((key) => key in after)) continue;
    const changed = landed(extra, undefined, after);
    if (changed.length === 0) {
      accounts.adopt(made);
      return;
    }
    ctx.report({
      rule: 'mass-assignment.registration',
      confidence: 'confirmed',
      location: { method: signUp.method, route: signUp.path, parameter: changed[0]! },
      evidence: {
        summary: `${signUp.method} ${signUp.path} does not offer ${changed.join(', ')}, yet the account the audit registered with ${changed.map((k) => `${k}=${JSON.stringify(extra[k])}`).join(', ')} reads its own profile at GET ${read.path} with ${changed.length === 1 ? 'that value' : 'those values'}: anyone can sign up with raised privileges. The account is the audit's own (${made.username}); the report says whether it could be deleted.`,
        exchanges: [exchange(`sign up as ${made.username} with ${changed.join(', ')}`, made.answer), exchange(`${made.username} reads its own profile`, check, changed[0])],
      },
    });
    return;
  }
}

function responseFields(spec: ApiSpec, operation: Operation): Map<string, string | undefined> {
  const out = new Map<string, string | undefined>();
  const paths = spec.document.paths;
  const item = isObject(paths) ? deref(spec.document, paths[operation.path]) : undefined;
  const raw = isObject(item) ? deref(spec.document, item[operation.method.toLowerCase()]) : undefined;
  const responses = isObject(raw) && isObject(raw.responses) ? raw.responses : {};
  for (const [status, response] of Object.entries(responses)) {
    if (!/^2/.test(status)) continue;
    const resolved = deref(spec.document, response);
    const content = isObject(resolved) && isObject(resolved.content) ? resolved.content : {};
    for (const media of Object.values(content)) {
      const schema = isObject(media) ? deref(spec.document, media.schema) : undefined;
      const parts = isObject(schema) && Array.isArray(schema.allOf) ? [schema, ...schema.allOf] : [schema];
      for (const part of parts) {
        const p = deref(spec.document, part);
        if (!isObject(p) || !isObject(p.properties)) continue;
        for (const [key, value] of Object.entries(p.properties)) {
          const property = deref(spec.document, value);
          out.set(key, isObject(property) && typeof property.type === 'string' ? property.type : undefined);
        }
      }
    }
  }
  return out;
}
