// application/x-www-form-urlencoded for the OAuth endpoints only. Repeated parameters are
// refused (RFC 6749 §3.2) and the result has no prototype, so no key can pollute one.
import type { FastifyInstance } from 'fastify';
import { OAuthError } from './oauth-error.ts';

export function installFormParser(scope: FastifyInstance, bodyLimit: number): void {
  scope.addContentTypeParser('application/x-www-form-urlencoded', { parseAs: 'string', bodyLimit }, (_request, body, done) => {
    const params = new URLSearchParams(body as string);
    const out = Object.create(null) as Record<string, string>;
    for (const [name, value] of params) {
      if (Object.hasOwn(out, name)) {
        done(new OAuthError('invalid_request', `The parameter ${name.slice(0, 40)} is repeated.`), undefined);
        return;
      }
      out[name] = value;
    }
    done(null, out);
  });
}
