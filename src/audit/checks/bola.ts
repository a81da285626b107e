// Broken object level authorization (API1): identity A creates an object through the spec's
// create route, writing a canary value only it knows; identity B then reads, updates and deletes
// that object by its id. A flaw is confirmed only by content: B's answer carries A's canary, or
// A's object changed or vanished — never by a status code alone. Objects are only created where
// a delete route exists, and every one is deleted again (by the check or the run's clean-up).
import type { Check, CheckContext } from '../check.ts';
import type { Exchange } from '../finding.ts';
import { usable } from '../http/client.ts';
import type { AuditIdentity } from '../identities/identity.ts';
import { exchange } from '../lib/evidence.ts';
import { canaryBody, carries, createdUrl, families, itemRequest, ok, users } from '../lib/owned.ts';
import type { Family } from '../lib/owned.ts';

const MAX_FAMILIES = 10;

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
    for (const [index, family] of candidates.slice(0, MAX_FAMILIES).entries()) {
      await probeFamily(ctx, family, a, b, `rampart-canary-${ctx.token}-${index}`);
    }
  },
};

async function probeFamily(ctx: CheckContext, family: Family, a: AuditIdentity, b: AuditIdentity, canary: string): Promise<void> {
  const spec = ctx.spec!;
  const planner = ctx.planner!;
  const body = canaryBody(spec, family.create, canary);
  if (body === undefined) {
    ctx.note(`${family.create.method} ${family.create.path}: no free-text field to carry a canary; not tested`);
    return;
  }
  const planned = planner.plan(family.create, { body: JSON.stringify(body), contentType: 'application/json' });
  const created = await ctx.sendAs(a, { method: planned.method, url: planned.url, headers: planned.headers, body: planned.body!, purpose: `create an object as ${a.name}` });
  const outcome = usable(created) ? String(created.response.status) : created.error;
  if (!ok(created)) {
    ctx.note(`${family.create.method} ${family.create.path}: creating an object as ${a.name} answered ${outcome}; not tested`);
    return;
  }
  const place = createdUrl(ctx, family, created);
  if (place === undefined) {
    ctx.note(`${family.create.method} ${family.create.path}: the new object's address is neither in Location nor in the body; it may be left behind`);
    return;
  }
  ctx.created(place.url, a);
  const sequential = /^\d{1,12}$/.test(place.id);
  const factor = sequential ? ` Its id (${place.id}) is a small integer, so ids can be guessed by counting: a contributing factor.` : '';
  const location = (method: string): { method: string; route: string; parameter: string } => ({ method, route: family.item, parameter: family.param });
  const readAs = (who: AuditIdentity, purpose: string): ReturnType<CheckContext['send']> =>
    ctx.sendAs(who, { ...itemRequest(family.read!, place.url), purpose });

  // Read: B's answer carries A's canary.
  if (family.read) {
    const own = await readAs(a, `read own object as ${a.name}`);
    if (!carries(own, canary)) {
      ctx.note(`${family.read.method} ${family.item}: ${a.name} cannot read back its own object with the canary; not tested`);
      return;
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
    if (!ok(before)) return;
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
}
