// How a route declares who may call it. Every route must say; there is no default.
import type { Principal } from './principal.ts';
import type { ClientInfo } from '../server/proxy.ts';
import type { RouteInfo } from './inventory.ts';
import type { Drain } from '../server/drain.ts';
import type { FaultMonitor } from '../faults/monitor.ts';
import type { Readiness } from '../faults/readiness.ts';

export interface RateLimitRule {
  /** Names the policy in `RateLimit-Policy`, and keys its counters apart from others. */
  name: string;
  limit: number;
  windowSeconds: number;
  /**
   * Count in this process only, never in the shared store: for liveness, which must touch no
   * dependency (a Redis outage must not fail it).
   */
  local?: boolean;
}

/** Lifecycle (OWASP API9): a deprecated route says so, and answers 410 after its sunset. */
export interface Deprecation {
  /** When the route was deprecated (ISO 8601); sent as RFC 9745 `Deprecation`. */
  since: string;
  /** When it stops answering (ISO 8601); sent as RFC 8594 `Sunset`, then 410 Gone. */
  sunset: string;
  /** Where to read about the replacement; sent as `Link: <…>; rel="deprecation"`. */
  link?: string;
}

interface PolicyCommon {
  /** This route's own limit instead of the server default. */
  rateLimit?: RateLimitRule;
  deprecated?: Deprecation;
}

/**
 * The route reads or writes a resource owned by a principal. The path parameter is the
 * resource id; handlers filter by `request.owner.ownerId` in the query itself, and another
 * owner's id, a missing id and a malformed id all answer the same 404.
 */
export interface OwnershipRule {
  /** The path parameter holding the resource id. */
  param: string;
  /** Scopes that may act on any owner's resource on this route; omit so nobody can. */
  crossOwnerScopes?: readonly string[];
  /** The form of a well-formed id (anchored); UUIDs when omitted. Anything else is a 404. */
  idPattern?: RegExp;
}

export interface PublicPolicy extends PolicyCommon {
  public: true;
}

export interface AuthenticatedPolicy extends PolicyCommon {
  /** Scopes the principal must hold, all of them; `[]` means any authenticated caller. */
  scopes: readonly string[];
  owner?: OwnershipRule;
}

/** What an owned route's handler filters by. */
export interface OwnerScope {
  /** The resource id from the path (already checked to be well formed). */
  resourceId: string;
  /** Filter by this owner; null only when the principal holds a cross-owner scope here. */
  ownerId: string | null;
}

export type RoutePolicy = PublicPolicy | AuthenticatedPolicy;

export function isPublicPolicy(policy: RoutePolicy): policy is PublicPolicy {
  return 'public' in policy && policy.public;
}

declare module 'fastify' {
  interface RouteShorthandOptions {
    policy?: RoutePolicy;
  }
  interface FastifyInstance {
    /** Every declared route with its policy: the API inventory. */
    routeInventory(): RouteInfo[];
    /** Graceful shutdown: `drain.draining` turns readiness 503; listen()'s shutdown() drives it. */
    drain: Drain;
    /** Outages of the server's dependencies: logged once each, probed until they recover. */
    faults: FaultMonitor;
    /** Probes every dependency (within about a second) and says whether to send traffic here. */
    readiness(): Promise<Readiness>;
  }
  interface FastifyRequest {
    /** Set by authentication; null on public routes and unauthenticated requests. */
    principal: Principal | null;
    /** Client address and scheme through the trusted-proxy model. */
    client: ClientInfo;
    /** On owned routes: the resource id and the owner to filter by; null elsewhere. */
    owner: OwnerScope | null;
  }
}
