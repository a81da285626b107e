// CSRF defence for cookie-authenticated requests. Unsafe methods need proof the request was
// made by our own origin: an Origin header equal to this server's origin, or, when a browser
// sends no Origin, `Sec-Fetch-Site: same-origin`. A request with neither is refused (fail
// closed), and the Content-Type never matters: a text/plain form post is no way around it.
import type { FastifyRequest } from 'fastify';
import { HttpProblem } from '../../errors/problem.ts';

const SAFE_METHODS = new Set(['GET', 'HEAD', 'OPTIONS']);

export const CSRF_REJECTED = new HttpProblem(403, {
  slug: 'csrf-rejected',
  title: 'Cross-site request refused',
  detail: 'Requests that change state with a session cookie must come from this site and carry the X-CSRF-Token header from the session login.',
});

export function isUnsafe(method: string): boolean {
  return !SAFE_METHODS.has(method);
}

/** The request's own origin, from the validated Host header and the trusted scheme. */
export function ownOrigin(request: FastifyRequest): string {
  return `${request.client.secure ? 'https' : 'http'}://${(request.headers.host ?? '').toLowerCase()}`;
}

export function isSameOrigin(request: FastifyRequest): boolean {
  const origin = request.headers.origin;
  if (origin !== undefined) return origin.toLowerCase() === ownOrigin(request);
  return request.headers['sec-fetch-site'] === 'same-origin';
}
