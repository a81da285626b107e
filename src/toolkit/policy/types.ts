// How a route declares who may call it. Every route must say; there is no default.
import type { Principal } from './principal.ts';
import type { ClientInfo } from '../server/proxy.ts';

export interface RateLimitRule {
  /** Names the policy in `RateLimit-Policy`, and keys its counters apart from others. */
  name: string;
  limit: number;
  windowSeconds: number;
}

interface PolicyCommon {
  /** This route's own limit instead of the server default. */
  rateLimit?: RateLimitRule;
}

export interface PublicPolicy extends PolicyCommon {
  public: true;
}

export interface AuthenticatedPolicy extends PolicyCommon {
  /** Scopes the principal must hold, all of them; `[]` means any authenticated caller. */
  scopes: readonly string[];
}

export type RoutePolicy = PublicPolicy | AuthenticatedPolicy;

export function isPublicPolicy(policy: RoutePolicy): policy is PublicPolicy {
  return 'public' in policy && policy.public;
}

declare module 'fastify' {
  interface RouteShorthandOptions {
    policy?: RoutePolicy;
  }
  interface FastifyRequest {
    /** Set by authentication; null on public routes and unauthenticated requests. */
    principal: Principal | null;
    /** Client address and scheme through the trusted-proxy model. */
    client: ClientInfo;
  }
}
