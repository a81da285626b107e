import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { lookalikes } from '../../../src/audit/checks/cors.ts';
import { audit, describe as list, findingAt, startTwins } from '../helpers.ts';
import type { Twins } from '../helpers.ts';
import { closeAll } from '../../helpers/close-all.ts';

let twins: Twins;
before(async () => {
  twins = await startTwins();
});
after(() => closeAll(twins));

describe('cors check', () => {
  test('proves each broken origin policy of the vulnerable API with the echoed header', async () => {
    const result = await audit(twins.vuln, { only: ['cors'] });
    const any = findingAt(result, 'cors.any-origin-credentials', 'GET', '/account');
    assert.ok(any, list(result));
    assert.equal(any.severity, 'high');
    const proof = any.evidence.exchanges[0]!;
    assert.equal(proof.response!.headers['access-control-allow-origin'], proof.request.headers.origin);
    assert.equal(proof.response!.headers['access-control-allow-credentials'], 'true');

    const nul = findingAt(result, 'cors.null-origin-credentials', 'GET', '/widgets');
    assert.ok(nul, list(result));
    assert.equal(nul.evidence.exchanges[0]!.response!.headers['access-control-allow-origin'], 'null');

    const prefix = findingAt(result, 'cors.lookalike-origin', 'GET', '/partners');
    assert.ok(prefix, list(result));
    assert.equal(prefix.severity, 'low');
    assert.match(prefix.evidence.exchanges[1]!.request.headers.origin!, /^https:\/\/api\.example\.com\./);

    const suffix = findingAt(result, 'cors.lookalike-origin-credentials', 'GET', '/feeds');
    assert.ok(suffix, list(result));
    assert.equal(suffix.evidence.exchanges[0]!.request.headers.origin, 'https://api.example.com');
  });

  test('does not report look-alikes where any origin is echoed anyway, nor routes without CORS', async () => {
    const result = await audit(twins.vuln, { only: ['cors'] });
    const routes = result.findings.flatMap((f) => f.affected.map((l) => l.route));
    assert.deepEqual([...new Set(routes)].sort(), ['/account', '/feeds', '/partners', '/widgets']);
    assert.equal(findingAt(result, 'cors.lookalike-origin-credentials', 'GET', '/account'), undefined);
  });

  test('reports nothing on the fixed twin, which allows exactly one origin', async () => {
    const result = await audit(twins.fixed, { only: ['cors'], ca: twins.ca });
    assert.deepEqual(result.findings, [], list(result));
  });

  test('look-alikes are origins an attacker could register', () => {
    const made = lookalikes('https://app.example.com', 'zz');
    assert.deepEqual(
      made.map((l) => [l.kind, l.origin]),
      [
        ['prefix', 'https://app.example.com.zz.example'],
        ['suffix', 'https://zzexample.com'],
        ['unescaped-dot', 'https://appxexample.com'],
      ],
    );
    assert.deepEqual(lookalikes('http://127.0.0.1:3000', 'zz'), []);
    assert.deepEqual(lookalikes('http://localhost:3000', 'zz'), []);
    // With a port, a prefix look-alike cannot be a real browser origin.
    assert.deepEqual(lookalikes('https://example.com:8443', 'zz').map((l) => l.origin), ['https://zzexample.com:8443']);
  });
});
