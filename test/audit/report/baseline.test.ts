// Baselines through the real command: write one, re-run and nothing new is reported (nor fails
// the run); plant a new flaw and exactly that one appears and fails it. Suppressed findings are
// counted in the summary. A broken baseline stops the run before any request.
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { parseBaseline } from '../../../src/audit/report/baseline.ts';
import type { Baseline } from '../../../src/audit/report/baseline.ts';
import { AuditError } from '../../../src/audit/errors.ts';
import { runCli } from '../helpers.ts';

interface JsonReport {
  findings: { id: string; fingerprint: string }[];
  suppressed: { id: string; fingerprint: string }[];
  summary: { total: number; suppressed: number };
}

const dir = mkdtempSync(join(tmpdir(), 'rampart-baseline-'));
const FAST = ['--rate', '2000', '--timeout', '5', '--only', 'headers', '--fail-on', 'info'];
let server: http.Server;
let url: string;
let requests = 0;
/** Flip to plant a new flaw: the server starts naming its version. */
let leakVersion = false;

before(async () => {
  server = http.createServer((req, res) => {
    requests++;
    req.resume();
    // Accepted flaws: the framework named, no nosniff.
    res.writeHead(200, { 'content-type': 'application/json', 'x-powered-by': 'Express', ...(leakVersion ? { server: 'Apache/2.4.1 (Unix)' } : {}) });
    res.end(JSON.stringify({ name: 'shop' }));
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/`;
});
after(async () => {
  server.closeAllConnections();
  await new Promise((resolve) => server.close(resolve));
  rmSync(dir, { recursive: true, force: true });
});

function report(stdout: string): JsonReport {
  return JSON.parse(stdout) as JsonReport;
}

describe('baseline round trip through `rampart audit`', () => {
  const file = join(dir, 'baseline.json');

  test('--write-baseline accepts this run: the file lists its findings and the run passes', async () => {
    const ran = await runCli([url, ...FAST, '--write-baseline', file, '--format', 'json']);
    assert.equal(ran.code, 0, ran.stderr);
    const written = JSON.parse(readFileSync(file, 'utf8')) as Baseline;
    assert.equal(written.version, 1);
    assert.ok(written.fingerprints.length >= 2, readFileSync(file, 'utf8'));
    assert.ok(written.fingerprints.some((e) => e.rule === 'headers.framework-disclosure'));
    const out = report(ran.stdout);
    assert.deepEqual(out.findings, []);
    assert.deepEqual(out.suppressed.map((f) => f.fingerprint).sort(), written.fingerprints.map((e) => e.fingerprint).sort());
    assert.match(ran.stderr, new RegExp(`Baseline of ${written.fingerprints.length} findings written to`));
  });

  test('re-run with --baseline: nothing new is reported, the accepted ones are counted as suppressed', async () => {
    const accepted = (JSON.parse(readFileSync(file, 'utf8')) as Baseline).fingerprints.length;
    const ran = await runCli([url, ...FAST, '--baseline', file, '--format', 'json']);
    assert.equal(ran.code, 0, 'accepted findings do not trip --fail-on');
    const out = report(ran.stdout);
    assert.deepEqual(out.findings, []);
    assert.equal(out.summary.suppressed, accepted);
    assert.match(ran.stderr, new RegExp(`no new findings \\(${accepted} suppressed by the baseline\\)`));

    const text = await runCli([url, ...FAST, '--baseline', file]);
    assert.match(text.stdout, new RegExp(`Suppressed by the baseline \\(${accepted}\\):`));
  });

  test('a newly planted flaw is reported, alone, and fails the run', async () => {
    const accepted = (JSON.parse(readFileSync(file, 'utf8')) as Baseline).fingerprints.length;
    leakVersion = true;
    try {
      const ran = await runCli([url, ...FAST, '--baseline', file, '--format', 'json']);
      assert.equal(ran.code, 1, ran.stderr);
      const out = report(ran.stdout);
      assert.deepEqual(out.findings.map((f) => f.id), ['headers.version-disclosure']);
      assert.equal(out.summary.suppressed, accepted);
      assert.match(ran.stderr, new RegExp(`1 new finding: 1 low \\(${accepted} suppressed by the baseline\\)`));
      // Without the baseline everything is back.
      const all = report((await runCli([url, ...FAST, '--format', 'json'])).stdout);
      assert.equal(all.findings.length, accepted + 1);
    } finally {
      leakVersion = false;
    }
  });

  test('rewriting a baseline keeps the notes people added', async () => {
    const edited = JSON.parse(readFileSync(file, 'utf8')) as Baseline;
    edited.fingerprints[0]!.note = 'accepted: behind the gateway, ticket SEC-12';
    writeFileSync(file, JSON.stringify(edited));
    const ran = await runCli([url, ...FAST, '--baseline', file, '--write-baseline', file]);
    assert.equal(ran.code, 0, ran.stderr);
    const rewritten = JSON.parse(readFileSync(file, 'utf8')) as Baseline;
    assert.equal(rewritten.fingerprints.find((e) => e.fingerprint === edited.fingerprints[0]!.fingerprint)?.note, 'accepted: behind the gateway, ticket SEC-12');
  });
});

describe('a broken baseline stops the run before any request', () => {
  for (const [name, content, message] of [
    ['not JSON', '{"version": 1, fingerprints: [', /is not valid JSON/],
    ['wrong version', '{"version": 2, "fingerprints": []}', /`version` must be 1/],
    ['bad fingerprint', '{"version": 1, "fingerprints": [{"fingerprint": "abc", "rule": "x.y", "location": "GET /"}]}', /entry 0 needs a `fingerprint` of 64 hex digits/],
  ] as const) {
    test(name, async () => {
      const file = join(dir, `broken-${name.replace(/\W/g, '-')}.json`);
      writeFileSync(file, content);
      const before = requests;
      const ran = await runCli([url, ...FAST, '--baseline', file]);
      assert.equal(ran.code, 2);
      assert.match(ran.stderr, message);
      assert.doesNotMatch(ran.stderr, /^\s+at /m, 'no stack trace');
      assert.equal(requests, before, 'nothing was sent');
    });
  }

  test('a missing file names the path', async () => {
    const ran = await runCli([url, ...FAST, '--baseline', join(dir, 'nope.json')]);
    assert.equal(ran.code, 2);
    assert.match(ran.stderr, /cannot read the baseline .*nope\.json: no such file/);
  });

  test('parseBaseline rejects entries without rule or location, with a code', () => {
    assert.throws(
      () => parseBaseline({ version: 1, fingerprints: [{ fingerprint: 'a'.repeat(64) }] }, 'b.json'),
      (error: unknown) => error instanceof AuditError && error.code === 'CONFIG_INVALID' && /entry 0 needs `rule` and `location`/.test(error.message),
    );
  });
});
