// Reads an API key from `X-API-Key: <key>` or `Authorization: ApiKey <key>` — nowhere else
// (the edge refuses keys in query strings). Every bad key, whatever is wrong with it, gets
// the same 401, so the answer reveals nothing about which keys exist.
import type { FastifyRequest } from 'fastify';
import { HttpProblem } from '../../errors/problem.ts';
import type { Authenticator } from '../../policy/principal.ts';
import type { ApiKeys } from './service.ts';

export interface ApiKeyAuthenticatorOptions {
  /** Other schemes the routes accept, listed after `ApiKey` in WWW-Authenticate, e.g. ['Bearer']. */
  otherChallenges?: readonly string[];
}

const AUTHORIZATION = /^apikey(?: +(\S*))?\s*$/i;
const SCHEME = /^apikey(\s|$)/i;

export function createApiKeyAuthenticator(apiKeys: ApiKeys, options: ApiKeyAuthenticatorOptions = {}): Authenticator {
  const invalid = new HttpProblem(401, {
    slug: 'invalid-api-key',
    title: 'Invalid API key',
    detail: 'The API key is invalid, expired or revoked.',
    headers: { 'www-authenticate': ['ApiKey', ...(options.otherChallenges ?? [])].join(', ') },
  });

  return {
    challenge: 'ApiKey',
    async authenticate(request: FastifyRequest) {
      let key = request.headers['x-api-key'];
      if (key === undefined) {
        const authorization = request.headers.authorization;
        if (authorization === undefined || !SCHEME.test(authorization)) return undefined;
        key = AUTHORIZATION.exec(authorization)?.[1] ?? '';
      }
      // A repeated header arrives joined with ", " (or as an array): never a valid key.
      if (typeof key !== 'string') throw invalid;
      const principal = await apiKeys.verify(key, request.client.ip);
      if (principal === undefined) throw invalid;
      return principal;
    },
  };
}
