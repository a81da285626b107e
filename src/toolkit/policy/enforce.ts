// Route-level enforcement of an authenticated policy: find the principal, then require
// every scope the route names. Runs in onRequest, so an unauthenticated body is never parsed.
import type { FastifyReply, FastifyRequest } from 'fastify';
import { HttpProblem } from '../errors/problem.ts';
import type { Authenticator, Principal } from './principal.ts';
import type { AuthenticatedPolicy } from './types.ts';

export function createPolicyHook(policy: AuthenticatedPolicy, authenticators: readonly Authenticator[]) {
  const challenge = authenticators.length > 0 ? [...new Set(authenticators.map((a) => a.challenge))].join(', ') : 'Bearer';
  const required = [...policy.scopes];
  const unauthenticated = new HttpProblem(401, {
    detail: 'This endpoint requires authentication.',
    headers: { 'www-authenticate': challenge },
  });

  return async function enforcePolicy(request: FastifyRequest, reply: FastifyReply): Promise<void> {
    let principal: Principal | undefined;
    for (const authenticator of authenticators) {
      principal = await authenticator.authenticate(request);
      if (principal !== undefined) break;
    }
    if (principal === undefined) throw unauthenticated;
    request.principal = principal;
    reply.header('cache-control', 'no-store');
    const missing = required.filter((scope) => !principal.scopes.includes(scope));
    if (missing.length > 0) throw insufficientScope(missing, principal);
  };
}

function insufficientScope(missing: string[], principal: Principal): HttpProblem {
  const scope = missing.join(' ');
  return new HttpProblem(403, {
    slug: 'insufficient-scope',
    title: 'Insufficient scope',
    detail: `This endpoint requires the scope ${scope}.`,
    extensions: { requiredScopes: missing },
    // RFC 6750 §3.1: bearer callers learn which scope to ask for.
    headers: principal.method === 'jwt' ? { 'www-authenticate': `Bearer error="insufficient_scope", scope="${scope}"` } : {},
  });
}
