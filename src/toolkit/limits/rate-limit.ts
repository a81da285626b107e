// Per-client fixed-window rate limits with the structured-field headers of
// draft-ietf-httpapi-ratelimit-headers (-11): `RateLimit-Policy: "default";q=100;w=60` and
// `RateLimit: "default";r=57;t=41` on every limited response, 429 + Retry-After past it.
import type { FastifyReply } from 'fastify';
import { isIP } from 'node:net';
import type { HitResult, KeyValueStore } from '../stores/index.ts';
import type { RateLimitRule } from '../policy/types.ts';
import { HttpProblem } from '../errors/problem.ts';

export interface CompiledRateLimit {
  readonly name: string;
  readonly limit: number;
  readonly windowMs: number;
  readonly policyHeader: string;
  readonly keyPrefix: string;
}

export function compileRateLimit(rule: RateLimitRule): CompiledRateLimit {
  if (!/^[a-z][a-z0-9_-]{0,31}$/.test(rule.name)) {
    throw new TypeError(`rate limit name "${rule.name}" must be a lowercase token (a-z, 0-9, _ and -), as it becomes a structured-field string`);
  }
  for (const [field, value] of [['limit', rule.limit], ['windowSeconds', rule.windowSeconds]] as const) {
    if (!Number.isSafeInteger(value) || value < 1) throw new TypeError(`rate limit "${rule.name}": ${field} must be a positive integer`);
  }
  return {
    name: rule.name,
    limit: rule.limit,
    windowMs: rule.windowSeconds * 1000,
    policyHeader: `"${rule.name}";q=${rule.limit};w=${rule.windowSeconds}`,
    keyPrefix: `rl:${rule.name}:`,
  };
}

const TOO_MANY = (retryAfter: number): HttpProblem =>
  new HttpProblem(429, {
    detail: 'Too many requests from this client. Retry after the time in Retry-After.',
    headers: { 'retry-after': String(retryAfter) },
  });

export interface Refusal {
  problem: HttpProblem;
  /** The first refusal in this window: the one worth reporting. */
  first: boolean;
}

/** Counts the request; sets the headers; returns the 429 refusal when over the limit. */
export async function countRequest(store: KeyValueStore, rule: CompiledRateLimit, clientIp: string, reply: FastifyReply): Promise<Refusal | undefined> {
  return settle(await store.hit(rule.keyPrefix + clientKey(clientIp), rule.windowMs), rule, reply);
}

/** `countRequest` without a promise, for stores that can count synchronously. */
export function countRequestSync(hitSync: NonNullable<KeyValueStore['hitSync']>, rule: CompiledRateLimit, clientIp: string, reply: FastifyReply): Refusal | undefined {
  return settle(hitSync(rule.keyPrefix + clientKey(clientIp), rule.windowMs), rule, reply);
}

function settle({ count, resetInMs }: HitResult, rule: CompiledRateLimit, reply: FastifyReply): Refusal | undefined {
  const secondsLeft = Math.max(1, Math.ceil(resetInMs / 1000));
  reply.header('ratelimit-policy', rule.policyHeader);
  reply.header('ratelimit', `"${rule.name}";r=${Math.max(0, rule.limit - count)};t=${secondsLeft}`);
  return count > rule.limit ? { problem: TOO_MANY(secondsLeft), first: count === rule.limit + 1 } : undefined;
}

/**
 * One IPv6 subscriber usually holds a whole /64, so counting single IPv6 addresses would let
 * one client rotate through 2^64 of them. IPv4 addresses count one by one.
 */
export function clientKey(ip: string): string {
  if (isIP(ip) !== 6) return ip;
  const [head = '', tail] = ip.toLowerCase().split('::');
  const left = head === '' ? [] : head.split(':');
  const right = tail === undefined || tail === '' ? [] : tail.split(':');
  const groups = tail === undefined ? left : [...left, ...Array<string>(8 - left.length - right.length).fill('0'), ...right];
  return `${groups.slice(0, 4).map((g) => g.replace(/^0+(?=.)/, '')).join(':')}::/64`;
}
