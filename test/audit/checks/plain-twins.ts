// Both twins over plain HTTP on loopback, with in-process access to their data, for the checks
// that act as identities: each test can prove the audit left the data as it found it.
import { startVulnerableApi, FIXED, VULN } from '../../fixtures/vulnerable-api/server.ts';
import type { RunningFixture } from '../../fixtures/vulnerable-api/server.ts';
import { BROWSER_IDENTITY, IDENTITIES } from '../helpers.ts';
import type { IdentitySpec } from '../../../src/audit/identities/config.ts';

export interface PlainTwins {
  vuln: string;
  fixed: string;
  fixture: RunningFixture;
  close(): Promise<void>;
}

export async function startPlainTwins(): Promise<PlainTwins> {
  const fixture = await startVulnerableApi();
  return { vuln: `${fixture.httpOrigin}${VULN}/`, fixed: `${fixture.httpOrigin}${FIXED}/`, fixture, close: () => fixture.close() };
}

/** alice, bob, admin (login) and the browser session (cookie). */
export const ALL_IDENTITIES: IdentitySpec[] = [...IDENTITIES, BROWSER_IDENTITY];

/** Logs in as a fixture user with the real password: proof the account is not locked out. */
export async function canLogIn(base: string, username: string, password: string): Promise<number> {
  const response = await fetch(new URL('auth/token', base), {
    method: 'POST',
    headers: { 'content-type': 'application/x-www-form-urlencoded' },
    body: new URLSearchParams({ grant_type: 'password', username, password }).toString(),
  });
  await response.arrayBuffer();
  return response.status;
}
