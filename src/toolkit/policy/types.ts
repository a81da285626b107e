// How a route declares who may call it. Every route must say; there is no default.
import type {
  ContextConfigDefault,
  FastifyBaseLogger,
  FastifyRequest,
  FastifyTypeProvider,
  FastifyTypeProviderDefault,
  RawReplyDefaultExpression,
  RawRequestDefaultExpression,
  RawServerBase,
  RawServerDefault,
  RouteGenericInterface,
} from 'fastify';
import type { FastifyRequestType, ResolveFastifyRequestType } from 'fastify/types/type-provider.js';
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

/**
 * The principal a handler sees: non-null on a route whose policy authenticates. The policy's
 * literal type reaches the request through Fastify's ContextConfig type parameter (see the
 * augmentation below), which is how `scopes: [...]` narrows `request.principal` without a `!`.
 */
export type PrincipalFor<ContextConfig> = ContextConfig extends { readonly scopes: readonly string[] } ? Principal : Principal | null;
/** The owner scope a handler sees: non-null on a route whose policy names an owner rule. */
export type OwnerFor<ContextConfig> = ContextConfig extends { readonly owner: OwnershipRule } ? OwnerScope : OwnerScope | null;

/** Any request on a route whose policy authenticates: for helpers that take one. */
export type AuthenticatedRequest = FastifyRequest & { principal: Principal };

declare module 'fastify' {
  // Type parameters must match Fastify's own declaration for the interfaces to merge, so the
  // ones these members do not use are still declared.
  /* eslint-disable @typescript-eslint/no-unused-vars */
  interface RouteShorthandOptions<
    RawServer extends RawServerBase = RawServerDefault,
    RawRequest extends RawRequestDefaultExpression<RawServer> = RawRequestDefaultExpression<RawServer>,
    RawReply extends RawReplyDefaultExpression<RawServer> = RawReplyDefaultExpression<RawServer>,
    RouteGeneric extends RouteGenericInterface = RouteGenericInterface,
    ContextConfig = ContextConfigDefault,
    SchemaCompiler extends FastifySchema = FastifySchema,
    TypeProvider extends FastifyTypeProvider = FastifyTypeProviderDefault,
    Logger extends FastifyBaseLogger = FastifyBaseLogger,
  > {
    /** Who may call the route; its type also decides whether handlers see a non-null principal. */
    policy?: RoutePolicy | (ContextConfig extends RoutePolicy ? ContextConfig : RoutePolicy);
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
  interface FastifyRequest<
    RouteGeneric extends RouteGenericInterface = RouteGenericInterface,
    RawServer extends RawServerBase = RawServerDefault,
    RawRequest extends RawRequestDefaultExpression<RawServer> = RawRequestDefaultExpression<RawServer>,
    SchemaCompiler extends FastifySchema = FastifySchema,
    TypeProvider extends FastifyTypeProvider = FastifyTypeProviderDefault,
    ContextConfig = ContextConfigDefault,
    Logger extends FastifyBaseLogger = FastifyBaseLogger,
    RequestType extends FastifyRequestType = ResolveFastifyRequestType<TypeProvider, SchemaCompiler, RouteGeneric>,
  > {
    /** Set by authentication: never null on a route whose policy authenticates; null on public routes without a credential. */
    principal: PrincipalFor<ContextConfig>;
    /** Client address and scheme through the trusted-proxy model. */
    client: ClientInfo;
    /** On owned routes: the resource id and the owner to filter by (never null there); null elsewhere. */
    owner: OwnerFor<ContextConfig>;
  }
  /* eslint-enable @typescript-eslint/no-unused-vars */
}
