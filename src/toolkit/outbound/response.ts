// Responses from other services are input like any other (OWASP API10): check the media
// type and parse defensively before using them.
import { OutboundError } from './errors.ts';
import type { OutboundResponse } from './client.ts';

/** The response's media type, lowercased, without parameters; '' when absent. */
export function mediaType(response: Pick<OutboundResponse, 'headers'>): string {
  const value = response.headers['content-type'];
  return (typeof value === 'string' ? value : '').split(';')[0]!.trim().toLowerCase();
}

/** Throws unless the media type is one of `allowed` (exact, or `+json`-style suffix when listed as `*+json`). */
export function expectContentType(response: Pick<OutboundResponse, 'headers'>, allowed: readonly string[]): string {
  const type = mediaType(response);
  const ok = allowed.some((entry) => (entry.startsWith('*+') ? type.endsWith(entry.slice(1)) && type.includes('/') : entry.toLowerCase() === type));
  if (!ok) throw new OutboundError('content-type', `unexpected content type "${type.slice(0, 80)}"`);
  return type;
}

/** A JSON body, after the media-type check; `validate` narrows it (e.g. a compiled schema). */
export function readJson<T>(response: OutboundResponse, validate: (value: unknown) => value is T): T {
  expectContentType(response, ['application/json', '*+json']);
  let value: unknown;
  try {
    value = JSON.parse(response.body.toString('utf8'));
  } catch {
    throw new OutboundError('invalid-response', 'the response is not valid JSON');
  }
  if (!validate(value)) throw new OutboundError('invalid-response', 'the response does not have the expected shape');
  return value;
}
