// The address policy on its own: every range the SSRF guard refuses, by example and by
// property (every address of a range, every IPv6 form that embeds a refused IPv4 address).
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { checkAddress, checkUrl, OutboundRefused, type UrlPolicy } from '../../../src/toolkit/index.ts';

const octet = fc.integer({ min: 0, max: 255 });
const v4 = fc.tuple(octet, octet, octet, octet);
const dotted = ([a, b, c, d]: readonly number[]): string => [a, b, c, d].join('.');
const hex16 = (high: number, low: number): string => ((high << 8) | low).toString(16);
/** An IPv4 range as a generator of its addresses. */
function inRange(cidr: string): fc.Arbitrary<string> {
  const [network, bits] = cidr.split('/') as [string, string];
  const base = network.split('.').reduce((n, o) => n * 256 + Number(o), 0);
  const size = 2 ** (32 - Number(bits));
  return fc.integer({ min: 0, max: size - 1 }).map((offset) => {
    const n = base + offset;
    return dotted([n >>> 24, (n >>> 16) & 255, (n >>> 8) & 255, n & 255]);
  });
}
const refused = (address: string): string => {
  const verdict = checkAddress(address);
  if (verdict.allowed) assert.fail(`${address} must be refused`);
  return verdict.range;
};

describe('address policy: IPv4', () => {
  const ranges: [string, string][] = [
    ['10.0.0.0/8', 'private'], ['172.16.0.0/12', 'private'], ['192.168.0.0/16', 'private'],
    ['127.0.0.0/8', 'loopback'], ['169.254.0.0/16', 'link-local'], ['100.64.0.0/10', 'cgnat'],
    ['0.0.0.0/8', 'unspecified'], ['198.18.0.0/15', 'benchmarking'], ['192.0.2.0/24', 'documentation'],
    ['198.51.100.0/24', 'documentation'], ['203.0.113.0/24', 'documentation'], ['224.0.0.0/4', 'multicast'],
    ['240.0.0.0/4', 'reserved'], ['192.0.0.0/24', 'protocol-assignments'],
  ];
  for (const [cidr, name] of ranges) {
    test(`every address in ${cidr} is refused as ${name}`, () => {
      fc.assert(fc.property(inRange(cidr), (address) => refused(address) === name), { numRuns: 300 });
    });
  }

  test('the cloud metadata address and the broadcast address are refused', () => {
    assert.equal(refused('169.254.169.254'), 'link-local');
    assert.equal(refused('255.255.255.255'), 'reserved');
  });

  test('public unicast addresses are allowed, and the edges of private blocks are public', () => {
    for (const address of ['8.8.8.8', '1.1.1.1', '93.184.216.34', '9.255.255.255', '11.0.0.0', '172.15.255.255', '172.32.0.0', '100.63.255.255', '100.128.0.0', '223.255.255.255']) {
      assert.deepEqual(checkAddress(address), { allowed: true, family: 4 }, address);
    }
  });
});

describe('address policy: IPv6', () => {
  test('loopback, unspecified, link-local, ULA, multicast, documentation and site-local are refused', () => {
    const cases: [string, string][] = [
      ['::1', 'loopback'], ['::', 'unspecified'], ['fe80::1', 'link-local'], ['febf:ffff::1', 'link-local'],
      ['fc00::1', 'unique-local'], ['fdff:ffff::1', 'unique-local'], ['ff02::1', 'multicast'], ['ff05::1:3', 'multicast'],
      ['2001:db8::1', 'documentation'], ['3fff::1', 'documentation'], ['fec0::1', 'site-local'], ['100::1', 'discard'],
      ['2001::1', 'protocol-assignments'], ['64:ff9b:1::1', 'nat64-local'], ['fe80::1%eth0', 'scoped'],
    ];
    for (const [address, range] of cases) assert.equal(refused(address), range, address);
  });

  test('every fc00::/7 and fe80::/10 address is refused', () => {
    const group = fc.integer({ min: 0, max: 0xffff });
    fc.assert(fc.property(fc.integer({ min: 0xfc00, max: 0xfdff }), group, group, (first, a, b) => refused(`${first.toString(16)}:${a.toString(16)}::${b.toString(16)}`) === 'unique-local'));
    fc.assert(fc.property(fc.integer({ min: 0xfe80, max: 0xfebf }), group, (first, a) => refused(`${first.toString(16)}::${a.toString(16)}`) === 'link-local'));
  });

  test('every address outside 2000::/3 that is not NAT64 is refused', () => {
    fc.assert(fc.property(fc.integer({ min: 0x4000, max: 0xffff }), fc.integer({ min: 0, max: 0xffff }), (first, last) => !checkAddress(`${first.toString(16)}::${last.toString(16)}`).allowed));
  });

  test('every IPv4-mapped and IPv4-compatible form is refused, whatever it embeds', () => {
    fc.assert(
      fc.property(v4, ([a, b, c, d]) => {
        for (const form of [`::ffff:${dotted([a, b, c, d])}`, `::ffff:${hex16(a, b)}:${hex16(c, d)}`, `0:0:0:0:0:ffff:${hex16(a, b)}:${hex16(c, d)}`]) {
          assert.equal(refused(form), 'ipv4-mapped', form);
        }
        if (a !== 0) assert.equal(refused(`::${dotted([a, b, c, d])}`), 'ipv4-compatible');
        return true;
      }),
    );
  });

  test('NAT64 and 6to4 forms are exactly as allowed as the IPv4 address they embed', () => {
    fc.assert(
      fc.property(v4, ([a, b, c, d]) => {
        const inner = checkAddress(dotted([a, b, c, d])).allowed;
        assert.equal(checkAddress(`64:ff9b::${hex16(a, b)}:${hex16(c, d)}`).allowed, inner);
        assert.equal(checkAddress(`64:ff9b::${dotted([a, b, c, d])}`).allowed, inner);
        assert.equal(checkAddress(`2002:${hex16(a, b)}:${hex16(c, d)}::1`).allowed, inner);
        return true;
      }),
      { numRuns: 2000 },
    );
    assert.equal(refused('64:ff9b::7f00:1'), 'nat64-loopback');
    assert.equal(refused('64:ff9b::a9fe:a9fe'), 'nat64-link-local');
    assert.equal(refused('2002:c0a8:101::1'), '6to4-private');
  });

  test('global unicast addresses are allowed', () => {
    for (const address of ['2606:4700:4700::1111', '2a00:1450:4001:80b::200e', '64:ff9b::808:808', '2002:808:808::1']) {
      assert.deepEqual(checkAddress(address), { allowed: true, family: 6 }, address);
    }
  });

  test('names and malformed text are never treated as addresses', () => {
    for (const text of ['localhost', 'example.com', '[::1]', '127.0.0.1 ', '', '1.2.3', '::ffff:1.2.3.4.5']) assert.equal(checkAddress(text).allowed, false, text);
  });
});

describe('URL policy', () => {
  const policy: UrlPolicy = { allowLoopbackHttp: false, maxUrlLength: 2048 };
  const reason = (url: string, p = policy): string => {
    try {
      checkUrl(url, p);
    } catch (error) {
      assert.ok(error instanceof OutboundRefused);
      return error.reason;
    }
    return 'allowed';
  };

  test('every spelling of a loopback address is normalised and refused', () => {
    for (const url of ['http://127.0.0.1/', 'http://127.1/', 'http://2130706433/', 'http://0177.0.0.1/', 'http://0x7f.0.0.1/', 'http://0x7f000001/', 'http://[::1]/', 'http://[::ffff:127.0.0.1]/', 'http://[64:ff9b::7f00:1]/', 'http://0.0.0.0/', 'http://0/', 'https://[::]/']) {
      assert.equal(reason(url), 'address', url);
    }
  });

  test('local names, other schemes, credentials and overlong URLs are refused', () => {
    assert.equal(reason('http://localhost/'), 'hostname');
    assert.equal(reason('http://LOCALHOST./'), 'hostname');
    assert.equal(reason('https://api.localhost/'), 'hostname');
    for (const url of ['file:///etc/passwd', 'gopher://example.com/', 'ftp://example.com/', 'data:text/plain,x', 'javascript:alert(1)', 'ws://example.com/']) assert.equal(reason(url), 'scheme', url);
    assert.equal(reason('https://user:pass@example.com/'), 'credentials');
    assert.equal(reason('https://user@example.com/'), 'credentials');
    assert.equal(reason(`https://example.com/${'a'.repeat(2048)}`), 'url-too-long');
    assert.equal(reason('not a url'), 'invalid-url');
    // Ports: the scheme's default, 443 and 8443 only (allowedPorts widens or narrows it), checked
    // after the address so a loopback URL is still refused as an address.
    for (const url of ['https://example.com:6379/', 'http://example.com:25/', 'https://93.184.216.34:22/', 'https://example.com:0/', 'http://example.com:8080/']) assert.equal(reason(url), 'port', url);
    for (const url of ['https://example.com/', 'http://example.com/', 'https://example.com:443/', 'https://example.com:8443/']) assert.equal(reason(url), 'allowed', url);
    assert.equal(reason('http://127.0.0.1:6379/'), 'address');
    assert.equal(reason('https://example.com/', { ...policy, allowedPorts: [8443] }), 'port');
    assert.equal(reason('http://127.0.0.1:6379/', { ...policy, allowLoopbackHttp: true }), 'allowed');
    assert.equal(reason('https://example.com/hook'), 'allowed');
  });

  test('allowLoopbackHttp lets through plain HTTP to loopback literals and nothing else', () => {
    const dev = { ...policy, allowLoopbackHttp: true };
    assert.equal(reason('http://127.0.0.1:8080/hook', dev), 'allowed');
    assert.equal(reason('http://[::1]:8080/hook', dev), 'allowed');
    assert.equal(reason('https://127.0.0.1/hook', dev), 'address');
    assert.equal(reason('http://[::ffff:127.0.0.1]/', dev), 'address');
    assert.equal(reason('http://10.0.0.1/', dev), 'address');
    assert.equal(reason('http://localhost/', dev), 'hostname');
  });
});
