import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { classify, maskSecrets } from '../../../src/audit/checks/inventory.ts';
import type { HttpResponse } from '../../../src/audit/http/client.ts';
import { audit, describe as list, findingAt, findingsOf, startTwins } from '../helpers.ts';
import type { Twins } from '../helpers.ts';
import { closeAll } from '../../helpers/close-all.ts';

let twins: Twins;
before(async () => {
  twins = await startTwins();
});
after(() => closeAll(twins));

function answer(status: number, type: string, text: string): HttpResponse {
  const body = Buffer.from(text);
  return { status, headers: { 'content-type': type }, body, text, truncated: false, durationMs: 1 };
}

describe('inventory check', () => {
  test('finds open docs (labelled development-only), a debug dump and a chatty status page', async () => {
    const result = await audit(twins.vuln, { only: ['inventory'] });
    const docs = findingAt(result, 'inventory.docs-exposed', 'GET', '/docs');
    assert.ok(docs, list(result));
    assert.equal(docs.context, 'development-only');
    assert.ok(findingAt(result, 'inventory.docs-exposed', 'GET', '/openapi.json'), list(result));
    const debug = findingAt(result, 'inventory.debug-endpoint', 'GET', '/debug/vars');
    assert.ok(debug, list(result));
    assert.equal(debug.severity, 'high');
    // The report proves the leak without spreading the secret.
    const excerpt = debug.evidence.exchanges[0]!.response!.bodyExcerpt;
    assert.doesNotMatch(excerpt, /Sup3rS3cret|dev-jwt-secret-value/);
    assert.ok(findingAt(result, 'inventory.status-details', 'GET', '/status'), list(result));
  });

  test('finds a spec route answering without its declared authentication, and an undocumented route revealed by a link', async () => {
    const result = await audit(twins.vuln, { only: ['inventory'] });
    const open = findingAt(result, 'inventory.unauthenticated-route', 'GET', '/invoices');
    assert.ok(open, list(result));
    assert.equal(open.owasp, 'API2:2023');
    assert.equal(open.cwe, 306);
    assert.equal(open.evidence.exchanges[0]!.request.headers.authorization, undefined);
    assert.equal(open.evidence.exchanges[0]!.response!.status, 200);
    // Declared and enforced: not reported.
    assert.equal(findingAt(result, 'inventory.unauthenticated-route', 'GET', '/reports'), undefined);
    const hidden = findingAt(result, 'inventory.undocumented-route', 'GET', '/internal/export');
    assert.ok(hidden, list(result));
    assert.match(hidden.evidence.summary, /GET \/items links to/);
  });

  test('reports nothing on the fixed twin', async () => {
    const result = await audit(twins.fixed, { only: ['inventory'], ca: twins.ca });
    assert.deepEqual(result.findings, [], list(result));
  });

  test('without a spec it still probes docs, debug and status paths', async () => {
    const vulnerable = await audit(twins.vuln, { only: ['inventory'], openapi: undefined });
    assert.equal(vulnerable.spec?.discovered, true, 'the public spec is found where frameworks publish it');
    assert.ok(findingAt(vulnerable, 'inventory.debug-endpoint', 'GET', '/debug/vars'), list(vulnerable));
    const discovered = await audit(twins.fixed, { only: ['inventory'], openapi: undefined, ca: twins.ca });
    // The fixed twin publishes no document: what the crawler learnt stands in for one.
    assert.match(discovered.spec?.source ?? '', /^discovered by crawling /);
    assert.deepEqual(findingsOf(discovered, 'inventory.docs-exposed'), []);
  });

  test('judges well-known paths by content, not by status', () => {
    assert.equal(classify(answer(200, 'application/json', '{"status":"ok"}')), undefined);
    assert.equal(classify(answer(200, 'text/html', '<h1>Welcome</h1>')), undefined);
    assert.equal(classify(answer(401, 'text/html', '<div id="swagger-ui"></div>')), undefined);
    assert.equal(classify(answer(200, 'text/html', '<script>SwaggerUIBundle({})</script>'))?.rule, 'inventory.docs-exposed');
    assert.equal(classify(answer(200, 'text/plain', 'DB_HOST=db\nDB_PASSWORD=x\nAPI_KEY=y\n'))?.rule, 'inventory.debug-endpoint');
    assert.equal(classify(answer(200, 'text/plain', '# HELP a x\n# TYPE a counter\n# HELP b y\na 1\n'))?.rule, 'inventory.status-details');
    assert.equal(maskSecrets('"JWT_SECRET":"abcdef123","user":"ada"'), '"JWT_SECRET":"***","user":"ada"');
    assert.equal(maskSecrets('DB_PASSWORD=hunter2\nPORT=80'), 'DB_PASSWORD=***\nPORT=80');
  });
});
