// Who wrote a report: every machine-readable format names the tool and its version.
import { readFileSync } from 'node:fs';

function packageVersion(): string {
  try {
    const pkg = JSON.parse(readFileSync(new URL('../../../package.json', import.meta.url), 'utf8')) as { version?: unknown };
    return typeof pkg.version === 'string' ? pkg.version : '0.0.0';
  } catch {
    return '0.0.0';
  }
}

export const TOOL = { name: 'rampart-audit', fullName: 'Rampart API auditor', version: packageVersion() } as const;

/** OWASP API Security Top 10 (2023) pages, for help links. */
const OWASP_PAGES: Record<number, string> = {
  1: '0xa1-broken-object-level-authorization',
  2: '0xa2-broken-authentication',
  3: '0xa3-broken-object-property-level-authorization',
  4: '0xa4-unrestricted-resource-consumption',
  5: '0xa5-broken-function-level-authorization',
  6: '0xa6-unrestricted-access-to-sensitive-business-flows',
  7: '0xa7-server-side-request-forgery',
  8: '0xa8-security-misconfiguration',
  9: '0xa9-improper-inventory-management',
  10: '0xaa-unsafe-consumption-of-apis',
};

const OWASP_NAMES: Record<number, string> = {
  1: 'Broken Object Level Authorization',
  2: 'Broken Authentication',
  3: 'Broken Object Property Level Authorization',
  4: 'Unrestricted Resource Consumption',
  5: 'Broken Function Level Authorization',
  6: 'Unrestricted Access to Sensitive Business Flows',
  7: 'Server Side Request Forgery',
  8: 'Security Misconfiguration',
  9: 'Improper Inventory Management',
  10: 'Unsafe Consumption of APIs',
};

function number(category: string): number {
  return Number(/^API(\d+):2023$/.exec(category)?.[1] ?? '0');
}

export function owaspUrl(category: string): string {
  const page = OWASP_PAGES[number(category)];
  return page === undefined ? 'https://owasp.org/API-Security/' : `https://owasp.org/API-Security/editions/2023/en/${page}/`;
}

/** `API8:2023 Security Misconfiguration`. */
export function owaspLabel(category: string): string {
  const name = OWASP_NAMES[number(category)];
  return name === undefined ? category : `${category} ${name}`;
}

export function cweUrl(cwe: number): string {
  return `https://cwe.mitre.org/data/definitions/${cwe}.html`;
}
