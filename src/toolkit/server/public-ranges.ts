// Whether a trusted-proxy range holds public addresses. A proxy we trust may write any client
// address into X-Forwarded-For; trusting a range with public addresses in it lets whoever sits
// there (with 0.0.0.0/0, anyone) choose their own address for rate limits, lockouts and logs.
// "Public" is the complement of the special-purpose blocks the SSRF guard refuses (one list,
// outbound/ranges.ts): private, loopback, link-local, CGNAT, ULA, documentation and so on.
// IPv6 forms that carry an IPv4 address (IPv4-mapped ::ffff:0:0/96, NAT64 64:ff9b::/96) hold
// public addresses when the IPv4 addresses they carry are public; a socket peer in the mapped
// form is the IPv4 client itself.
import { isIP } from 'node:net';
import { ipv6Groups } from '../outbound/address-policy.ts';
import { IPV4_REFUSED, IPV6_REFUSED, NAT64_WELL_KNOWN } from '../outbound/ranges.ts';

interface Span {
  first: bigint;
  last: bigint;
}

const V4_BITS = 32;
const V6_BITS = 128;

function toNumber(address: string, family: 4 | 6): bigint {
  if (family === 4) return address.split('.').reduce((n, part) => (n << 8n) | BigInt(part), 0n);
  return ipv6Groups(address).reduce((n, group) => (n << 16n) | BigInt(group), 0n);
}

function span(address: string, prefix: number, family: 4 | 6): Span {
  const hostBits = BigInt((family === 4 ? V4_BITS : V6_BITS) - prefix);
  const first = (toNumber(address, family) >> hostBits) << hostBits;
  return { first, last: first + (1n << hostBits) - 1n };
}

function spanOf(cidr: string, family: 4 | 6): Span {
  const [address, prefix] = cidr.split('/') as [string, string];
  return span(address, Number(prefix), family);
}

const V4_SPECIAL = IPV4_REFUSED.map((range) => spanOf(range.cidr, 4));
const V6_SPECIAL = IPV6_REFUSED.map((range) => spanOf(range.cidr, 6));
const V6_GLOBAL_UNICAST = spanOf('2000::/3', 6);
/** IPv6 blocks whose low 32 bits are an IPv4 address, and how to write one of their addresses. */
const V6_CARRYING_V4 = [
  { block: spanOf('::ffff:0:0/96', 6), write: (v4: string) => `::ffff:${v4}` },
  { block: spanOf(NAT64_WELL_KNOWN, 6), write: (v4: string) => `64:ff9b::${v4}` },
];

/** The lowest number in `within` that no span in `excluded` covers. */
function firstUncovered(within: Span, excluded: readonly Span[]): bigint | undefined {
  let candidate = within.first;
  for (const block of [...excluded].sort((a, b) => (a.first < b.first ? -1 : a.first > b.first ? 1 : 0))) {
    if (block.last < candidate) continue;
    if (block.first > candidate) break;
    candidate = block.last + 1n;
  }
  return candidate <= within.last ? candidate : undefined;
}

function intersect(a: Span, b: Span): Span | undefined {
  const first = a.first > b.first ? a.first : b.first;
  const last = a.last < b.last ? a.last : b.last;
  return first <= last ? { first, last } : undefined;
}

const v4Text = (n: bigint): string => [24n, 16n, 8n, 0n].map((shift) => String((n >> shift) & 255n)).join('.');
/** Compressed form (`2000::`), by the URL parser's IPv6 serializer. */
const v6Text = (n: bigint): string => new URL(`http://[${Array.from({ length: 8 }, (_, i) => ((n >> BigInt(112 - 16 * i)) & 0xffffn).toString(16)).join(':')}]`).hostname.slice(1, -1);

function firstPublicV4(range: Span): bigint | undefined {
  return firstUncovered(range, V4_SPECIAL);
}

/**
 * A public address inside `address/prefix` (an example for the error message), or undefined
 * when the range holds none. `address` must be a valid IP address of the family given.
 */
export function publicAddressIn(address: string, prefix: number, family: 4 | 6): string | undefined {
  const range = span(address, prefix, family);
  if (family === 4) {
    const found = firstPublicV4(range);
    return found === undefined ? undefined : v4Text(found);
  }
  for (const { block, write } of V6_CARRYING_V4) {
    const inside = intersect(range, block);
    if (inside === undefined) continue;
    const low = 0xffffffffn;
    const found = firstPublicV4({ first: inside.first & low, last: inside.last & low });
    if (found !== undefined) return write(v4Text(found));
  }
  const global = intersect(range, V6_GLOBAL_UNICAST);
  const found = global === undefined ? undefined : firstUncovered(global, V6_SPECIAL);
  return found === undefined ? undefined : v6Text(found);
}

/** For one trusted-proxy entry as configured (`10.0.0.0/8`, `::1`): a public address in it, or undefined. */
export function publicAddressInEntry(entry: string): string | undefined {
  const [address = '', prefix] = entry.trim().split('/');
  const family = isIP(address);
  if (family === 0) return undefined;
  return publicAddressIn(address, prefix === undefined ? (family === 4 ? V4_BITS : V6_BITS) : Number(prefix), family as 4 | 6);
}
