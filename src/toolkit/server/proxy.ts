// One trusted-proxy model for everything that needs the client address or scheme: logs,
// rate limits, lockouts, HTTPS detection and HSTS. X-Forwarded-* are honoured only when
// the socket peer is a configured proxy, and the client is the rightmost forwarded address
// that is not itself a trusted proxy — never the leftmost, which the client writes.
import { BlockList, isIP } from 'node:net';

export interface ProxyTrust {
  /** True when the address (IPv4, IPv6 or IPv4-mapped IPv6) is a configured proxy. */
  isTrusted(address: string): boolean;
  readonly enabled: boolean;
}

export interface ClientInfo {
  ip: string;
  /** The request reached the edge over HTTPS (TLS here, or a trusted proxy said so). */
  secure: boolean;
}

/** Parses `10.0.0.1`, `10.0.0.0/8`, `::1`, `fd00::/8`; returns problems for invalid entries. */
export function parseProxyList(entries: readonly string[]): { trust: ProxyTrust; problems: string[] } {
  const list = new BlockList();
  const problems: string[] = [];
  for (const raw of entries) {
    const entry = raw.trim();
    const [address = '', prefix] = entry.split('/');
    const family = isIP(address);
    const bits = prefix === undefined ? (family === 6 ? 128 : 32) : Number(prefix);
    const maxBits = family === 6 ? 128 : 32;
    if (family === 0 || !Number.isInteger(bits) || bits < 0 || bits > maxBits || (prefix !== undefined && !/^\d+$/.test(prefix))) {
      problems.push(`RAMPART_TRUSTED_PROXIES: "${entry}" is not an IP address or CIDR (e.g. 10.0.0.0/8, ::1)`);
      continue;
    }
    list.addSubnet(address, bits, family === 6 ? 'ipv6' : 'ipv4');
  }
  const enabled = entries.length > 0 && problems.length === 0;
  return {
    problems,
    trust: {
      enabled,
      isTrusted(candidate: string): boolean {
        if (!enabled) return false;
        const address = unmapIPv4(candidate);
        const family = isIP(address);
        if (family === 0) return false;
        return list.check(address, family === 6 ? 'ipv6' : 'ipv4');
      },
    },
  };
}

/** `::ffff:127.0.0.1` → `127.0.0.1`, so one IPv4 rule matches both socket forms. */
export function unmapIPv4(address: string): string {
  return address.startsWith('::ffff:') && isIP(address.slice(7)) === 4 ? address.slice(7) : address;
}

export function resolveClient(
  peer: string | undefined,
  encrypted: boolean,
  forwardedFor: string | string[] | undefined,
  forwardedProto: string | string[] | undefined,
  trust: ProxyTrust,
): ClientInfo {
  const socketIp = unmapIPv4(peer ?? '');
  if (!trust.enabled || !trust.isTrusted(socketIp)) return { ip: socketIp, secure: encrypted };

  let ip = socketIp;
  const hops = headerList(forwardedFor);
  for (let i = hops.length - 1; i >= 0; i--) {
    const hop = unmapIPv4(stripPort(hops[i] ?? ''));
    // A hop that is not an address means the chain cannot be read further: keep the
    // last address we could vouch for rather than adopt an attacker-shaped string.
    if (isIP(hop) === 0) break;
    ip = hop;
    if (!trust.isTrusted(hop)) break;
  }
  // The nearest trusted proxy writes the rightmost value; earlier ones came from further out.
  const protos = headerList(forwardedProto);
  const proto = protos[protos.length - 1]?.toLowerCase();
  return { ip, secure: encrypted || proto === 'https' };
}

function headerList(value: string | string[] | undefined): string[] {
  if (value === undefined) return [];
  const joined = Array.isArray(value) ? value.join(',') : value;
  return joined.split(',').map((part) => part.trim()).filter((part) => part !== '');
}

/** Some proxies append `1.2.3.4:5678` or `[::1]:443`; the port is not part of the identity. */
function stripPort(hop: string): string {
  if (hop.startsWith('[')) return hop.slice(1, hop.indexOf(']') === -1 ? undefined : hop.indexOf(']'));
  const colon = hop.indexOf(':');
  return colon !== -1 && colon === hop.lastIndexOf(':') ? hop.slice(0, colon) : hop;
}
