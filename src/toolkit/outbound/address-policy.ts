// Which IP addresses a server-side request may connect to: globally routable unicast only.
// Everything else is refused with the name of the range it fell in. IPv6 forms that carry an
// IPv4 address (NAT64, 6to4) are judged by the IPv4 address they carry, so 64:ff9b::7f00:1 is
// loopback; IPv4-mapped and -compatible forms are refused outright (a dual-stack socket
// would send them to the IPv4 host, and no public name resolves to them).
import { BlockList, isIP } from 'node:net';
import { IPV4_REFUSED, IPV6_REFUSED, NAT64_WELL_KNOWN, SIX_TO_FOUR, type Range } from './ranges.ts';

export type AddressVerdict = { allowed: true; family: 4 | 6 } | { allowed: false; range: string };

interface CompiledRange {
  name: string;
  list: BlockList;
}

function compile(ranges: readonly Range[], family: 'ipv4' | 'ipv6'): CompiledRange[] {
  return ranges.map(({ name, cidr }) => {
    const [network, prefix] = cidr.split('/') as [string, string];
    const list = new BlockList();
    list.addSubnet(network, Number(prefix), family);
    return { name, list };
  });
}

const V4 = compile(IPV4_REFUSED, 'ipv4');
const V6 = compile(IPV6_REFUSED, 'ipv6');
const subnet = (cidr: string): BlockList => compile([{ name: '', cidr, source: '' }], 'ipv6')[0]!.list;
const GLOBAL_UNICAST = subnet('2000::/3');
const NAT64 = subnet(NAT64_WELL_KNOWN);
const SIX_TO_FOUR_LIST = subnet(SIX_TO_FOUR);

/** The eight 16-bit groups of a valid IPv6 address (zone id removed by the caller). */
export function ipv6Groups(address: string): number[] {
  let text = address;
  const dotted = /(\d+\.\d+\.\d+\.\d+)$/.exec(text);
  if (dotted !== null) {
    const [a, b, c, d] = dotted[1]!.split('.').map(Number) as [number, number, number, number];
    text = `${text.slice(0, dotted.index)}${((a << 8) | b).toString(16)}:${((c << 8) | d).toString(16)}`;
  }
  const [head, tail] = text.split('::') as [string, string | undefined];
  const parse = (part: string): number[] => (part === '' ? [] : part.split(':').map((g) => parseInt(g, 16)));
  const left = parse(head);
  if (tail === undefined) return left;
  const right = parse(tail);
  return [...left, ...new Array<number>(8 - left.length - right.length).fill(0), ...right];
}

const v4From = (high: number, low: number): string => `${high >> 8}.${high & 0xff}.${low >> 8}.${low & 0xff}`;

function checkV4(address: string): AddressVerdict {
  const hit = V4.find((range) => range.list.check(address, 'ipv4'));
  return hit === undefined ? { allowed: true, family: 4 } : { allowed: false, range: hit.name };
}

function checkV6(address: string): AddressVerdict {
  const hit = V6.find((range) => range.list.check(address, 'ipv6'));
  if (hit !== undefined) return { allowed: false, range: hit.name };
  const groups = ipv6Groups(address);
  if (NAT64.check(address, 'ipv6')) return embedded(checkV4(v4From(groups[6]!, groups[7]!)), 'nat64');
  if (SIX_TO_FOUR_LIST.check(address, 'ipv6')) return embedded(checkV4(v4From(groups[1]!, groups[2]!)), '6to4');
  if (!GLOBAL_UNICAST.check(address, 'ipv6')) return { allowed: false, range: 'not-global-unicast' };
  return { allowed: true, family: 6 };
}

/** A translated address is as good as the IPv4 address it carries. */
function embedded(inner: AddressVerdict, via: string): AddressVerdict {
  return inner.allowed ? { allowed: true, family: 6 } : { allowed: false, range: `${via}-${inner.range}` };
}

/**
 * Whether a connection to this IP address is allowed. Anything that is not a plain IP
 * address (a name, a zone id, brackets) is refused: callers check resolved addresses only.
 */
export function checkAddress(address: string): AddressVerdict {
  switch (isIP(address)) {
    case 4:
      return checkV4(address);
    case 6:
      // A zone id (fe80::1%eth0) only ever qualifies a non-global address.
      return address.includes('%') ? { allowed: false, range: 'scoped' } : checkV6(address);
    default:
      return { allowed: false, range: 'not-an-ip-address' };
  }
}

/** Loopback in either family: the only thing `allowLoopbackHttp` lets through. */
export function isLoopbackAddress(address: string): boolean {
  const verdict = checkAddress(address);
  return !verdict.allowed && verdict.range === 'loopback';
}
