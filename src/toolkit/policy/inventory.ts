// The API inventory (OWASP API9): every route with its policy, as `rampart routes` prints it
// and admins read it at GET /v1/admin/routes.
import type { RateLimitRule, RoutePolicy } from './types.ts';

export interface RouteInfo {
  method: string;
  path: string;
  access: 'public' | 'authenticated';
  scopes: string[];
  owner: { param: string; crossOwnerScopes: string[] } | null;
  rateLimit: RateLimitRule;
  deprecated: { since: string; sunset: string } | null;
}

export function describeRoute(method: string, path: string, policy: RoutePolicy, rateLimit: RateLimitRule): RouteInfo {
  const authenticated = 'scopes' in policy;
  return {
    method,
    path,
    access: authenticated ? 'authenticated' : 'public',
    scopes: authenticated ? [...policy.scopes] : [],
    owner: authenticated && policy.owner ? { param: policy.owner.param, crossOwnerScopes: [...(policy.owner.crossOwnerScopes ?? [])] } : null,
    rateLimit,
    deprecated: policy.deprecated ? { since: policy.deprecated.since, sunset: policy.deprecated.sunset } : null,
  };
}
