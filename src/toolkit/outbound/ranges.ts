// Address ranges that server-side requests must never reach (OWASP API7 SSRF). Sources: RFC
// 6890 (special-purpose address registries) and the IANA IPv4/IPv6 Special-Purpose Address
// Registries as updated since (RFC 8190, 9637). We refuse every special-purpose block,
// including the few the registry marks "globally reachable" (anycast relays, AS112, AMT):
// none of them is a host a webhook or a fetched URL could legitimately be.
//
// IPv6 is checked the other way round as well (see address-policy.ts): only 2000::/3, the
// global unicast space (RFC 4291 §2.4), is allowed at all, plus NAT64 64:ff9b::/96 when the
// IPv4 address it embeds is itself allowed.

export interface Range {
  /** Short reason code, e.g. `private`; reported in OutboundRefused. */
  name: string;
  cidr: string;
  /** Where the block is defined, for the reader. */
  source: string;
}

export const IPV4_REFUSED: readonly Range[] = [
  { name: 'unspecified', cidr: '0.0.0.0/8', source: 'RFC 791 / RFC 1122 §3.2.1.3 "this network"; 0.0.0.0 reaches the local host on Linux' },
  { name: 'private', cidr: '10.0.0.0/8', source: 'RFC 1918' },
  { name: 'cgnat', cidr: '100.64.0.0/10', source: 'RFC 6598 shared address space (carrier-grade NAT)' },
  { name: 'loopback', cidr: '127.0.0.0/8', source: 'RFC 1122 §3.2.1.3' },
  { name: 'link-local', cidr: '169.254.0.0/16', source: 'RFC 3927; cloud metadata services live at 169.254.169.254' },
  { name: 'private', cidr: '172.16.0.0/12', source: 'RFC 1918' },
  { name: 'protocol-assignments', cidr: '192.0.0.0/24', source: 'RFC 6890 §2.2.2 IETF protocol assignments (DS-Lite, PCP/TURN anycast)' },
  { name: 'documentation', cidr: '192.0.2.0/24', source: 'RFC 5737 TEST-NET-1' },
  { name: 'anycast', cidr: '192.31.196.0/24', source: 'RFC 7535 AS112-v4' },
  { name: 'anycast', cidr: '192.52.193.0/24', source: 'RFC 7450 AMT' },
  { name: 'anycast', cidr: '192.88.99.0/24', source: 'RFC 7526 deprecated 6to4 relay anycast' },
  { name: 'private', cidr: '192.168.0.0/16', source: 'RFC 1918' },
  { name: 'anycast', cidr: '192.175.48.0/24', source: 'RFC 7534 direct delegation AS112' },
  { name: 'benchmarking', cidr: '198.18.0.0/15', source: 'RFC 2544' },
  { name: 'documentation', cidr: '198.51.100.0/24', source: 'RFC 5737 TEST-NET-2' },
  { name: 'documentation', cidr: '203.0.113.0/24', source: 'RFC 5737 TEST-NET-3' },
  { name: 'multicast', cidr: '224.0.0.0/4', source: 'RFC 5771' },
  // 255.255.255.255 (limited broadcast, RFC 919) lies inside it; both are refused.
  { name: 'reserved', cidr: '240.0.0.0/4', source: 'RFC 1112 §4 reserved for future use' },
];

/** Named IPv6 blocks. Most lie outside 2000::/3 and would be refused anyway; naming them gives a precise reason. */
export const IPV6_REFUSED: readonly Range[] = [
  { name: 'unspecified', cidr: '::/128', source: 'RFC 4291 §2.5.2' },
  { name: 'loopback', cidr: '::1/128', source: 'RFC 4291 §2.5.3' },
  { name: 'ipv4-mapped', cidr: '::ffff:0:0/96', source: 'RFC 4291 §2.5.5.2; a dual-stack socket sends it to the embedded IPv4 address' },
  { name: 'ipv4-translated', cidr: '::ffff:0:0:0/96', source: 'RFC 2765 SIIT' },
  { name: 'ipv4-compatible', cidr: '::/96', source: 'RFC 4291 §2.5.5.1 (deprecated)' },
  { name: 'nat64-local', cidr: '64:ff9b:1::/48', source: 'RFC 8215 local-use IPv4/IPv6 translation' },
  { name: 'discard', cidr: '100::/64', source: 'RFC 6666 discard-only' },
  { name: 'protocol-assignments', cidr: '2001::/23', source: 'RFC 2928 IETF protocol assignments (Teredo 2001::/32, benchmarking 2001:2::/48, ORCHID)' },
  { name: 'documentation', cidr: '2001:db8::/32', source: 'RFC 3849' },
  { name: 'anycast', cidr: '2620:4f:8000::/48', source: 'RFC 7534 direct delegation AS112' },
  { name: 'documentation', cidr: '3fff::/20', source: 'RFC 9637' },
  { name: 'srv6-sid', cidr: '5f00::/16', source: 'RFC 9602 segment routing SIDs' },
  { name: 'unique-local', cidr: 'fc00::/7', source: 'RFC 4193' },
  { name: 'link-local', cidr: 'fe80::/10', source: 'RFC 4291 §2.5.6' },
  { name: 'site-local', cidr: 'fec0::/10', source: 'RFC 3879 (deprecated)' },
  { name: 'multicast', cidr: 'ff00::/8', source: 'RFC 4291 §2.7' },
];

/** Blocks that carry an IPv4 address inside an IPv6 one: allowed only when the IPv4 address is. */
export const NAT64_WELL_KNOWN = '64:ff9b::/96'; // RFC 6052 §2.1, IPv4 in the last 32 bits
export const SIX_TO_FOUR = '2002::/16'; // RFC 3056, IPv4 in bits 16-47
