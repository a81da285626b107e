// application/x-www-form-urlencoded for the OAuth endpoints only. Repeated parameters are
// refused (RFC 6749 §3.2), the body must be UTF-8 (Appendix B), and the result has no prototype, so no key can pollute one.
import type { FastifyInstance } from 'fastify';
import { utf8Body } from '../limits/charset.ts';
import { OAuthError } from './oauth-error.ts';

export function installFormParser(scope: FastifyInstance, bodyLimit: number): void {
  scope.addContentTypeParser('application/x-www-form-urlencoded', { parseAs: 'buffer', bodyLimit }, (request, body, done) => {
    let text: string;
    try {
      text = utf8Body(request.headers['content-type'], body as Buffer);
    } catch (error) {
      done(error as Error, undefined);
      return;
    }
    const params = new URLSearchParams(text);
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
