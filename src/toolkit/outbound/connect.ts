// The connect step, where the SSRF check really happens. Each new connection resolves the
// host once, refuses it unless every address it resolved to is allowed, and then connects
// to exactly the address it checked — the name is never resolved again, so a DNS answer
// that changes between check and use (rebinding) has nothing to change. TLS still verifies
// the certificate for the host name (`servername`), not for the address.
import { lookup } from 'node:dns/promises';
import { isIP } from 'node:net';
import { buildConnector } from 'undici';
import { checkAddress } from './address-policy.ts';
import { OutboundRefused } from './errors.ts';
import { checkPort, isLocalName, loopbackExempt } from './url-policy.ts';

export interface ResolvedAddress {
  address: string;
  family: number;
}

/** Name to addresses, like `dns.lookup(name, { all: true })`. Injectable for tests. */
export type Resolver = (hostname: string) => Promise<readonly ResolvedAddress[]>;

/** Where a connection goes: always a checked IP address, with the name kept for TLS. */
export interface ConnectTarget {
  hostname: string;
  address: string;
  family: 4 | 6;
  port: number;
  protocol: 'http:' | 'https:';
  /** The TLS server name (SNI and certificate check); undefined for IP-literal URLs. */
  servername: string | undefined;
}

/** Opens the socket to a checked target. Injectable, so tests can prove none was opened. */
export type Connector = (target: ConnectTarget, callback: buildConnector.Callback) => void;

export const systemResolver: Resolver = (hostname) => lookup(hostname, { all: true, order: 'verbatim' });

export function socketConnector(timeoutMs: number): Connector {
  const base = buildConnector({ timeout: timeoutMs, allowH2: false });
  return (target, callback) => {
    base({ hostname: target.address, host: target.address, protocol: target.protocol, port: String(target.port), servername: target.servername }, callback);
  };
}

export interface GuardOptions {
  resolver: Resolver;
  connector: Connector;
  allowLoopbackHttp: boolean;
  /** See UrlPolicy.allowedPorts; checked again here, on the port actually dialled. */
  allowedPorts?: readonly number[];
}

/** Resolves and checks; the address returned is the only one the connection may use. */
export async function checkedTarget(hostname: string, protocol: 'http:' | 'https:', port: number, options: GuardOptions): Promise<ConnectTarget> {
  const literal = isIP(hostname);
  if (literal !== 0) {
    if (!loopbackExempt(options, protocol, hostname)) {
      const verdict = checkAddress(hostname);
      if (!verdict.allowed) throw new OutboundRefused('address', `${hostname} is not a public address`, verdict.range);
    }
    checkPort(options, protocol, hostname, port);
    return { hostname, address: hostname, family: literal === 4 ? 4 : 6, port, protocol, servername: undefined };
  }
  if (isLocalName(hostname)) throw new OutboundRefused('hostname', `${hostname} names the local host`);
  let addresses: readonly ResolvedAddress[];
  try {
    addresses = await options.resolver(hostname);
  } catch {
    throw new OutboundRefused('resolution-failed', `${hostname} did not resolve`);
  }
  if (addresses.length === 0) throw new OutboundRefused('resolution-failed', `${hostname} did not resolve`);
  // One refused address refuses the name: a public name has no business resolving into a
  // private network, and a mixed answer is a classic rebinding set-up.
  for (const { address } of addresses) {
    const verdict = checkAddress(address);
    if (!verdict.allowed) throw new OutboundRefused('address', `${hostname} resolves to a non-public address`, verdict.range);
  }
  checkPort(options, protocol, hostname, port);
  const chosen = addresses[0]!;
  return { hostname, address: chosen.address, family: isIP(chosen.address) === 6 ? 6 : 4, port, protocol, servername: hostname };
}

/** The `connect` function for an undici Agent. */
export function guardedConnect(options: GuardOptions): buildConnector.connector {
  return (connectOptions, callback) => {
    const protocol = connectOptions.protocol === 'https:' ? 'https:' : 'http:';
    if (connectOptions.protocol !== protocol) {
      callback(new OutboundRefused('scheme', 'only http and https URLs are allowed'), null);
      return;
    }
    const port = connectOptions.port === '' ? (protocol === 'https:' ? 443 : 80) : Number(connectOptions.port);
    checkedTarget(connectOptions.hostname, protocol, port, options).then(
      (target) => {
        options.connector(target, callback);
      },
      (error: unknown) => {
        callback(error instanceof Error ? error : new Error('connect failed'), null);
      },
    );
  };
}
