// The security headers every response carries, errors and parser-level answers included.
// Computed once: setting a precomputed object costs far less than a header plugin chain.

export const HSTS_VALUE = 'max-age=63072000; includeSubDomains';

/** Headers for API (non-HTML) responses. */
export const API_SECURITY_HEADERS: Readonly<Record<string, string>> = Object.freeze({
  'content-security-policy': "default-src 'none'; frame-ancestors 'none'",
  'x-frame-options': 'DENY',
  'x-content-type-options': 'nosniff',
  'referrer-policy': 'no-referrer',
  'permissions-policy':
    'accelerometer=(), autoplay=(), camera=(), display-capture=(), encrypted-media=(), fullscreen=(), ' +
    'geolocation=(), gyroscope=(), magnetometer=(), microphone=(), midi=(), payment=(), ' +
    'picture-in-picture=(), publickey-credentials-get=(), screen-wake-lock=(), sync-xhr=(), usb=(), ' +
    'xr-spatial-tracking=()',
  'cross-origin-opener-policy': 'same-origin',
  'cross-origin-resource-policy': 'same-origin',
});

/** The same headers as a raw HTTP header block, for answers written straight to a socket. */
export function rawHeaderLines(secure: boolean): string {
  let lines = '';
  for (const [name, value] of Object.entries(API_SECURITY_HEADERS)) lines += `${name}: ${value}\r\n`;
  if (secure) lines += `strict-transport-security: ${HSTS_VALUE}\r\n`;
  return lines;
}
