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
import { requiresAuth } from '../spec/load.ts';
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
  ],
  async run(ctx: CheckContext): Promise<void> {
    const [a] = users(ctx);
    if (a === undefined) return;
    const spec = ctx.spec!;
    // Update routes of the caller's own resource (e.g. PATCH /me), read back through GET on the same path.
    const selfUpdates = spec.operations.filter(
      (o) => (o.method === 'PATCH' || o.method === 'PUT') && !o.path.includes('{') && o.requestBody && /json/i.test(o.requestBody.contentType) && requiresAuth(o) && spec.operations.some((g) => g.method === 'GET' && g.path === o.path),
    );
    for (const operation of selfUpdates.slice(0, MAX_TARGETS)) await probeUpdate(ctx, a, operation);
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

/** A value for `key` different from `current` that would raise privileges. */
export function raisedValue(key: string, current: Json | undefined): Json | undefined {
  if (typeof current === 'boolean') return current ? undefined : true;
  if (typeof current === 'number') return current + 1000;
  if (Array.isArray(current)) return current.includes('admin') ? undefined : [...current, 'admin'];
  if (typeof current === 'string' && /role|group|level|tier|plan/i.test(key)) return current === 'admin' ? undefined : 'admin';
  return undefined;
}

/** Fields to try: shown by the answer, not offered by the request schema, named like privileges. */
function candidates(current: JsonObject, accepted: Set<string>): JsonObject {
  const out: JsonObject = {};
  for (const [key, value] of Object.entries(current)) {
    if (accepted.has(key) || IDENTIFIER.test(key) || !PRIVILEGED.test(key)) continue;
    const raised = raisedValue(key, value);
    if (raised !== undefined) out[key] = raised;
  }
  return out;
}

function landed(sent: JsonObject, before: JsonObject | undefined, after: JsonObject): string[] {
  return Object.keys(sent).filter((key) => isDeepStrictEqual(after[key], sent[key]) && !isDeepStrictEqual(before?.[key], sent[key]));
}

async function probeUpdate(ctx: CheckContext, who: AuditIdentity, operation: Operation): Promise<void> {
  const spec = ctx.spec!;
  const url = ctx.target.url(operation.path);
  const read = (purpose: string): Promise<HttpResult> => ctx.sendAs(who, { method: 'GET', url, purpose });
  const first = await read(`${operation.path} as ${who.name} before`);
  const before = objectOf(first);
  if (before === undefined) return;
  const accepted = requestFields(spec, operation);
  const extra = candidates(before, accepted);
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
  if (after === undefined) return;
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
  const shown = responseFields(spec, create);
  const extra: JsonObject = {};
  for (const [key, type] of shown) {
    if (accepted.has(key) || IDENTIFIER.test(key) || !PRIVILEGED.test(key)) continue;
    const value = type === 'boolean' ? true : type === 'integer' || type === 'number' ? 1_000_000 : type === 'array' ? ['admin'] : type === 'string' && /role|group|level|tier|plan/i.test(key) ? 'admin' : undefined;
    if (value !== undefined) extra[key] = value;
  }
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
