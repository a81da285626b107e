import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { placement } from '../../../src/audit/checks/ssrf.ts';
import { parseCallbackUrl, startCanary } from '../../../src/audit/ssrf/canary.ts';
import { audit, describe as list, findingAt } from '../helpers.ts';
import { ALL_IDENTITIES, startPlainTwins } from './plain-twins.ts';
import type { PlainTwins } from './plain-twins.ts';
import { closeAll } from '../../helpers/close-all.ts';

let twins: PlainTwins;
before(async () => {
  twins = await startPlainTwins();
});
after(() => closeAll(twins));

describe('ssrf check', () => {
  test('proves the link preview fetches a URL the client names, by a hit on its own canary path', async () => {
    const result = await audit(twins.vuln, { only: ['ssrf'], identities: ALL_IDENTITIES });
    const finding = findingAt(result, 'ssrf.url-fetched', 'POST', '/link-previews');
    assert.ok(finding, list(result));
    assert.equal(finding.affected[0]!.parameter, 'url');
    assert.equal(finding.owasp, 'API7:2023');
    assert.equal(finding.cwe, 918);
    const sent = JSON.parse(finding.evidence.exchanges[0]!.request.bodyExcerpt!) as { url: string };
    assert.match(sent.url, /^http:\/\/127\.0\.0\.1:\d+\/rampart-probe-POST-url-[0-9a-f]{12}$/);
    assert.ok(finding.evidence.summary.includes(new URL(sent.url).pathname), 'the hit named the probe path');
    assert.equal(result.findings.length, 1, list(result));
  });

  test('reports nothing on the fixed twin, which refuses internal addresses', async () => {
    const result = await audit(twins.fixed, { only: ['ssrf'], identities: ALL_IDENTITIES });
    assert.deepEqual(result.findings, [], list(result));
  });

  test('never aims a remote target at an address of its own choosing', () => {
    assert.deepEqual(placement(true, undefined), { listen: 'loopback' });
    const remote = placement(false, undefined);
    assert.ok('refused' in remote && /--callback-url/.test(remote.refused));
    const chosen = placement(false, 'http://cb.example.net:8089/');
    assert.ok('listen' in chosen && chosen.listen === 'callback' && chosen.url.port === '8089');
    assert.ok('refused' in placement(false, 'ftp://cb.example.net/'));
  });
});

describe('ssrf canary', () => {
  test('attributes a hit to the probe whose path it carries, and only listens on loopback', async () => {
    const canary = await startCanary();
    try {
      const a = canary.url('POST-url');
      const b = canary.url('GET-feed');
      assert.match(a, /^http:\/\/127\.0\.0\.1:\d+\/rampart-probe-POST-url-[0-9a-f]{12}$/);
      assert.notEqual(new URL(a).pathname, new URL(b).pathname);
      const answer = await fetch(a);
      assert.equal(answer.status, 200);
      await answer.arrayBuffer();
      assert.equal(canary.hitsFor(a).length, 1);
      assert.equal(canary.hitsFor(b).length, 0);
      assert.deepEqual(await canary.waitFor(b, 50), []);
    } finally {
      await canary.close();
    }
  });

  test('a callback URL must be plain http without credentials', () => {
    assert.throws(() => parseCallbackUrl('https://cb.example.com/'), /http:\/\//);
    assert.throws(() => parseCallbackUrl('http://u:p@cb.example.com/'), /credentials/);
    assert.equal(parseCallbackUrl('http://cb.example.com:8089/x?y=1').href, 'http://cb.example.com:8089/x');
  });
});
