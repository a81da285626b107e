// Host allowlist: requests naming any other host get 400, which defeats DNS rebinding against
// the API and Host-header poisoning of absolute URLs it builds. The authority is parsed
// strictly (RFC 9110 §7.2, RFC 3986 §3.2) before it is compared, so a name on the list cannot
// carry anything else past it (`localhost:evil`, `user@localhost`, a port past 65535), and
// an absolute-form request target (RFC 9112 §3.2.2) names the host in place of Host: its
// authority passes the same check, and replaces Host for everything after the edge.

import type { IncomingMessage } from 'node:http';

const LOOPBACK_NAMES = ['localhost', '127.0.0.1', '[::1]'];

/** Undefined for anything but `uri-host [":" port]` with a port in 1..65535 (or empty). */
export function parseAuthority(authority: string): { name: string; port: string } | undefined {
  let name: string;
  let rest: string;
  if (authority.startsWith('[')) {
    const end = authority.indexOf(']');
    if (end === -1) return undefined;
    name = authority.slice(0, end + 1);
    if (!IP_LITERAL.test(name)) return undefined;
    rest = authority.slice(end + 1);
  } else {
    const colon = authority.indexOf(':');
    name = colon === -1 ? authority : authority.slice(0, colon);
    if (!REG_NAME.test(name)) return undefined;
    rest = colon === -1 ? '' : authority.slice(colon);
  }
  if (rest !== '' && !validPort(rest)) return undefined;
  name = name.toLowerCase();
  return { name: name.endsWith('.') ? name.slice(0, -1) : name, port: rest.slice(1) };
}

/** IPv6 (and IPv4-in-IPv6) literal; IPvFuture is not accepted. */
const IP_LITERAL = /^\[[0-9a-f:.]+\]$/i;
/** RFC 3986 reg-name (unreserved, pct-encoded, sub-delims) or an IPv4 address; no `@`. */
const REG_NAME = /^(?:[a-z0-9\-._~!$&'()*+,;=]|%[0-9a-f]{2})+$/i;

/** `:` followed by digits naming 1..65535; a bare `:` (empty port) is allowed by RFC 3986. */
function validPort(rest: string): boolean {
  if (rest === ':') return true;
  if (!/^:[0-9]{1,5}$/.test(rest)) return false;
  const port = Number(rest.slice(1));
  return port >= 1 && port <= 65535;
}

export function createHostCheck(allowedHosts: readonly string[], development: boolean): (host: string | undefined) => boolean {
  const allowed = new Set(allowedHosts.map((h) => h.toLowerCase()));
  if (development) for (const name of LOOPBACK_NAMES) allowed.add(name);
  // Host values already found allowed, so the usual request skips the parse (bounded: the
  // ports and spellings of allowed names are the client's to vary).
  const seen = new Set<string>();
  return (host) => {
    if (host === undefined) return false;
    if (seen.has(host)) return true;
    const authority = parseAuthority(host);
    const ok = authority !== undefined && allowed.has(authority.name);
    if (ok && seen.size < 256) seen.add(host);
    return ok;
  };
}

/** `Example.COM.:443` → `example.com`; `[::1]:3000` → `[::1]`. Only for an allowed host. */
export function hostName(host: string): string {
  return parseAuthority(host)?.name ?? '';
}

/**
 * Decides which host a request names and whether this server answers for it (RFC 9112 §3.2):
 * one Host line at most, syntactically valid, and present in HTTP/1.1; an absolute-form
 * target's authority replaces Host and the target is rewritten to origin-form, so every
 * later layer (router, CSRF origin, logs, links) sees one host and one URL. `*` is left as
 * it is. Returns what to refuse, if anything.
 */
export function checkRequestHost(req: IncomingMessage, hostAllowed: (host: string | undefined) => boolean): 'target' | 'host' | undefined {
  if (hostLines(req.rawHeaders) > 1) return 'host';
  const url = req.url ?? '';
  if (url.charCodeAt(0) !== 47 /* / */ && url !== '*') {
    const target = absoluteTarget(url);
    if (target === undefined) return 'target';
    const host = req.headers.host;
    if (host === undefined ? req.httpVersionMinor === 1 : parseAuthority(host) === undefined) return 'host';
    req.url = target.path;
    req.headers.host = target.authority;
  }
  return hostAllowed(req.headers.host) ? undefined : 'host';
}

/**
 * The authority and origin-form path of an absolute-form request target (`http://host/p?q`,
 * RFC 9112 §3.2.2), split as the router splits it. Undefined for any other scheme, a
 * fragment or an empty authority. Call it only for targets that do not start with `/`.
 */
export function absoluteTarget(url: string): { authority: string; path: string } | undefined {
  const schemeEnd = url.indexOf('://');
  const scheme = schemeEnd === -1 ? '' : url.slice(0, schemeEnd).toLowerCase();
  if (scheme !== 'http' && scheme !== 'https') return undefined;
  const start = schemeEnd + 3;
  if (url.includes('#', start)) return undefined;
  let end = url.length;
  for (const delimiter of ['/', '?']) {
    const at = url.indexOf(delimiter, start);
    if (at !== -1 && at < end) end = at;
  }
  if (end === start) return undefined;
  const rest = url.slice(end);
  return { authority: url.slice(start, end), path: rest.startsWith('/') ? rest : `/${rest}` };
}

/** Host header lines as received (Node keeps only the first in `headers`). */
export function hostLines(rawHeaders: readonly string[]): number {
  let count = 0;
  for (let i = 0; i < rawHeaders.length; i += 2) {
    const name = rawHeaders[i]!;
    if (name.length === 4 && name.toLowerCase() === 'host') count++;
  }
  return count;
}
