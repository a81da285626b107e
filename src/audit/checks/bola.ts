// Broken object level authorization (API1): identity A creates an object through the spec's
// create route, writing a canary value only it knows; identity B then reads, updates and deletes
// that object by its id. A flaw is confirmed only by content: B's answer carries A's canary, or
// A's object changed or vanished — never by a status code alone. Objects are only created where
// a delete route exists, and every one is deleted again (by the check or the run's clean-up).
// Where nothing can be created, A's existing objects are found through an authenticated listing
// and only read: B's answer must carry a value of A's object that neither B's own listing nor an
// anonymous request shows (so shared or public objects are never reported).
import type { Check, CheckContext } from '../check.ts';
import type { Exchange } from '../finding.ts';
import { usable } from '../http/client.ts';
import type { HttpResult, UsableResult } from '../http/client.ts';
import type { AuditIdentity } from '../identities/identity.ts';
import { exchange } from '../lib/evidence.ts';
import { distinctiveValues, holdsValue, idOf, listedFamilies, listedObjects } from '../lib/found.ts';
import type { Listed } from '../lib/found.ts';
import { parseJson } from '../lib/links.ts';
import { canaryBody, carries, createdUrl, families, itemRequest, ok, users } from '../lib/owned.ts';
import type { Family } from '../lib/owned.ts';

const MAX_FAMILIES = 10;
/** Objects of A's listing tried per route: one proof is enough, a few guard against an odd first one. */
const MAX_FOUND = 3;

const FIX =
  'Look objects up with the caller in the query (WHERE id = ? AND owner_id = ?) and answer 404 for another owner\'s id exactly as for a missing one; prefer random ids (UUIDs) to sequential ones.';

export const bolaCheck: Check = {
  id: 'bola',
  title: 'Object level authorization',
  owasp: 'API1:2023',
  cwe: 639,
  summary: "Identity B reads, changes or deletes identity A's object by its id (proven by A's canary value).",
  needs: ['spec', 'identities'],
  rules: [
    { id: 'bola.read', title: "Another user's object can be read by its id", severity: 'high', owasp: 'API1:2023', cwe: 639, fix: FIX },
    { id: 'bola.update', title: "Another user's object can be changed by its id", severity: 'critical', owasp: 'API1:2023', cwe: 639, fix: FIX },
    { id: 'bola.delete', title: "Another user's object can be deleted by its id", severity: 'critical', owasp: 'API1:2023', cwe: 639, fix: FIX },
  ],
  async run(ctx: CheckContext): Promise<void> {
    const [a, b] = users(ctx);
    if (a === undefined || b === undefined) return;
    // Only where the object can be read back (the proof) and deleted again (the clean-up).
    const candidates = families(ctx.spec!).filter((f) => f.remove !== undefined && f.read !== undefined);
    if (candidates.length === 0) ctx.note('no create route with matching read and delete routes in the spec: no object was created to test');
    const tested = new Set<string>();
    for (const [index, family] of candidates.slice(0, MAX_FAMILIES).entries()) {
      if (await probeFamily(ctx, family, a, b, `rampart-canary-${ctx.token}-${index}`)) tested.add(family.item);
    }
    // The canary proof is the stronger one: find objects only where no created object was read.
    for (const listed of listedFamilies(ctx.spec!, (o) => ctx.protection.isProtected(o)).filter((l) => !tested.has(l.read.path)).slice(0, MAX_FAMILIES)) {
      await probeFound(ctx, listed, a, b);
    }
  },
};

/** Creates A's object and probes it; true when B's read of it was tried. */
async function probeFamily(ctx: CheckContext, family: Family, a: AuditIdentity, b: AuditIdentity, canary: string): Promise<boolean> {
  const spec = ctx.spec!;
  const planner = ctx.planner!;
  const body = canaryBody(spec, family.create, canary);
  if (body === undefined) {
    ctx.note(`${family.create.method} ${family.create.path}: no free-text field to carry a canary; not tested`);
    return false;
  }
  const planned = planner.plan(family.create, { body: JSON.stringify(body), contentType: 'application/json' });
  const created = await ctx.sendAs(a, { method: planned.method, url: planned.url, headers: planned.headers, body: planned.body!, purpose: `create an object as ${a.name}` });
  const outcome = usable(created) ? String(created.response.status) : created.error;
  if (!ok(created)) {
    ctx.note(`${family.create.method} ${family.create.path}: creating an object as ${a.name} answered ${outcome}; not tested`);
    return false;
  }
  const place = createdUrl(ctx, family, created);
  if (place === undefined) {
    ctx.note(`${family.create.method} ${family.create.path}: the new object's address is neither in Location nor in the body; it may be left behind`);
    return false;
  }
  ctx.created(place.url, a);
  const factor = idFactor(place.id);
  const location = (method: string): { method: string; route: string; parameter: string } => ({ method, route: family.item, parameter: family.param });
  const readAs = (who: AuditIdentity, purpose: string): ReturnType<CheckContext['send']> =>
    ctx.sendAs(who, { ...itemRequest(family.read!, place.url), purpose });

  // Read: B's answer carries A's canary.
  if (family.read) {
    const own = await readAs(a, `read own object as ${a.name}`);
    if (!carries(own, canary)) {
      ctx.note(`${family.read.method} ${family.item}: ${a.name} cannot read back its own object with the canary; not tested`);
      return false;
    }
    const other = await readAs(b, `read ${a.name}'s object as ${b.name}`);
    if (ok(other) && carries(other, canary)) {
      ctx.report({
        rule: 'bola.read',
        confidence: 'confirmed',
        location: location('GET'),
        evidence: {
          summary: `${a.name} created an object holding the canary ${canary}; ${b.name} asked for it by its id and got it back, canary included.${factor}`,
          exchanges: [exchange(`${a.name} creates the object`, created, canary), exchange(`${b.name} reads it`, other, canary)],
        },
      });
    }
  }

  // Update: after B's write, A's object holds B's value.
  if (family.update && family.read) {
    const changed = `${canary}-by-${b.name}`.slice(0, 60);
    const update = canaryBody(spec, family.update, changed);
    if (update !== undefined) {
      const attempt = await ctx.sendAs(b, { ...itemRequest(family.update, place.url, update), purpose: `change ${a.name}'s object as ${b.name}` });
      const after = await readAs(a, `did ${b.name}'s change land?`);
      if (carries(after, changed)) {
        ctx.report({
          rule: 'bola.update',
          confidence: 'confirmed',
          location: location(family.update.method),
          evidence: {
            summary: `${b.name} sent ${family.update.method} with the value ${changed} to ${a.name}'s object; ${a.name} then read its object and found that value in it.${factor}`,
            exchanges: [exchange(`${b.name} changes ${a.name}'s object`, attempt), exchange(`${a.name} reads its object`, after, changed)],
          },
        });
      }
    }
  }

  // Delete: after B's DELETE, A's object is gone (it still existed just before).
  if (family.remove && family.read) {
    const before = await readAs(a, 'object still there before the delete probe');
    if (!ok(before)) return true;
    const attempt = await ctx.sendAs(b, { ...itemRequest(family.remove, place.url), purpose: `delete ${a.name}'s object as ${b.name}` });
    const after = await readAs(a, `did ${b.name}'s delete land?`);
    if (usable(after) && (after.response.status === 404 || after.response.status === 410)) {
      ctx.removed(place.url);
      const exchanges: Exchange[] = [exchange(`${a.name} reads its object`, before), exchange(`${b.name} deletes it`, attempt), exchange(`${a.name} reads it again`, after)];
      ctx.report({
        rule: 'bola.delete',
        confidence: 'confirmed',
        location: location('DELETE'),
        evidence: {
          summary: `${a.name}'s object answered ${before.response.status} with its content; after ${b.name} sent DELETE for its id, ${a.name} got ${after.response.status} for it.${factor}`,
          exchanges,
        },
      });
    }
  }
  return true;
}

function outcomeOf(result: HttpResult): string {
  return usable(result) ? String(result.response.status) : result.error;
}

/** Guessable ids make the flaw easy to exploit; reported beside it, never as proof. */
function idFactor(id: string): string {
  return /^\d{1,12}$/.test(id) ? ` Its id (${id}) is a small integer, so ids can be guessed by counting: a contributing factor.` : '';
}

/** Reads objects A already owns (found through its listing) as B; reports the first one B gets. */
async function probeFound(ctx: CheckContext, listed: Listed, a: AuditIdentity, b: AuditIdentity): Promise<void> {
  const { list, read } = listed;
  const listing = (who: AuditIdentity): ReturnType<CheckContext['send']> =>
    ctx.sendAs(who, { ...itemRequest(list, ctx.planner!.plan(list).url), purpose: `list own objects as ${who.name}` });
  const mine = await listing(a);
  if (!ok(mine)) {
    ctx.note(`GET ${list.path}: listing as ${a.name} answered ${outcomeOf(mine)}; ${read.path} not tested`);
    return;
  }
  const ids = listedObjects(parseJson(mine.response.text), list.path).flatMap((o) => idOf(o, listed.param) ?? []);
  if (ids.length === 0) {
    ctx.note(`GET ${list.path}: ${a.name} owns no objects (or none with an id); nothing to test`);
    return;
  }
  const theirs = await listing(b);
  if (!ok(theirs)) {
    ctx.note(`GET ${list.path}: listing as ${b.name} answered ${outcomeOf(theirs)}; ${read.path} not tested`);
    return;
  }
  let compared = false;
  for (const id of ids.slice(0, MAX_FOUND)) {
    const outcome = await probeFoundObject(ctx, listed, id, a, b, theirs);
    if (outcome === 'reported') return;
    compared ||= outcome === 'kept';
  }
  if (!compared) ctx.note(`GET ${read.path}: ${a.name}'s objects could not be read back, or hold no value ${b.name}'s listing lacks; not tested`);
}

/** A's view of one object, then B's: `reported` (B got it), `kept` (B did not), `untested` (no proof possible). */
async function probeFoundObject(ctx: CheckContext, listed: Listed, id: string, a: AuditIdentity, b: AuditIdentity, theirs: UsableResult): Promise<'reported' | 'kept' | 'untested'> {
  const url = ctx.planner!.plan(listed.read, { values: { [listed.param]: id } }).url;
  const own = await ctx.sendAs(a, { ...itemRequest(listed.read, url), purpose: `read own object as ${a.name}` });
  if (!ok(own)) return 'untested';
  // Values B could have for reasons of its own (its objects, shared ones) prove nothing.
  const values = distinctiveValues(parseJson(own.response.text), id).filter((v) => !holdsValue(theirs, v));
  if (values.length === 0) return 'untested';
  const other = await ctx.sendAs(b, { ...itemRequest(listed.read, url), purpose: `read ${a.name}'s object as ${b.name}` });
  const leaked = ok(other) ? values.filter((v) => holdsValue(other, v)) : [];
  if (leaked.length === 0) return 'kept';
  // A public object is readable by anyone: B reading it is no flaw.
  const anonymous = await ctx.send({ ...itemRequest(listed.read, url), purpose: 'read the same object without credentials' });
  const proof = leaked.find((v) => !holdsValue(anonymous, v));
  if (proof === undefined) return 'kept';
  ctx.report({
    rule: 'bola.read',
    confidence: 'confirmed',
    location: { method: 'GET', route: listed.read.path, parameter: listed.param },
    evidence: {
      summary: `${a.name}'s listing of ${listed.list.path} holds the object ${id}, which carries ${JSON.stringify(proof)}; ${b.name} asked for it by its id and got that value back, though ${b.name}'s own listing does not hold it and a request without credentials does not get it.${idFactor(id)}`,
      exchanges: [
        exchange(`${a.name} reads its object`, own, proof),
        exchange(`${b.name} reads it`, other, proof),
        exchange(`${b.name} lists its own objects (control)`, theirs),
        exchange('the same read without credentials (control)', anonymous),
      ],
    },
  });
  return 'reported';
}
