// Identities for audits of the Flask and Express fixtures in check tests: their users' tokens,
// taken by logging in the way each fixture's README says (tokens live 120 s and 90 s, longer
// than one check's audit), given to the audit as bearer identities.
import type { IdentitySpec } from '../../../src/audit/identities/config.ts';
import type { RunningExpress } from '../../fixtures/vulnerable-express/start.ts';
import type { RunningFlask } from '../../fixtures/vulnerable-flask/start.ts';
import { call } from '../../fixtures-check/http.ts';

type Role = 'user' | 'admin';

async function bearer(name: string, role: Role, token: unknown): Promise<IdentitySpec> {
  if (typeof token !== 'string') throw new Error(`no token for ${name}`);
  return Promise.resolve({ name, role, credential: { kind: 'bearer', token } });
}

/** alice and bob (users) and admin of a Flask twin. */
export async function flaskIdentities(fx: RunningFlask, base: string, names: readonly ('alice' | 'bob' | 'admin')[] = ['alice', 'bob', 'admin']): Promise<IdentitySpec[]> {
  const out: IdentitySpec[] = [];
  for (const name of names) {
    const answer = await call(base, 'POST', fx.login.path, { body: { [fx.login.userField]: name, [fx.login.passwordField]: fx.users[name].password } });
    out.push(await bearer(name, name === 'admin' ? 'admin' : 'user', answer.json?.data?.jwt));
  }
  return out;
}

/** alice and bob (users) and admin of an Express twin, in the fixture's current names. */
export async function expressIdentities(fx: RunningExpress, base: string, names: readonly ('alice' | 'bob' | 'admin')[] = ['alice', 'bob', 'admin']): Promise<IdentitySpec[]> {
  const out: IdentitySpec[] = [];
  for (const name of names) {
    const answer = await call(base, 'POST', fx.login.path, { body: { [fx.login.userField]: name, [fx.login.passwordField]: fx.users[name].password } });
    out.push(await bearer(name, name === 'admin' ? 'admin' : 'user', answer.json?.[fx.login.tokenField]));
  }
  return out;
}
