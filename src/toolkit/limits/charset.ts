// Text bodies are UTF-8, as RFC 8259 §8.1 (JSON) and RFC 6749 Appendix B (OAuth forms)
// require. A body that declares another charset is refused rather than decoded as UTF-8
// anyway: a proxy or firewall that honours `charset=utf-16` would read different text from
// the one the handler gets.
import { isUtf8 } from 'node:buffer';
import { HttpProblem } from '../errors/problem.ts';

const NOT_UTF8_CHARSET = new HttpProblem(415, {
  slug: 'charset-not-accepted',
  title: 'Charset not accepted',
  detail: 'Request bodies must be UTF-8: a charset parameter, if sent, must be utf-8.',
});

const INVALID_UTF8 = new HttpProblem(400, {
  slug: 'invalid-utf8',
  title: 'Body is not valid UTF-8',
  detail: 'The request body holds a byte sequence that is not valid UTF-8.',
});

/** The 415 to answer when the Content-Type names a charset other than UTF-8. */
export function charsetRefusal(contentType: string | undefined): HttpProblem | undefined {
  if (contentType === undefined || !contentType.includes(';')) return undefined;
  for (const parameter of contentType.split(';').slice(1)) {
    const eq = parameter.indexOf('=');
    if (eq === -1 || parameter.slice(0, eq).trim().toLowerCase() !== 'charset') continue;
    let value = parameter.slice(eq + 1).trim();
    if (value.length >= 2 && value.startsWith('"') && value.endsWith('"')) value = value.slice(1, -1);
    if (value.toLowerCase() !== 'utf-8') return NOT_UTF8_CHARSET;
  }
  return undefined;
}

/**
 * The body as text: refused if its Content-Type names another charset (415) or if its bytes
 * are not valid UTF-8 (400: decoding would silently turn them into U+FFFD, while another
 * reader may decode an overlong sequence as a quote).
 */
export function utf8Body(contentType: string | undefined, body: Buffer): string {
  const refusal = charsetRefusal(contentType);
  if (refusal !== undefined) throw refusal;
  if (!isUtf8(body)) throw INVALID_UTF8;
  return body.toString('utf8');
}
