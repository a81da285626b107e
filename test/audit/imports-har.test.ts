// --har end to end: a HAR of the calls the no-spec fixture's page makes when alice signs in (the
// page's own requests, replayed live with fetch and written as HAR 1.2 the way developer tools save
// it: Chromium is not on every machine) becomes the API's operations (her orders' ids as `{id}`),
// with neither her password nor her session token anywhere in the document, and the audit runs the
// checks that need a spec.
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { runAudit } from '../../src/audit/engine.ts';
import { importedSpec, readImport } from '../../src/audit/imports/index.ts';
import { startNoSpec } from '../fixtures/nospec-express/start.ts';
import type { RunningNoSpec } from '../fixtures/nospec-express/start.ts';
import { closeAll } from '../helpers/close-all.ts';
import { harFile, record } from '../helpers/har.ts';

const dir = mkdtempSync(join(tmpdir(), 'rampart-har-'));
const harPath = join(dir, 'shop.har');
let fx: RunningNoSpec | undefined;
let token = '';

before(async () => {
  fx = await startNoSpec();
  const origin = fx.vuln.replace(/\/$/, '');
  const entries: unknown[] = [];
  const keep = async (...args: Parameters<typeof record>): Promise<unknown> => {
    const { entry, json } = await record(...args);
    entries.push(entry);
    return json;
  };
  await keep('GET', `${origin}/`, {});
  await keep('GET', `${origin}/static/app.js`, {});
  await keep('GET', `${fx.fixed}static/app.js`, {}); // another origin: left out
  const login = (await keep('POST', `${origin}/api/session`, { 'Content-Type': 'application/json' }, JSON.stringify({ login: 'alice', password: fx.users.alice.password }))) as { result: { session_token: string } };
  token = login.result.session_token;
  const auth = { 'X-Auth-Token': token };
  await keep('GET', `${origin}/api/account`, auth);
  await keep('GET', `${origin}/api/products?limit=12`, auth);
  await keep('GET', `${origin}/api/reviews?productId=1`, auth);
  const orders = (await keep('GET', `${origin}/api/orders`, auth)) as { id: number }[];
  for (const order of orders.slice(0, 2)) await keep('GET', `${origin}/api/orders/${order.id}`, auth);
  writeFileSync(harPath, harFile(entries));
});
after(() => closeAll(fx, () => rmSync(dir, { recursive: true, force: true })));

describe('rampart audit --har with a HAR of the page\'s calls', () => {
  test('the calls the page made are operations; the password and the token are nowhere in the document', async () => {
    const har = readFileSync(harPath, 'utf8');
    assert.ok(har.includes(fx!.users.alice.password), 'the HAR itself holds the password');
    const origin = new URL(fx!.vuln).origin;
    const { spec, notes } = importedSpec([await readImport('har', harPath)], origin, '', undefined);
    const names = spec.operations.map((o) => `${o.method} ${o.path}`);
    for (const route of ['POST /api/session', 'GET /api/account', 'GET /api/products', 'GET /api/reviews', 'GET /api/orders', 'GET /api/orders/{id}']) {
      assert.ok(names.includes(route), `${route} in ${names.join(', ')}`);
    }
    const order = spec.operations.find((o) => o.path === '/api/orders/{id}')!;
    assert.deepEqual(order.security, [{ 'importedHeader_X-Auth-Token': [] }]);
    const document = JSON.stringify(spec.document);
    assert.ok(!document.includes(fx!.users.alice.password));
    assert.ok(har.includes(token) && token.length > 8, 'the HAR itself holds the token');
    assert.ok(!document.includes(token), 'no session token');
    assert.match(notes[0]!, /: 9 request\(s\) to the target, 8 operation\(s\) added; 1 request\(s\) to other origins or outside \/ left out/);
  });

  test('the audit with the HAR runs the checks that need a spec', async () => {
    const result = await runAudit({ target: fx!.vuln, har: harPath, rate: 2000, maxRequests: 1500, timeoutMs: 5000, maxRetryWaitMs: 1000 });
    assert.ok(result.checks.ran.includes('injection'));
    assert.ok(!result.checks.skipped.some((s) => /needs an OpenAPI spec/.test(s.reason)));
    assert.match(result.notes.join('\n'), /credentials seen in .*shop\.har were used only to name the security/);
    assert.deepEqual(result.changes, []);
  });
});
