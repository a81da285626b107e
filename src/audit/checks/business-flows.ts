// Sensitive business flows (API6): a write on a money-like or quota-like resource (payments,
// transfers, orders, vouchers...) that can be repeated by a script: the same request with the
// same Idempotency-Key makes a second object, and a short burst is never slowed. Safety: only as
// the auditor's own identity, only where the spec has a DELETE for what it creates; everything
// created is registered, deleted by the check and verified gone.
import type { Check, CheckContext } from '../check.ts';
import type { HttpRequestSpec, HttpResult, UsableResult } from '../http/client.ts';
import { usable } from '../http/client.ts';
import type { AuditIdentity } from '../identities/identity.ts';
import { createdUrl } from '../lib/created.ts';
import { exchange } from '../lib/evidence.ts';
import type { Operation } from '../spec/load.ts';
import { deref, isObject } from '../spec/refs.ts';

export const FLOW_BURST = 6;
const MAX_FLOWS = 3;
/** Words (singular) that name money or a quota; a path, operationId or summary made of them is sensitive. */
const SENSITIVE = new Set(['pay', 'payment', 'payout', 'transfer', 'withdraw', 'withdrawal', 'deposit', 'checkout', 'purchase', 'order', 'refund', 'redeem', 'redemption', 'coupon', 'voucher', 'giftcard', 'credit', 'charge', 'invoice', 'booking', 'reservation', 'ticket', 'vote', 'invite', 'invitation', 'quota', 'subscription', 'topup', 'balance', 'wallet', 'money', 'point', 'reward']);
const MONEY_FIELD = /^(?:amount|price|total|quantity|qty|value|credits?|points|seats)$/i;
const RATE_HEADER = /^(?:x-)?rate-?limit|^retry-after$/i;

interface Flow {
  operation: Operation;
  remover: Operation;
}

export const businessFlowsCheck: Check = {
  id: 'business-flows',
  title: 'Sensitive business flows',
  owasp: 'API6:2023',
  cwe: 799,
  summary: 'A money- or quota-like write that neither honours an Idempotency-Key nor limits a burst (as the auditor\'s identity, on its own objects, deleted after).',
  needs: ['spec', 'identities'],
  exclusive: true,
  rules: [
    {
      id: 'business-flows.unprotected-flow',
      title: 'A sensitive flow can be repeated without limit',
      severity: 'medium',
      owasp: 'API6:2023',
      cwe: 799,
      fix: 'Make the flow idempotent (honour an Idempotency-Key: the same key returns the first result) and limit it per account and per client (429 with Retry-After); add step-up checks or review for unusual volumes.',
    },
  ],
  async run(ctx: CheckContext): Promise<void> {
    const identity = ctx.identities.find((i) => i.role === 'user');
    if (identity === undefined) return;
    for (const flow of flows(ctx).slice(0, MAX_FLOWS)) {
      if (ctx.remaining < 4 * (FLOW_BURST + 2)) {
        ctx.note(`not enough request budget left to probe ${flow.operation.method} ${flow.operation.path}`);
        break;
      }
      await probe(ctx, identity, flow);
    }
  },
};

/** `createGiftCard /v1/top-ups` → create, gift, card, giftcard, top, ups, topup... (camel, kebab, snake, pairs joined). */
export function words(text: string): string[] {
  const parts = text.split(/[^A-Za-z]+|(?<=[a-z])(?=[A-Z])/).filter(Boolean).map((w) => w.toLowerCase());
  const joined = parts.slice(1).map((w, i) => `${parts[i]!}${w}`);
  return [...parts, ...joined].map((w) => w.replace(/(?:ies)$/, 'y').replace(/(?<=[^s])s$/, ''));
}

function moneyLike(ctx: CheckContext, operation: Operation): boolean {
  if (words(`${operation.path} ${operation.operationId ?? ''} ${operation.summary ?? ''}`).some((w) => SENSITIVE.has(w))) return true;
  const schema = deref(ctx.spec!.document, operation.requestBody?.schema);
  return isObject(schema) && isObject(schema.properties) && Object.keys(schema.properties).some((name) => MONEY_FIELD.test(name));
}

/** Authenticated JSON POSTs on sensitive resources whose creations the spec lets us delete. */
function flows(ctx: CheckContext): Flow[] {
  const operations = ctx.spec!.operations;
  const out: Flow[] = [];
  for (const operation of operations) {
    if (operation.method !== 'POST' || !ctx.protection.isProtected(operation) || operation.requestBody === undefined || !/json/i.test(operation.requestBody.contentType)) continue;
    if (!moneyLike(ctx, operation)) continue;
    const remover = operations.find((o) => o.method === 'DELETE' && new RegExp(`^${escape(operation.path)}/\\{[^}/]+\\}$`).test(o.path));
    if (remover === undefined) {
      ctx.note(`POST ${operation.path}: no DELETE for what it creates, so it is not probed (the audit would leave objects behind)`);
      continue;
    }
    out.push({ operation, remover });
  }
  return out;
}

function escape(text: string): string {
  return text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
}

function limited(result: HttpResult): boolean {
  if (result.outcome === 'throttled') return true;
  return usable(result) && (result.response.status === 429 || Object.keys(result.response.headers).some((name) => RATE_HEADER.test(name)));
}

async function probe(ctx: CheckContext, identity: AuditIdentity, flow: Flow): Promise<void> {
  const planned = ctx.planner!.plan(flow.operation);
  if (planned.body === undefined) return;
  const created: URL[] = [];
  const request = (key: string, purpose: string): HttpRequestSpec => ({
    method: 'POST',
    url: planned.url,
    headers: { ...planned.headers, 'idempotency-key': key },
    body: planned.body!,
    purpose,
    onThrottle: 'observe',
  });
  const record = (result: HttpResult): UsableResult | undefined => {
    if (!usable(result) || result.response.status < 200 || result.response.status >= 300) return undefined;
    const url = createdUrl(planned.url, result);
    if (url !== undefined && !created.some((u) => u.href === url.href)) {
      created.push(url);
      ctx.created(url, identity);
    }
    return result;
  };
  try {
    const key = `rampart-probe-${ctx.token}-once`;
    const first = record(await ctx.sendAs(identity, request(key, 'sensitive flow: first request')));
    if (first === undefined) return;
    const replay = await ctx.sendAs(identity, request(key, 'sensitive flow: the same request, same Idempotency-Key'));
    if (limited(replay)) return;
    const second = record(replay);
    // The replay returned the first object, or was refused: idempotency holds.
    if (second === undefined || created.length < 2) return;
    let last: UsableResult = second;
    for (let i = 1; i <= FLOW_BURST; i++) {
      // A burst: the safety policy sends it only where --unsafe allows it (bursts go to reads and logins).
      const result = await ctx.sendAs(identity, { ...request(`rampart-probe-${ctx.token}-burst-${i}`, `sensitive flow: burst ${i}/${FLOW_BURST}`), burst: true });
      if (result.outcome === 'skipped' && result.reason === 'unsafe') {
        ctx.note(`POST ${flow.operation.path}: the same Idempotency-Key made two objects, but the burst was not sent (${result.error}); no finding without it`);
        return;
      }
      if (limited(result)) return;
      const ok = record(result);
      if (ok === undefined) return;
      last = ok;
    }
    ctx.report({
      rule: 'business-flows.unprotected-flow',
      confidence: 'confirmed',
      location: { method: 'POST', route: flow.operation.path },
      evidence: {
        summary: `As ${identity.name}: the same request sent twice with the same Idempotency-Key created two objects, and ${FLOW_BURST} more in a burst were all accepted (${last.response.status}) with no 429 and no rate-limit headers. Everything created was deleted afterwards.`,
        exchanges: [exchange('first request', first), exchange('same request, same Idempotency-Key: a second object', second), exchange(`burst request ${FLOW_BURST}`, last)],
      },
    });
  } finally {
    await removeAll(ctx, identity, flow, created);
  }
}

async function removeAll(ctx: CheckContext, identity: AuditIdentity, flow: Flow, created: URL[]): Promise<void> {
  for (const url of created) {
    await ctx.sendAs(identity, { method: flow.remover.method, url, purpose: 'delete what the probe created' });
    const gone = await ctx.sendAs(identity, { method: 'GET', url, purpose: 'verify it is gone' });
    if (usable(gone) && (gone.response.status === 404 || gone.response.status === 410)) ctx.removed(url);
  }
}
