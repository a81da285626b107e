// --postman end to end: the no-spec fixture (ShopLite) publishes no OpenAPI document. Its Postman
// collection (written for http://127.0.0.1:8080, `{{baseUrl}}`) imported: every route of
// routes.json is an operation, merged with what discovery guessed (the import's word wins), no
// check skips for want of a spec, and the sign-in is known to take a password.
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

  test('with discovery and the import merged, no check skips for want of a spec and the spec checks run', () => {
    assert.ok(withPostman.spec !== null && withPostman.spec.operations >= routes.length);
    assert.match(withPostman.spec.source, /postman:.*postman_collection\.json$/);
    assert.ok(!withPostman.checks.skipped.some((s) => /needs an OpenAPI spec/.test(s.reason)));
    const specOnly = CHECKS.filter((c) => c.needs.length > 0 && c.needs.every((n) => n === 'spec')).map((c) => c.id);
    for (const id of ['injection', 'api-key-query', 'resources']) assert.ok(specOnly.includes(id) && withPostman.checks.ran.includes(id), `${id} runs with --postman`);
    assert.match(withPostman.notes.join('\n'), /import: Postman collection .*: 21 request\(s\) to the target, \d+ operation\(s\) added/);
  });

  test('the audit with the import finds what the import names, and leaves nothing behind', () => {
    const rules = (result: AuditResult): Set<string> => new Set(result.findings.map((f) => `${f.id} ${f.location.method} ${f.location.route}`));
    const found = rules(withPostman);
    assert.ok(found.has('injection.sql-error GET /api/products'), [...found].join(', '));
    assert.ok(found.has('resources.rate-limit POST /api/session'), `the import says the sign-in takes a password: ${[...found].join(', ')}`);
    assert.deepEqual(withPostman.changes, []);
    assert.deepEqual(without.changes, []);
  });
});
