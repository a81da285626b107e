import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { frameProtected } from '../../../src/audit/checks/headers.ts';
import { audit, describe as list, findingAt, startTwins } from '../helpers.ts';
import type { Twins } from '../helpers.ts';
import { closeAll } from '../../helpers/close-all.ts';

let twins: Twins;
before(async () => {
  twins = await startTwins();
});
after(() => closeAll(twins));

describe('headers check', () => {
  test('finds a frameable HTML page, missing nosniff, JSON served as HTML and version headers on the vulnerable API', async () => {
    const result = await audit(twins.vuln, { only: ['headers'] });
    const click = findingAt(result, 'headers.clickjacking', 'GET', '/pages/welcome');
    assert.ok(click, list(result));
    assert.equal(click.severity, 'medium');
    assert.equal(click.owasp, 'API8:2023');
    assert.equal(click.cwe, 1021);
    assert.equal(click.evidence.exchanges[0]!.response!.headers['x-frame-options'], undefined);
    assert.match(click.evidence.exchanges[0]!.response!.bodyExcerpt, /<form/);
    assert.ok(findingAt(result, 'headers.missing-nosniff', 'GET', '/items'), list(result));
    const json = findingAt(result, 'headers.json-content-type', 'GET', '/search/suggest');
    assert.ok(json, list(result));
    assert.match(json.evidence.exchanges[0]!.response!.headers['content-type']!, /text\/html/);
    const version = findingAt(result, 'headers.version-disclosure', 'GET', '/items');
    assert.ok(version, list(result));
    assert.match(version.evidence.summary, /nginx\/1\.18\.0/);
    assert.equal(findingAt(result, 'headers.framework-disclosure', 'GET', '/items')?.severity, 'info');
  });

  test('does not call a JSON answer served as HTML clickjackable: it has nothing to click', async () => {
    const result = await audit(twins.vuln, { only: ['headers'] });
    assert.equal(findingAt(result, 'headers.clickjacking', 'GET', '/search/suggest'), undefined);
  });

  test('reports nothing on the fixed twin', async () => {
    const result = await audit(twins.fixed, { only: ['headers'], ca: twins.ca });
    assert.deepEqual(result.findings, [], list(result));
  });

  test('frame protection: X-Frame-Options DENY/SAMEORIGIN or CSP frame-ancestors', () => {
    assert.equal(frameProtected({ 'x-frame-options': 'DENY' }), true);
    assert.equal(frameProtected({ 'x-frame-options': 'sameorigin' }), true);
    assert.equal(frameProtected({ 'x-frame-options': 'ALLOW-FROM https://a.example' }), false);
    assert.equal(frameProtected({ 'content-security-policy': "default-src 'self'; frame-ancestors 'none'" }), true);
    assert.equal(frameProtected({ 'content-security-policy': "default-src 'self'" }), false);
    assert.equal(frameProtected({}), false);
  });
});
