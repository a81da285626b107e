// Access tokens are bound to their login (`sid`, the refresh-token family): ending the login
// ends every access token it issued, with the verified-token cache warm (each token answers
// 200 once before the revocation), on both SQL dialects. Other logins of the same user live on.
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { bearer, form, login, STRONG_PASSWORD, type Tokens } from '../../helpers/app.ts';
import { request } from '../../helpers/http.ts';
import { BACKENDS, startIdentity, WHOAMI, type IdentityHarness } from './identity-harness.ts';

const OPERATOR = { id: null, clientIp: null };

for (const backend of BACKENDS) {
  describe(`access tokens bound to their login (${backend})`, () => {
    let h: IdentityHarness;
    before(async () => {
      h = await startIdentity(backend);
      await h.identity.createUser({ username: 'bound', password: STRONG_PASSWORD, role: 'user' }, OPERATOR);
    });
    after(() => h.close());

    const whoami = (token: string) => request(h.url, WHOAMI, { headers: bearer(token) });
    const refresh = (token: string) => request(h.url, '/v1/auth/token', form({ grant_type: 'refresh_token', refresh_token: token }));
    /** A login and one rotation: two access tokens of one family, each used once (cache warm). */
    async function loginTwice(): Promise<{ first: Tokens; second: Tokens }> {
      const first = await login(h.url, 'bound');
      const rotated = await refresh(first.refresh_token);
      assert.equal(rotated.status, 200, rotated.body);
      const second = rotated.json() as Tokens;
      assert.equal((await whoami(first.access_token)).status, 200);
      assert.equal((await whoami(second.access_token)).status, 200);
      return { first, second };
    }

    test('logout without a refresh token in the body ends the whole login', async () => {
      const { first, second } = await loginTwice();
      const other = await login(h.url, 'bound');
      const logout = await request(h.url, '/v1/auth/logout', { method: 'POST', headers: bearer(second.access_token) });
      assert.equal(logout.status, 204);
      assert.equal((await whoami(first.access_token)).status, 401, 'the first access token of the login');
      assert.equal((await whoami(second.access_token)).status, 401, 'the access token logout was called with');
      assert.equal((await refresh(second.refresh_token)).status, 400, 'the login’s refresh token');
      assert.equal((await whoami(other.access_token)).status, 200, 'another login of the same user is untouched');
    });

    test('refresh-token reuse ends every access token of the family', async () => {
      const { first, second } = await loginTwice();
      const reuse = await refresh(first.refresh_token);
      assert.equal(reuse.status, 400);
      assert.equal((await whoami(first.access_token)).status, 401);
      assert.equal((await whoami(second.access_token)).status, 401);
      assert.equal((await refresh(second.refresh_token)).status, 400);
    });

    test('RFC 7009 revocation of a refresh token ends its login’s access tokens', async () => {
      const { second } = await loginTwice();
      assert.equal((await request(h.url, '/v1/auth/revoke', form({ token: second.refresh_token }))).status, 200);
      assert.equal((await whoami(second.access_token)).status, 401);
    });

    test('a token with no login, or another login’s id, is refused', async () => {
      const user = await h.identity.users.findByUsername('bound');
      const { first } = await loginTwice();
      const sid = (JSON.parse(Buffer.from(first.access_token.split('.')[1]!, 'base64url').toString()) as { sid: string }).sid;
      await request(h.url, '/v1/auth/logout', { method: 'POST', headers: bearer(first.access_token) });
      // Signed by the identity itself (as a key compromise is not the subject here), bound to the ended login.
      const minted = await h.identity.tokens.issue(user!.id, 'profile', 'rampart-console', ['user'], { ver: user!.token_version, sid });
      assert.equal((await whoami(minted.token)).status, 401);
    });
  });
}
