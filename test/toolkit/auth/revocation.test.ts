// Revoking every login of a user (password change, disable) by a per-user token version, on
// both SQL dialects: with the identity's clock frozen, a token issued in the same millisecond
// as the revocation is judged by order, never by time — before it: refused; after it: accepted.
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { bearer, login, STRONG_PASSWORD } from '../../helpers/app.ts';
import { request } from '../../helpers/http.ts';
import { BACKENDS, startIdentity, WHOAMI, type IdentityHarness } from './identity-harness.ts';

const OPERATOR = { id: null, clientIp: null };
const NEW_PASSWORD = 'an-entirely-new-passphrase-42';

for (const backend of BACKENDS) {
  describe(`revocation by token version (${backend})`, () => {
    let h: IdentityHarness;
    before(async () => {
      h = await startIdentity(backend);
    });
    after(() => h.close());

    const whoami = (token: string) => request(h.url, WHOAMI, { headers: bearer(token) });
    const sessionLogin = (username: string, password: string) =>
      request(h.url, '/v1/auth/session', { method: 'POST', headers: { 'content-type': 'application/json', origin: h.url }, body: JSON.stringify({ username, password }) });
    const cookieOf = (response: { headers: Record<string, string | string[] | undefined> }): string => String(response.headers['set-cookie']).split(';')[0]!;
    const withCookie = (cookie: string) => request(h.url, WHOAMI, { headers: { cookie } });

    async function frozenUser(name: string): Promise<string> {
      h.clock.frozen = undefined;
      const user = await h.identity.createUser({ username: name, password: STRONG_PASSWORD, role: 'user' }, OPERATOR);
      h.clock.frozen = Date.now();
      return user.id;
    }

    test('password change: a token issued before it in the same millisecond is refused, one issued after it works', async () => {
      const id = await frozenUser(`pw-${backend}`);
      try {
        const before = await login(h.url, `pw-${backend}`);
        assert.equal((await whoami(before.access_token)).status, 200);
        await h.identity.changePassword(id, STRONG_PASSWORD, NEW_PASSWORD, '127.0.0.1');
        const afterward = await login(h.url, `pw-${backend}`, NEW_PASSWORD);
        assert.equal((await whoami(before.access_token)).status, 401, 'issued before the change, same millisecond');
        assert.equal((await whoami(afterward.access_token)).status, 200, 'issued after the change, same millisecond');
      } finally {
        h.clock.frozen = undefined;
      }
    });

    test('disable then enable: earlier tokens and sessions stay dead, later ones in the same millisecond work', async () => {
      const id = await frozenUser(`dis-${backend}`);
      try {
        const token = (await login(h.url, `dis-${backend}`)).access_token;
        const session = cookieOf(await sessionLogin(`dis-${backend}`, STRONG_PASSWORD));
        assert.equal((await whoami(token)).status, 200);
        assert.equal((await withCookie(session)).status, 200);
        await h.identity.setDisabled(id, true, OPERATOR);
        await h.identity.setDisabled(id, false, OPERATOR);
        assert.equal((await whoami(token)).status, 401, 'the token from before the disable');
        assert.equal((await withCookie(session)).status, 401, 'the session from before the disable');
        const fresh = (await login(h.url, `dis-${backend}`)).access_token;
        const freshSession = cookieOf(await sessionLogin(`dis-${backend}`, STRONG_PASSWORD));
        assert.equal((await whoami(fresh)).status, 200, 'a token issued after the enable, same millisecond');
        assert.equal((await withCookie(freshSession)).status, 200, 'a session started after the enable, same millisecond');
      } finally {
        h.clock.frozen = undefined;
      }
    });

    test('a forged-looking token version is refused: the claim must equal the current one', async () => {
      const id = await frozenUser(`ver-${backend}`);
      h.clock.frozen = undefined;
      const issued = await h.identity.tokens.issue(id, 'profile', 'rampart-console', ['user'], { ver: 7, sid: 'no-login' });
      assert.equal((await whoami(issued.token)).status, 401, 'a version from the future is not the current one');
      const current = await h.identity.tokens.issue(id, 'profile', 'rampart-console', ['user'], { ver: 0, sid: 'no-login' });
      assert.equal((await whoami(current.token)).status, 200);
    });
  });
}
