// HTTP Basic for service endpoints (a metrics scraper, a monitor), checked against one
// configured service credential — never against users' passwords. Both parts are compared
// through HMACs of equal length with timingSafeEqual, so neither length nor content leaks
// through timing. Production refuses Basic over plain HTTP: the password would be in clear.
import { createHmac, randomBytes, timingSafeEqual } from 'node:crypto';
import type { FastifyRequest } from 'fastify';
import { HttpProblem } from '../errors/problem.ts';
import type { Authenticator, Principal } from '../policy/principal.ts';

export interface ServiceCredential {
  username: string;
  password: string;
  /** Scopes the service principal gets, e.g. ['metrics:read']. */
  scopes: readonly string[];
  realm: string;
  /** Refuse Basic on requests that did not arrive over HTTPS (production). */
  requireHttps: boolean;
}

export function createBasicAuthenticator(credential: ServiceCredential): Authenticator {
  const pepper = randomBytes(32);
  const digest = (value: string): Buffer => createHmac('sha256', pepper).update(value, 'utf8').digest();
  const expectedUser = digest(credential.username);
  const expectedPassword = digest(credential.password);
  const challenge = `Basic realm="${credential.realm}", charset="UTF-8"`;
  const refused = new HttpProblem(401, { slug: 'invalid-credentials', title: 'Invalid credentials', detail: 'The service credentials are not valid.', headers: { 'www-authenticate': challenge } });
  const insecure = new HttpProblem(403, { slug: 'https-required', title: 'HTTPS required', detail: 'Basic credentials are accepted only over HTTPS.' });
  const principal: Principal = { id: `service:${credential.username}`, username: credential.username, roles: ['service'], scopes: credential.scopes, method: 'basic' };

  return {
    challenge,
    authenticate(request: FastifyRequest) {
      const header = request.headers.authorization;
      if (header === undefined || !/^basic /i.test(header)) return Promise.resolve(undefined);
      if (credential.requireHttps && !request.client.secure) return Promise.reject(insecure);
      const decoded = Buffer.from(header.slice(6).trim(), 'base64').toString('utf8');
      const colon = decoded.indexOf(':');
      const userOk = timingSafeEqual(digest(colon === -1 ? '' : decoded.slice(0, colon)), expectedUser);
      const passwordOk = timingSafeEqual(digest(colon === -1 ? '' : decoded.slice(colon + 1)), expectedPassword);
      return userOk && passwordOk && colon !== -1 ? Promise.resolve(principal) : Promise.reject(refused);
    },
  };
}
