import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { findOthersPersonalData, findSecrets, HASH_SHAPE } from '../../../src/audit/checks/data-exposure.ts';
import { audit, describe as list, findingAt, IDENTITIES, startTwins } from '../helpers.ts';
import type { Twins } from '../helpers.ts';
import { closeAll } from '../../helpers/close-all.ts';

let twins: Twins;
before(async () => {
  twins = await startTwins();
});
after(() => closeAll(twins));

describe('data-exposure check', () => {
  test('finds password hashes, API keys and other users\' emails in the user directory', async () => {
    const result = await audit(twins.vuln, { only: ['data-exposure'], identities: IDENTITIES });
    const hashes = findingAt(result, 'data-exposure.password-hash', 'GET', '/users');
    assert.ok(hashes, list(result));
    assert.equal(hashes.cwe, 213);
    assert.match(hashes.evidence.summary, /passwordHash/);
    assert.match(hashes.evidence.exchanges[0]!.response!.bodyExcerpt, /\$2b\$12\$/);
    assert.ok(findingAt(result, 'data-exposure.secret', 'GET', '/users'), list(result));
    assert.ok(findingAt(result, 'data-exposure.personal-data', 'GET', '/users'), list(result));
    assert.equal(findingAt(result, 'data-exposure.password-hash', 'GET', '/me'), undefined, 'a profile without secrets is fine');
  });

  test('reports nothing on the fixed twin, whose directory lists names only', async () => {
    const result = await audit(twins.fixed, { only: ['data-exposure'], identities: IDENTITIES, ca: twins.ca });
    assert.deepEqual(result.findings, [], list(result));
  });

  test('judges by value shape, not by field name alone', () => {
    assert.ok(HASH_SHAPE.test('$argon2id$v=19$m=65536,t=3,p=4$c2FsdHNhbHQ$aGFzaGhhc2hoYXNo'));
    assert.ok(HASH_SHAPE.test('$2a$10$N9qo8uLOickgx2ZMRZoMyeIjZAgcfl7p92ldGxad68LJZdL17lhWy'));
    assert.ok(!HASH_SHAPE.test('$2a$10$short'));
    assert.deepEqual(findSecrets({ password: 'required', token_type: 'bearer', api_key_prefix: 'rk_1234' }), []);
    assert.deepEqual(findSecrets({ access_token: 'eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiIxMjM0In0.sig' }).map((e) => e.kind), ['secret']);
    assert.deepEqual(findSecrets({ aws: 'AKIAIOSFODNN7EXAMPLE' }).map((e) => e.kind), ['secret']);
    assert.deepEqual(findSecrets({ token: 'x' }, []), []);
    const own = 'eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiIxMjM0In0.sig';
    assert.deepEqual(findSecrets({ access_token: own }, [own]), [], "the caller's own token is not a leak");
    assert.equal(findOthersPersonalData([{ username: 'a', email: 'a@x.org' }]), undefined, 'one person: their own data');
    assert.equal(findOthersPersonalData([{ username: 'a', email: 'a@x.org' }, { username: 'b', email: 'b@x.org' }])?.field, 'email');
    assert.equal(findOthersPersonalData({ items: [{ sku: 1, email: 'a@x.org' }, { sku: 2, email: 'b@x.org' }] }), undefined, 'not person records');
  });
});
