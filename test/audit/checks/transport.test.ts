import assert from 'node:assert/strict';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { after, before, describe, test } from 'node:test';
import { hstsMaxAge } from '../../../src/audit/checks/transport.ts';
import { audit, describe as list, findingAt, findingsOf, startTwins } from '../helpers.ts';
import type { Twins } from '../helpers.ts';
import { closeAll } from '../../helpers/close-all.ts';

let twins: Twins;
before(async () => {
  twins = await startTwins();
});
after(() => closeAll(twins));

describe('transport check', () => {
  test('reports plain HTTP without a redirect once, as informational on a loopback target', async () => {
    const result = await audit(twins.vuln, { only: ['transport'] });
    const plain = findingsOf(result, 'transport.plain-http');
    assert.equal(plain.length, 1, list(result));
    assert.equal(plain[0]!.severity, 'info');
    // HSTS over plain HTTP is ignored by browsers: never asked for there.
    assert.equal(findingsOf(result, 'transport.hsts-weak').length, 0);
    assert.equal(findingsOf(result, 'transport.hsts-missing').length, 0);
  });

  test('reports weak and missing HSTS on the vulnerable API over HTTPS', async () => {
    const result = await audit(twins.vulnTls, { only: ['transport'], ca: twins.ca });
    const weak = findingAt(result, 'transport.hsts-weak', 'GET', '/items');
    assert.ok(weak, list(result));
    assert.equal(weak.evidence.exchanges[0]!.response!.headers['strict-transport-security'], 'max-age=3600');
    const missing = findingAt(result, 'transport.hsts-missing', 'GET', '/pages/welcome');
    assert.ok(missing, list(result));
    assert.equal(missing.severity, 'medium');
    assert.equal(findingsOf(result, 'transport.plain-http').length, 0);
  });

  test('reports nothing on the fixed twin: HTTPS with a one-year HSTS, plain HTTP redirected', async () => {
    const secure = await audit(twins.fixed, { only: ['transport'], ca: twins.ca });
    assert.deepEqual(secure.findings, [], list(secure));
    const plain = await audit(twins.fixedPlain, { only: ['transport'], ca: twins.ca });
    assert.deepEqual(plain.findings, [], list(plain));
  });

  test('a redirect that stays on plain HTTP is no upgrade', async () => {
    const server = http.createServer((req, res) => {
      req.resume();
      res.writeHead(301, { location: `http://127.0.0.1:${(server.address() as AddressInfo).port}/elsewhere` });
      res.end();
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    try {
      const result = await audit(`http://127.0.0.1:${(server.address() as AddressInfo).port}/`, { only: ['transport'] });
      const plain = findingsOf(result, 'transport.plain-http');
      assert.equal(plain.length, 1, list(result));
      assert.match(plain[0]!.evidence.summary, /301/);
    } finally {
      server.close();
    }
  });

  test('reads max-age from HSTS values', () => {
    assert.equal(hstsMaxAge('max-age=31536000; includeSubDomains'), 31_536_000);
    assert.equal(hstsMaxAge('includeSubDomains; max-age="600"'), 600);
    assert.equal(hstsMaxAge('includeSubDomains'), undefined);
  });
});
