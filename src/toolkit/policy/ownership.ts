// Object ownership (OWASP API1). On an owned route the toolkit checks the id's form, hands
// the handler the owner to filter by, and makes every way of not getting the resource look
// the same: another owner's id, a missing id and a malformed id are one 404, byte for byte.
// Repeated 404s from one principal are counted: past the threshold it gets 429 and an
// `object_enumeration` event, because walking ids is how BOLA is found.
import type { FastifyReply, FastifyRequest } from 'fastify';
import { genericProblem } from '../errors/handler.ts';
import { HttpProblem } from '../errors/problem.ts';
import type { KeyValueStore } from '../stores/index.ts';
import type { SecurityEventReporter } from './events.ts';
import type { OwnershipRule } from './types.ts';

/** Random ids only: UUID (any version), as clients see them. */
const RESOURCE_ID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;

/** The one answer for "not yours", "not there" and "not an id": the same as an unknown URL. */
export const RESOURCE_NOT_FOUND = genericProblem(404);

export interface EnumerationLimit {
  /** 404s on owned lookups per principal per window before it is refused. */
  limit: number;
  windowSeconds: number;
}

export interface OwnershipHooks {
  onRequest: (request: FastifyRequest, reply: FastifyReply) => Promise<void>;
  onResponse: (request: FastifyRequest, reply: FastifyReply) => Promise<void>;
}

export function createOwnershipHooks(rule: OwnershipRule, route: string, store: KeyValueStore, enumeration: EnumerationLimit, report: SecurityEventReporter): OwnershipHooks {
  const windowMs = enumeration.windowSeconds * 1000;
  const crossOwner = rule.crossOwnerScopes ?? [];
  const idForm = rule.idPattern ?? RESOURCE_ID;
  const who = (request: FastifyRequest): string => request.principal?.id ?? `ip:${request.client.ip}`;

  return {
    onRequest: async (request) => {
      const lockedUntil = await store.get(`enum:lock:${who(request)}`);
      if (lockedUntil !== undefined) {
        const seconds = Math.max(1, Math.ceil((Number(lockedUntil) - Date.now()) / 1000));
        throw new HttpProblem(429, { slug: 'too-many-lookups', title: 'Too many failed lookups', detail: 'Too many requests for resources that do not exist. Retry after the time in Retry-After.', headers: { 'retry-after': String(seconds) } });
      }
      const id = (request.params as Record<string, unknown>)[rule.param];
      if (typeof id !== 'string' || !idForm.test(id)) throw RESOURCE_NOT_FOUND;
      const principal = request.principal!;
      const acrossOwners = crossOwner.some((scope) => principal.scopes.includes(scope));
      request.owner = { resourceId: id, ownerId: acrossOwners ? null : principal.id };
    },

    onResponse: async (request, reply) => {
      if (reply.statusCode !== 404) return;
      const key = who(request);
      const { count, resetInMs } = await store.hit(`enum:${key}`, windowMs);
      if (count !== enumeration.limit) return;
      await store.set(`enum:lock:${key}`, String(Date.now() + resetInMs), Math.max(1, resetInMs));
      report({ type: 'object_enumeration', principalId: request.principal?.id ?? null, clientIp: request.client.ip, detail: { route, failedLookups: count } });
    },
  };
}

/** For a route's `params` schema: the id form owned routes accept. */
export const RESOURCE_ID_PATTERN = RESOURCE_ID.source;
