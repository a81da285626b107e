// Route-level enforcement of an authenticated policy: find the principal, then require
// every scope the route names. Runs in onRequest, so an unauthenticated body is never parsed.
import type { FastifyReply, FastifyRequest } from 'fastify';
import { HttpProblem } from '../errors/problem.ts';
import type { Authenticator, Principal } from './principal.ts';
import type { AuthenticatedPolicy } from './types.ts';
import { hasSessionCookie } from '../auth/sessions/cookie.ts';

export function createPolicyHook(policy: AuthenticatedPolicy, authenticators: readonly Authenticator[]) {
  const challenges = [...new Set(authenticators.map((a) => a.challenge).filter((c) => c !== ''))];
  const challenge = challenges.length > 0 ? challenges.join(', ') : 'Bearer';
  const required = [...policy.scopes];
  const unauthenticated = new HttpProblem(401, {
    detail: 'This endpoint requires authentication.',
    headers: { 'www-authenticate': challenge },
  });

  return async function enforcePolicy(request: FastifyRequest, reply: FastifyReply): Promise<void> {
    if (credentialKinds(request) > 1) throw AMBIGUOUS;
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

const AMBIGUOUS = new HttpProblem(400, {
  slug: 'ambiguous-credentials',
  title: 'Ambiguous credentials',
  detail: 'The request carries more than one kind of credential (session cookie, Authorization, X-API-Key); send exactly one.',
});

/** A cookie plus a bearer token (or a key) could let a CSRF ride on a token check: refuse. */
function credentialKinds(request: FastifyRequest): number {
  const headers = request.headers;
  return (headers.authorization !== undefined ? 1 : 0) + (headers['x-api-key'] !== undefined ? 1 : 0) + (hasSessionCookie(headers.cookie) ? 1 : 0);
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
