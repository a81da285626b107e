// Where a login identity logs in: its own token-url, else --token-url, else the tokenUrl of the
// spec's OAuth2 password flow. Relative URLs are taken relative to the audited API, and a login
// is only ever sent to the target's own origin unless the user named another URL explicitly.
import { AuditError } from '../errors.ts';
import type { ApiSpec } from '../spec/load.ts';
import type { Target } from '../target.ts';

export function specTokenUrl(spec: ApiSpec | undefined): string | undefined {
  for (const scheme of Object.values(spec?.securitySchemes ?? {})) {
    if (scheme.type === 'oauth2' && scheme.passwordTokenUrl !== undefined) return scheme.passwordTokenUrl;
  }
  return undefined;
}

export function resolveTokenUrl(raw: string, target: Target, explicit: boolean): URL {
  let url: URL;
  try {
    url = /^https?:\/\//i.test(raw) ? new URL(raw) : raw.startsWith('/') ? target.url(raw) : new URL(raw, target.base.href.endsWith('/') ? target.base.href : `${target.base.href}/`);
  } catch {
    throw new AuditError('USAGE', `the token URL ${JSON.stringify(raw)} is not a URL`);
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:') throw new AuditError('USAGE', `the token URL must be http(s) (got ${url.protocol})`);
  if (!explicit && url.origin !== target.origin) {
    throw new AuditError('USAGE', `the spec's token URL ${url.href} is on another origin than the target; passwords are not sent there unless you pass it as --token-url`);
  }
  return url;
}
