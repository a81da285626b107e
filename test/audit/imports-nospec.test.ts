// --postman end to end: the no-spec fixture (ShopLite) publishes no OpenAPI document, so without
// an import the checks that need routes skip with "needs an OpenAPI spec". Its Postman
// collection (written for http://127.0.0.1:8080, `{{baseUrl}}`) imported: every route of
// routes.json is an operation, and those checks run.
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { after, before, describe, test } from 'node:test';
import { CHECKS } from '../../src/audit/checks/index.ts';
import { runAudit } from '../../src/audit/engine.ts';
import type { AuditOptions, AuditResult } from '../../src/audit/engine.ts';
import { importedSpec, readImport } from '../../src/audit/imports/index.ts';
import { matchTemplate } from '../../src/audit/spec/load.ts';
import { NOSPEC_POSTMAN_PATH, NOSPEC_ROUTES_PATH, startNoSpec } from '../fixtures/nospec-express/start.ts';
import type { RunningNoSpec } from '../fixtures/nospec-express/start.ts';
import { closeAll } from '../helpers/close-all.ts';

interface Route {
  method: string;
  path: string;
}
const routes = (JSON.parse(readFileSync(NOSPEC_ROUTES_PATH, 'utf8')) as { routes: Route[] }).routes;
let fx: RunningNoSpec | undefined;
let without: AuditResult;
let withPostman: AuditResult;

function options(extra: Partial<AuditOptions> = {}): AuditOptions {
  return { target: fx!.vuln, rate: 2000, maxRequests: 2500, timeoutMs: 5000, maxRetryWaitMs: 1000, ...extra };
}

before(async () => {
  fx = await startNoSpec();
  without = await runAudit(options());
  withPostman = await runAudit(options({ postman: NOSPEC_POSTMAN_PATH }));
});
after(() => closeAll(fx));

describe('rampart audit --postman on a target without a spec', () => {
  test("the imported operations cover every route of routes.json, each once, with the collection's parameters", async () => {
    const origin = new URL(fx!.vuln).origin;
    const spec = importedSpec([await readImport('postman', NOSPEC_POSTMAN_PATH, origin)], origin, '', undefined).spec;
    const covered = routes.filter((r) => spec.operations.some((o) => o.method === r.method && matchTemplate(o.path, r.path.replace(/\{[^}]+\}/g, '1'))));
    assert.deepEqual(covered, routes);
    assert.equal(spec.operations.length, routes.length);
    const products = spec.operations.find((o) => o.method === 'GET' && o.path === '/api/products')!;
    assert.deepEqual(products.parameters.map((p) => p.name), ['limit', 'search']);
    const order = spec.operations.find((o) => o.method === 'GET' && o.path === '/api/orders/{orderId}')!;
    assert.equal(order.parameters[0]!.example, 1001);
    assert.deepEqual(order.security, [{ 'importedHeader_X-Auth-Token': [] }]);
    assert.equal(spec.operations.find((o) => o.method === 'POST' && o.path === '/api/orders')!.requestBody?.schema?.type, 'object');
  });

  test('checks that skipped with "needs an OpenAPI spec" run with the import', () => {
    const needing = without.checks.skipped.filter((s) => /needs an OpenAPI spec/.test(s.reason)).map((s) => s.id);
    assert.ok(needing.length > 0, 'without the import some checks skip for want of a spec');
    assert.equal(without.spec, null);
    assert.equal(withPostman.spec?.operations, routes.length);
    assert.match(withPostman.spec.source, /^postman:.*postman_collection\.json$/);
    // Those that also act as two customers or an admin now skip for that alone.
    for (const id of needing) {
      const skipped = withPostman.checks.skipped.find((s) => s.id === id);
      assert.ok(withPostman.checks.ran.includes(id) || /needs (two ordinary identities|an admin identity)/.test(skipped?.reason ?? ''), `${id}: ${skipped?.reason}`);
    }
    const specOnly = CHECKS.filter((c) => needing.includes(c.id) && c.needs.every((n) => n === 'spec')).map((c) => c.id);
    assert.ok(specOnly.includes('injection') && specOnly.includes('api-key-query'), specOnly.join(', '));
    for (const id of specOnly) assert.ok(withPostman.checks.ran.includes(id), `${id} runs with --postman`);
    assert.ok(!withPostman.checks.skipped.some((s) => /needs an OpenAPI spec/.test(s.reason)));
    assert.match(withPostman.notes.join('\n'), /import: Postman collection .*: 21 request\(s\) to the target, 21 operation\(s\) added/);
  });

  test('the import finds planted flaws the audit without it cannot reach, and leaves nothing behind', () => {
    const rules = (result: AuditResult): Set<string> => new Set(result.findings.map((f) => `${f.id} ${f.location.method} ${f.location.route}`));
    const before = rules(without);
    const after = rules(withPostman);
    assert.ok(after.size > before.size, `with: ${[...after].join(', ')}; without: ${[...before].join(', ')}`);
    assert.ok([...after].some((r) => r.startsWith('injection.sql-') && r.includes('/api/products')), [...after].join(', '));
    assert.deepEqual(withPostman.changes, []);
  });
});
