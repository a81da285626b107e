// The checks a URL passes before any resolution or connection: http(s) only, no credentials
// in it, bounded length, no local names, and an IP literal must already be an allowed
// address. The WHATWG parser has normalised 127.1, 2130706433, 0x7f.1 and 0177.0.0.1 to
// 127.0.0.1 by then, so every spelling of an address is judged as that address.
import { isIP } from 'node:net';
import { checkAddress, isLoopbackAddress } from './address-policy.ts';
import { OutboundRefused } from './errors.ts';

export interface UrlPolicy {
  /** Lets plain-HTTP requests reach loopback IP literals (on any port). Development and tests only. */
  allowLoopbackHttp: boolean;
  maxUrlLength: number;
  /**
   * Ports a URL may name (an omitted port is the scheme's: 80 or 443). A public address is not
   * a safe target on every port: `https://host:6379/` speaks to Redis, `:25` to SMTP, `:22`
   * to SSH. DEFAULT_OUTBOUND_PORTS when omitted.
   */
  allowedPorts?: readonly number[];
}

/** The web's ports: HTTP, HTTPS and HTTPS's usual alternative. Everything else is asked for by name. */
export const DEFAULT_OUTBOUND_PORTS: readonly number[] = [80, 443, 8443];

/** The port a connection to this URL uses. */
export function effectivePort(url: URL): number {
  return url.port === '' ? (url.protocol === 'https:' ? 443 : 80) : Number(url.port);
}

/** Refuses a port outside the policy's list; the development loopback exemption admits any. */
export function checkPort(policy: Pick<UrlPolicy, 'allowedPorts' | 'allowLoopbackHttp'>, protocol: string, hostname: string, port: number): void {
  const allowed = policy.allowedPorts ?? DEFAULT_OUTBOUND_PORTS;
  if (allowed.includes(port) || loopbackExempt(policy, protocol, hostname)) return;
  throw new OutboundRefused('port', `port ${port} is not an allowed port (${allowed.join(', ')})`);
}

/** A URL's host without IPv6 brackets. */
export function bareHostname(url: URL): string {
  return url.hostname.startsWith('[') ? url.hostname.slice(1, -1) : url.hostname;
}

/** RFC 6761 §6.3: `localhost` and every name under it are the local host, whatever DNS says. */
export function isLocalName(hostname: string): boolean {
  const name = hostname.toLowerCase().replace(/\.$/, '');
  return name === 'localhost' || name.endsWith('.localhost');
}

/** Whether `allowLoopbackHttp` lets this exact target through: plain HTTP to a loopback literal. */
export function loopbackExempt(policy: Pick<UrlPolicy, 'allowLoopbackHttp'>, protocol: string, hostname: string): boolean {
  return policy.allowLoopbackHttp && protocol === 'http:' && isIP(hostname) !== 0 && isLoopbackAddress(hostname);
}

export function checkUrl(input: string | URL, policy: UrlPolicy): URL {
  const text = typeof input === 'string' ? input : input.href;
  if (text.length > policy.maxUrlLength) throw new OutboundRefused('url-too-long', `URLs are limited to ${policy.maxUrlLength} characters`);
  let url: URL;
  try {
    url = new URL(text);
  } catch {
    throw new OutboundRefused('invalid-url', 'not an absolute URL');
  }
  if (url.protocol !== 'https:' && url.protocol !== 'http:') throw new OutboundRefused('scheme', 'only http and https URLs are allowed');
  if (url.username !== '' || url.password !== '') throw new OutboundRefused('credentials', 'URLs must not carry credentials');
  const hostname = bareHostname(url);
  if (hostname === '') throw new OutboundRefused('invalid-url', 'the URL has no host');
  if (isLocalName(hostname)) throw new OutboundRefused('hostname', `${hostname} names the local host`);
  if (isIP(hostname) !== 0 && !loopbackExempt(policy, url.protocol, hostname)) {
    const verdict = checkAddress(hostname);
    if (!verdict.allowed) throw new OutboundRefused('address', `${hostname} is not a public address`, verdict.range);
  }
  checkPort(policy, url.protocol, hostname, effectivePort(url));
  return url;
}
