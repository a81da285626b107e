// A spec that documents only part of an API no longer bounds the audit: with the no-spec
// fixture's partner document given as --openapi, discovery adds the shop's own routes (unless
// --spec-only), and --save-discovered writes the one operation list the audit used.
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { mergeCrawled } from '../../../src/audit/discovery/merge.ts';
import { runAudit } from '../../../src/audit/engine.ts';
import { buildSpec } from '../../../src/audit/spec/load.ts';
import { PARTNER_SPEC } from '../../fixtures/nospec-express/pages.ts';
import { startNoSpec } from '../../fixtures/nospec-express/start.ts';
import type { RunningNoSpec } from '../../fixtures/nospec-express/start.ts';
import { closeAll } from '../../helpers/close-all.ts';

const dir = mkdtempSync(join(tmpdir(), 'rampart-merge-'));
const partner = join(dir, 'partner.json');
let fx: RunningNoSpec | undefined;

before(async () => {
  fx = await startNoSpec();
  writeFileSync(partner, JSON.stringify(PARTNER_SPEC));
});
after(() => closeAll(fx, () => rmSync(dir, { recursive: true, force: true })));

function pathsOf(file: string): Record<string, Record<string, { 'x-rampart-source'?: string }>> {
  return (JSON.parse(readFileSync(file, 'utf8')) as { paths: Record<string, Record<string, { 'x-rampart-source'?: string }>> }).paths;
}

describe('a partial spec and discovery', () => {
  test('discovery adds the routes the partner spec does not list; --save-discovered writes them all (mode 0600)', async () => {
    const out = join(dir, 'all.json');
    const result = await runAudit({ target: fx!.vuln, openapi: partner, saveDiscovered: out, only: ['headers'], rate: 2000, maxRequests: 1500, timeoutMs: 5000, maxRetryWaitMs: 1000 });
    const paths = pathsOf(out);
    assert.equal(statSync(out).mode & 0o777, 0o600);
    assert.ok(paths['/partners/v1/catalog']?.get !== undefined, 'the spec\'s own operation');
    assert.equal(paths['/partners/v1/catalog'].get['x-rampart-source'], undefined, 'described by the spec, not by the crawl');
    for (const route of ['/api/orders', '/api/products', '/api/admin/orders', '/backup']) {
      assert.equal(paths[route]?.get?.['x-rampart-source'], 'discovered', `${route} in ${Object.keys(paths).join(', ')}`);
    }
    assert.match(result.notes.join('\n'), /discovery: \d+ request\(s\) beside the spec found \d+ operation\(s\) it does not list, audited with it \(--spec-only turns this off\)/);
    assert.ok(result.spec!.operations > 2);
  });

  test('--spec-only audits what the spec lists and nothing else', async () => {
    const out = join(dir, 'only.json');
    const result = await runAudit({ target: fx!.vuln, openapi: partner, specOnly: true, saveDiscovered: out, only: ['headers'], rate: 2000, maxRequests: 1500, timeoutMs: 5000, maxRetryWaitMs: 1000 });
    assert.deepEqual(Object.keys(pathsOf(out)).sort(), ['/partners/v1/catalog', '/partners/v1/stock/{sku}']);
    assert.equal(result.spec!.operations, 2);
    assert.doesNotMatch(result.notes.join('\n'), /beside the spec/);
  });
});

describe('mergeCrawled', () => {
  const crawled = buildSpec({ openapi: '3.1.0', info: { title: 'c', version: '1' }, paths: { '/api/orders/{id}': { get: { responses: {} } }, '/v2/things': { get: { responses: {} } } } }, 'crawl');

  test('an operation the spec has (under another parameter name) keeps the spec\'s; the rest are added', () => {
    const published = buildSpec({ openapi: '3.1.0', info: { title: 'p', version: '1' }, paths: { '/api/orders/{orderId}': { get: { summary: 'mine', responses: {} } } } }, 'p.json');
    const merged = mergeCrawled(published, crawled, '', '');
    assert.equal(merged.added, 1);
    assert.deepEqual(merged.spec.operations.map((o) => `${o.method} ${o.path}`).sort(), ['GET /api/orders/{orderId}', 'GET /v2/things']);
    assert.equal(merged.spec.operations.find((o) => o.path === '/api/orders/{orderId}')!.summary, 'mine');
  });

  test('routes outside the spec\'s server path: the spec\'s paths are written out in full, its servers dropped', () => {
    const published = buildSpec({ openapi: '3.1.0', info: { title: 'p', version: '1' }, servers: [{ url: '/api' }], paths: { '/orders/{id}': { get: { responses: {} } } } }, 'p.json');
    const merged = mergeCrawled(published, crawled, '', '/api');
    assert.deepEqual(merged.outside, ['/v2/things']);
    assert.deepEqual(merged.spec.operations.map((o) => `${o.method} ${o.path}`).sort(), ['GET /api/orders/{id}', 'GET /v2/things']);
    assert.deepEqual(merged.spec.servers, []);
  });
});
