import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { findLeaks } from '../../../src/audit/lib/signatures.ts';
import { audit, describe as list, findingAt, IDENTITIES, startTwins } from '../helpers.ts';
import type { Twins } from '../helpers.ts';
import { closeAll } from '../../helpers/close-all.ts';

let twins: Twins;
before(async () => {
  twins = await startTwins();
});
after(() => closeAll(twins));

describe('errors check', () => {
  test('provokes a stack trace, SQL text, a file path and a framework error code with malformed input', async () => {
    const result = await audit(twins.vuln, { only: ['errors'] });
    const stack = findingAt(result, 'errors.stack-trace', 'POST', '/orders');
    assert.ok(stack, list(result));
    assert.match(stack.evidence.exchanges[0]!.request.bodyExcerpt!, /^\{"rampart"/);
    assert.match(stack.evidence.exchanges[0]!.response!.bodyExcerpt, /at .*server\.ts:\d+:\d+/);

    const sql = findingAt(result, 'errors.sql-text', 'GET', '/products');
    assert.ok(sql, list(result));
    assert.match(sql.evidence.summary, /SQLite/);

    const path = findingAt(result, 'errors.file-path', 'GET', '/files/{name}');
    assert.ok(path, list(result));
    assert.match(path.evidence.exchanges[0]!.response!.bodyExcerpt, /\/srv\/app\/uploads/);

    assert.ok(findingAt(result, 'errors.framework-message', 'GET', '/items/{id}'), list(result));
  });

  test('sends the quote probes of a GET route refused without credentials as the user identity', async () => {
    const anonymous = await audit(twins.vuln, { only: ['errors'] });
    assert.equal(findingAt(anonymous, 'errors.sql-text', 'GET', '/my/orders'), undefined, list(anonymous));
    const result = await audit(twins.vuln, { only: ['errors'], identities: IDENTITIES });
    const sql = findingAt(result, 'errors.sql-text', 'GET', '/my/orders');
    assert.ok(sql, list(result));
    assert.ok(sql.affected.some((l) => l.route === '/my/orders' && l.parameter === 'status'));
    // Only GET as an identity: the malformed-JSON probes of unsafe methods stay anonymous.
    const stack = findingAt(result, 'errors.stack-trace', 'POST', '/orders');
    assert.ok(stack, list(result));
    assert.equal(stack.evidence.exchanges[0]!.request.headers.authorization, undefined);
    assert.doesNotMatch(JSON.stringify(result.findings), /eyJ[A-Za-z0-9_-]+\.eyJ/);
  });

  test('finds TRACE echoing request headers', async () => {
    const result = await audit(twins.vuln, { only: ['errors'] });
    const trace = findingAt(result, 'errors.trace-enabled', 'TRACE', '/');
    assert.ok(trace, list(result));
    assert.match(trace.evidence.exchanges[0]!.response!.bodyExcerpt, /x-rampart-probe:/i);
  });

  test('reports nothing on the fixed twin, which answers the same probes with plain problem+json', async () => {
    const result = await audit(twins.fixed, { only: ['errors'], ca: twins.ca, identities: IDENTITIES });
    assert.deepEqual(result.findings, [], list(result));
  });

  test('signatures: specific enough to be proof, blind to ordinary answers', () => {
    const node = 'TypeError: x is undefined\n    at Object.handler (/srv/app/routes/users.js:12:7)\n    at next (/srv/app/node_modules/router/index.js:40:3)';
    assert.deepEqual(findLeaks(node).map((l) => l.kind).sort(), ['file-path', 'stack-trace']);
    assert.deepEqual(findLeaks('Traceback (most recent call last):\n  File "/app/x.py", line 3').map((l) => l.kind).sort(), ['file-path', 'stack-trace']);
    assert.deepEqual(findLeaks('ERROR: syntax error at or near "\'" at character 42').map((l) => l.kind), ['sql-text']);
    assert.deepEqual(findLeaks('{"statusCode":400,"code":"FST_ERR_CTP_INVALID_JSON_BODY"}').map((l) => l.kind), ['framework-message']);
    // Ordinary answers: API paths, prose, a single "at" line, a problem+json.
    assert.deepEqual(findLeaks('{"links":{"self":"/app/users/1","next":"/app/users?page=2"}}'), []);
    assert.deepEqual(findLeaks('Meet us at the office (building 2:3:4)'), []);
    assert.deepEqual(findLeaks('{"type":"about:blank","title":"Bad Request","status":400,"detail":"id must be an integer"}'), []);
    assert.deepEqual(findLeaks('Please select from the list'), []);
  });
});
