// SSRF through update routes (part of the ssrf check, issue 20 item 8): a URL field that only a
// PUT or PATCH takes (a project's webhook, a profile's avatar) is probed on an object the audit
// created for the purpose, never on one it found: the first ordinary identity creates it through
// the family's create route, the update puts the canary URL in the field, and the object is
// deleted at the end of the run with everything else the audit made.
import type { AuditIdentity, CheckContext } from '../check.ts';
import type { HttpResult } from '../http/client.ts';
import { usable } from '../http/client.ts';
import { createdUrl, families, itemRequest, ok } from '../lib/owned.ts';
import type { Family } from '../lib/owned.ts';
import { parseJson } from '../lib/links.ts';
import type { Operation } from '../spec/load.ts';
import { deref, isObject } from '../spec/refs.ts';
import type { JsonObject } from '../spec/refs.ts';

/** Update routes probed at most (each costs a create and an update). */
const MAX_FAMILIES = 6;

export interface OwnedCandidate {
  family: Family;
  update: Operation;
  name: string;
}

/** URL-like JSON body fields of the update routes of objects the audit can create. */
export function ownedCandidates(ctx: CheckContext, urlLike: (document: unknown, name: string, schema: unknown) => boolean): OwnedCandidate[] {
  const spec = ctx.spec!;
  const out: OwnedCandidate[] = [];
  for (const family of families(spec)) {
    const update = family.update;
    if (update?.requestBody === undefined || !/json/i.test(update.requestBody.contentType)) continue;
    const schema = deref(spec.document, update.requestBody.schema);
    if (!isObject(schema) || !isObject(schema.properties)) continue;
    const name = Object.entries(schema.properties).find(([field, property]) => urlLike(spec.document, field, property))?.[0];
    if (name !== undefined) out.push({ family, update, name });
  }
  if (out.length > MAX_FAMILIES) ctx.note(`${out.length - MAX_FAMILIES} update route(s) with a URL field after the first ${MAX_FAMILIES} were not probed for SSRF`);
  return out.slice(0, MAX_FAMILIES);
}

function answerOf(result: HttpResult): string {
  return usable(result) ? `answered ${result.response.status}` : result.error;
}

/** Creates an object as `identity`, then updates its URL field to `url`; a string says why it could not. */
export async function sendOwned(ctx: CheckContext, identity: AuditIdentity, candidate: OwnedCandidate, url: string): Promise<HttpResult | string> {
  const { family, update, name } = candidate;
  const planned = ctx.planner!.plan(family.create);
  const made = await ctx.sendAs(identity, { method: 'POST', url: planned.url, headers: planned.headers, ...(planned.body === undefined ? {} : { body: planned.body }), purpose: `create an object to point ${name} at the canary` });
  if (!ok(made)) return `${family.create.method} ${family.create.path} did not create an object as ${identity.name} (${answerOf(made)})`;
  const at = createdUrl(ctx, family, made);
  if (at === undefined) return `${family.create.method} ${family.create.path} created an object at no address the audit could find`;
  ctx.created(at.url, identity);
  // PATCH: the field alone. PUT: the whole object as created, with the field replaced.
  const base = update.method === 'PUT' ? parseJson(planned.body ?? '{}') : {};
  const body: JsonObject = { ...(isObject(base) ? base : {}), [name]: url };
  return ctx.sendAs(identity, { ...itemRequest(update, at.url, body), purpose: `canary URL in ${name} of an object the audit created` });
}
