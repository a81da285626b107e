// Connection URLs carry passwords. Anything that names a URL in an error goes through here
// first, so a typo in DATABASE_URL never prints the secret into logs.
import { StoreError } from './errors.ts';

/** Parses a URL or throws without echoing it (Node's own TypeError keeps the input on `.input`). */
export function parseUrl(url: string, what: string): URL {
  const parsed = typeof url === 'string' ? URL.parse(url) : null;
  if (parsed === null) {
    throw new StoreError('ERR_STORE_UNSUPPORTED_URL', `${what} is not a valid URL`);
  }
  return parsed;
}

/** scheme://host:port/path, with user, password, query and fragment removed. */
export function redactUrl(url: string): string {
  const parsed = URL.parse(url);
  if (parsed === null) return '<invalid url>';
  return `${parsed.protocol}//${parsed.host}${parsed.pathname}`;
}

/** The error for a scheme we do not speak: names it and lists what would work. */
export function unsupportedScheme(what: string, parsed: URL, supported: readonly string[]): StoreError {
  return new StoreError(
    'ERR_STORE_UNSUPPORTED_URL',
    `${what} uses unsupported scheme "${parsed.protocol}" (host ${parsed.host || 'none'}); ` +
      `expected one of: ${supported.join(', ')}`,
  );
}
