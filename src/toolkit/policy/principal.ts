// The one principal: whatever authenticated the request, handlers and policies see this.
import type { FastifyRequest } from 'fastify';

export type AuthMethod = 'jwt' | 'api-key' | 'session' | 'basic';

export interface Principal {
  id: string;
  /** The account's user name (for a service account, its Basic user name). */
  username: string;
  roles: readonly string[];
  scopes: readonly string[];
  method: AuthMethod;
  /**
   * The credential's own id and expiry (JWT `jti`/`exp` in seconds), for logout and revocation;
   * `sessionId` is the login an access token belongs to (its `sid`), which logout ends.
   */
  credential?: { id: string; expiresAt: number; sessionId?: string };
}

export interface Authenticator {
  /** Auth scheme named in `WWW-Authenticate` when a request is refused, e.g. `Bearer`. */
  readonly challenge: string;
  /**
   * Undefined when the request carries no credential of this kind; a principal when it
   * carries a valid one; throws an HttpProblem (401) when it carries a bad one.
   */
  authenticate(request: FastifyRequest): Promise<Principal | undefined>;
}
