// Which URLs a webhook may point at, checked at registration (and again by the outbound
// client at every delivery): HTTPS to a name or address that resolves only to public
// addresses. The one exception is the loudly named development setting, which admits plain
// HTTP to loopback literals so local tests can receive deliveries.
import { isIP } from 'node:net';
import { checkAddress, checkUrl, HttpProblem, OutboundRefused, systemResolver, isLoopbackAddress, type Resolver } from '../../toolkit/index.ts';

export const MAX_WEBHOOK_URL_LENGTH = 2048;
/**
 * The only ports a webhook may name: HTTPS's own and its usual alternative. A public address
 * runs other services on other ports (Redis on 6379, SMTP on 25, SSH on 22, databases, admin
 * consoles), and a webhook POSTs attacker-chosen JSON to whatever listens; an allowlist admits
 * what receivers really use and nothing else. Checked at registration and at every delivery.
 */
export const WEBHOOK_PORTS: readonly number[] = [443, 8443];

const invalid = (detail: string): HttpProblem => new HttpProblem(400, { slug: 'invalid-webhook-url', title: 'Invalid webhook URL', detail });

export interface TargetPolicy {
  allowInsecureLoopback: boolean;
  resolver?: Resolver;
}

/** The normalised URL to store, or a 400 problem saying what is wrong (never echoing the URL). */
export async function checkWebhookTarget(text: string, policy: TargetPolicy): Promise<string> {
  let url: URL;
  try {
    url = checkUrl(text, { allowLoopbackHttp: policy.allowInsecureLoopback, maxUrlLength: MAX_WEBHOOK_URL_LENGTH, allowedPorts: WEBHOOK_PORTS });
  } catch (error) {
    if (error instanceof OutboundRefused) throw invalid(explain(error));
    throw error;
  }
  const host = url.hostname.startsWith('[') ? url.hostname.slice(1, -1) : url.hostname;
  const loopbackDev = policy.allowInsecureLoopback && url.protocol === 'http:' && isIP(host) !== 0 && isLoopbackAddress(host);
  if (url.protocol !== 'https:' && !loopbackDev) throw invalid('Webhook URLs must use https.');
  if (url.hash !== '') throw invalid('Webhook URLs must not have a fragment.');
  if (isIP(host) === 0) {
    let addresses;
    try {
      addresses = await (policy.resolver ?? systemResolver)(host);
    } catch {
      throw invalid('The webhook host does not resolve.');
    }
    if (addresses.length === 0 || addresses.some(({ address }) => !checkAddress(address).allowed)) throw invalid('The webhook host must resolve only to public addresses.');
  }
  return url.href;
}

function explain(error: OutboundRefused): string {
  switch (error.reason) {
    case 'scheme':
      return 'Webhook URLs must use https.';
    case 'credentials':
      return 'Webhook URLs must not contain a user name or password.';
    case 'port':
      return `Webhook URLs may only name port ${WEBHOOK_PORTS.join(' or ')} (443 when none is given).`;
    case 'url-too-long':
      return `Webhook URLs are limited to ${MAX_WEBHOOK_URL_LENGTH} characters.`;
    case 'hostname':
    case 'address':
      return 'The webhook host must be a public address (no loopback, private, link-local or reserved ranges).';
    default:
      return 'The webhook URL is not a valid absolute URL.';
  }
}
