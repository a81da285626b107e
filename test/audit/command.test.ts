// The command as users and CI run it: a real process, its exit status, stdout and stderr.
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, relative } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { createAuditCommand } from '../../src/audit/command.ts';
import { PARTLY_BROKEN_SPEC, startGarbage, startHanging, startPartlyBroken, startThrottling } from '../fixtures/hostile.ts';
import type { Hostile } from '../fixtures/hostile.ts';
import { runCli, Sink, SPEC_PATH, startTwins } from './helpers.ts';
import type { Twins } from './helpers.ts';
import { closeAll } from '../helpers/close-all.ts';

let twins: Twins;
const dir = mkdtempSync(join(tmpdir(), 'rampart-cli-'));
const FAST = ['--rate', '2000', '--timeout', '5'];

before(async () => {
  twins = await startTwins();
});
after(() => closeAll(twins, () => rmSync(dir, { recursive: true, force: true })));

function noStack(text: string): void {
  assert.doesNotMatch(text, /^\s+at .+:\d+:\d+\)?$/m, 'no stack trace');
}

async function withHostile<T>(start: () => Promise<Hostile>, run: (h: Hostile) => Promise<T>): Promise<T> {
  const hostile = await start();
  try {
    return await run(hostile);
  } finally {
    await hostile.close();
  }
}

describe('rampart audit: exit status and --fail-on', () => {
  test('exits 1 when there are findings at or above high, with the report on stdout and the timing on stderr', async () => {
    const ran = await runCli([twins.vuln, '--openapi', SPEC_PATH, ...FAST]);
    assert.equal(ran.code, 1, ran.stderr);
    assert.match(ran.stdout, /^Rampart audit of http:\/\/127\.0\.0\.1:\d+\/v1\/vuln\//);
    assert.match(ran.stdout, /\[CRITICAL\] SQL injection in query parameter `category`/);
    assert.match(ran.stderr, /Audit finished in \d+\.\d s; \d+ requests sent\./);
    noStack(ran.stderr);
  });

  test('--fail-on moves the threshold; none never fails', async () => {
    const none = await runCli([twins.vuln, '--openapi', SPEC_PATH, '--only', 'headers', '--fail-on', 'none', ...FAST]);
    assert.equal(none.code, 0, none.stderr);
    const high = await runCli([twins.vuln, '--openapi', SPEC_PATH, '--only', 'headers', ...FAST]);
    assert.equal(high.code, 0, 'headers findings are medium at most');
    const medium = await runCli([twins.vuln, '--openapi', SPEC_PATH, '--only', 'headers', '--fail-on', 'medium', ...FAST]);
    assert.equal(medium.code, 1);
  });

  test('exits 0 on the fixed twin even at --fail-on info', async () => {
    const ran = await runCli([twins.fixed, '--openapi', SPEC_PATH, '--ca', twins.caPath, '--fail-on', 'info', ...FAST]);
    assert.equal(ran.code, 0, ran.stdout);
    assert.match(ran.stdout, /no findings at any severity/);
  });

  test('--format json --output writes a machine-readable report to the file', async () => {
    const file = join(dir, 'report.json');
    const ran = await runCli([twins.vuln, '--openapi', SPEC_PATH, '--only', 'injection', '--format', 'json', '--output', file, ...FAST]);
    assert.equal(ran.code, 1);
    assert.equal(ran.stdout, '');
    assert.match(ran.stderr, /Report written to/);
    const report = JSON.parse(readFileSync(file, 'utf8'));
    assert.equal(report.schemaVersion, 1);
    assert.equal(report.summary.critical, 2);
    assert.equal(report.findings[0].evidence.exchanges[0].request.method, 'GET');
    assert.ok(report.requests > 0 && report.durationMs >= 0);
  });
});

describe('rampart audit: usage errors exit 2 with a message, never a stack', () => {
  test('a malformed spec file, before any request is sent', async () => {
    const bad = join(dir, 'bad.yaml');
    writeFileSync(bad, 'openapi: 3.1.0\npaths:\n  /x: {get: [\n');
    await withHostile(startHanging, async (hostile) => {
      const ran = await runCli([`${hostile.origin}/`, '--openapi', bad]);
      assert.equal(ran.code, 2);
      assert.match(ran.stderr, /^rampart audit: the OpenAPI document .*bad\.yaml is neither JSON nor valid YAML: .* at line \d+/m);
      noStack(ran.stderr);
      assert.equal(hostile.hits.length, 0);
    });
  });

  test('bad option values, unknown checks and a missing target', async () => {
    const rate = await runCli([twins.vuln, '--rate', 'fast']);
    assert.equal(rate.code, 2);
    assert.match(rate.stderr, /`rate` must be a positive number/);
    const unknown = await runCli([twins.vuln, '--only', 'header']);
    assert.equal(unknown.code, 2);
    assert.match(unknown.stderr, /unknown check `header`\. Did you mean `headers`\?/);
    const option = await runCli([twins.vuln, '--frobnicate']);
    assert.equal(option.code, 2);
    assert.match(option.stderr, /unknown option '--frobnicate'/);
    const missing = await runCli([]);
    assert.equal(missing.code, 2);
    assert.match(missing.stderr, /missing the target/);
    const scheme = await runCli(['ftp://127.0.0.1/']);
    assert.equal(scheme.code, 2);
    assert.match(scheme.stderr, /http:\/\/ or https:\/\//);
    for (const ran of [rate, unknown, option, missing, scheme]) noStack(ran.stderr);
  });

  test('--list-checks lists every check with its category and rules', async () => {
    const ran = await runCli(['--list-checks']);
    assert.equal(ran.code, 0);
    for (const id of ['headers', 'cors', 'transport', 'errors', 'inventory', 'injection', 'resources', 'api-key-query']) {
      assert.match(ran.stdout, new RegExp(`^${id}\\s+API\\d+:2023\\s+CWE-\\d+`, 'm'));
    }
    assert.match(ran.stdout, /injection\.sql-boolean \(critical; API8:2023, CWE-89\)/);
  });
});

describe('rampart audit: targets that fail', () => {
  test('an unreachable target', async () => {
    const ran = await runCli(['http://127.0.0.1:1/']);
    assert.equal(ran.code, 2);
    assert.match(ran.stderr, /rampart audit: cannot audit http:\/\/127\.0\.0\.1:1\/: connection refused/);
    noStack(ran.stderr);
  });

  test('a target that never answers', async () => {
    await withHostile(startHanging, async (hostile) => {
      const started = Date.now();
      const ran = await runCli([`${hostile.origin}/`, '--timeout', '0.5']);
      assert.equal(ran.code, 2);
      assert.match(ran.stderr, /no complete answer within 0\.5 s/);
      assert.ok(Date.now() - started < 10_000);
    });
  });

  test('a target that answers garbage', async () => {
    await withHostile(startGarbage, async (hostile) => {
      const ran = await runCli([`${hostile.origin}/`, '--timeout', '2']);
      assert.equal(ran.code, 2);
      assert.match(ran.stderr, /malformed HTTP answer|connection closed by the target/);
      noStack(ran.stderr);
    });
  });

  test('routes that hang, talk garbage or hang up end with notes, not a crash', async () => {
    const spec = join(dir, 'partly.json');
    writeFileSync(spec, JSON.stringify(PARTLY_BROKEN_SPEC));
    await withHostile(startPartlyBroken, async (hostile) => {
      const ran = await runCli([`${hostile.origin}/`, '--openapi', spec, '--timeout', '0.5', '--rate', '500']);
      assert.equal(ran.code, 0, ran.stderr);
      assert.match(ran.stdout, /survey: GET \/api\/slow got no usable answer \(no complete answer within 0\.5 s\)/);
      assert.match(ran.stdout, /survey: GET \/api\/garbage got no usable answer \((?:malformed HTTP answer|connection closed)/);
      assert.match(ran.stdout, /survey: GET \/api\/hangup got no usable answer \(connection closed by the target\)/);
      noStack(ran.stdout + ran.stderr);
    });
  });

  test('a target that answers every request 429: backs off, stops, reports nothing based on it', async () => {
    await withHostile(
      () => startThrottling(1),
      async (hostile) => {
        const started = Date.now();
        const ran = await runCli([`${hostile.origin}/`, '--openapi', SPEC_PATH, '--timeout', '2', '--fail-on', 'info']);
        assert.equal(ran.code, 0, ran.stderr);
        assert.match(ran.stdout, /no findings/);
        assert.match(ran.stdout, /INCOMPLETE/);
        assert.match(ran.stdout, /No finding is based on a throttled answer/);
        const gaps = hostile.hits.slice(1).map((at, i) => at - hostile.hits[i]!);
        assert.ok(gaps.length >= 2 && gaps.every((gap) => gap >= 900), `backed off between tries: ${gaps.join(', ')} ms`);
        assert.ok(Date.now() - started < 15_000);
      },
    );
  });

  test('an --openapi URL that is not there', async () => {
    const ran = await runCli([twins.vuln, '--openapi', `${twins.vuln}nowhere.json`]);
    assert.equal(ran.code, 2);
    assert.match(ran.stderr, /cannot fetch the OpenAPI document .*nowhere\.json: HTTP 404/);
  });
});

describe('rampart audit: dry run, config file, progress', () => {
  test('--dry-run prints the planned requests and sends none', async () => {
    const spec = join(dir, 'partly-dry.json');
    writeFileSync(spec, JSON.stringify(PARTLY_BROKEN_SPEC));
    await withHostile(startPartlyBroken, async (hostile) => {
      const ran = await runCli([`${hostile.origin}/`, '--openapi', spec, '--dry-run']);
      assert.equal(ran.code, 0, ran.stderr);
      assert.equal(hostile.hits.length, 0);
      assert.match(ran.stdout, /GET http:\/\/127\.0\.0\.1:\d+\/api\/fine {2}\(survey \/api\/fine\)/);
      assert.match(ran.stdout, /\d+ requests planned; nothing was sent\./);
    });
  });

  test('a YAML config file sets the same options; the command line wins', async () => {
    const config = join(dir, 'audit.yaml');
    writeFileSync(config, `target: ${twins.vuln}\nopenapi: ${relative(dir, SPEC_PATH)}\nonly: [headers]\nfailOn: medium\nformat: json\nrate: 2000\n`);
    const ran = await runCli(['--config', config]);
    assert.equal(ran.code, 1, ran.stderr);
    const report = JSON.parse(ran.stdout);
    assert.deepEqual(report.checks.ran, ['headers']);
    const overridden = await runCli(['--config', config, '--fail-on', 'critical']);
    assert.equal(overridden.code, 0);
    const typo = join(dir, 'typo.json');
    writeFileSync(typo, JSON.stringify({ target: twins.vuln, maxRequest: 10 }));
    const bad = await runCli(['--config', typo]);
    assert.equal(bad.code, 2);
    assert.match(bad.stderr, /unknown setting `maxRequest`\. Did you mean `maxRequests`\?/);
  });

  test('in process: a progress bar on a terminal, none otherwise', async () => {
    const run = async (tty: boolean): Promise<{ code: number | undefined; err: Sink; out: Sink }> => {
      const out = new Sink();
      const err = new Sink(tty);
      let code: number | undefined;
      const command = createAuditCommand({ stdout: out, stderr: err, exit: (c) => (code = c) });
      await command.parseAsync([twins.vuln, '--openapi', SPEC_PATH, '--only', 'cors', '--rate', '200'], { from: 'user' });
      return { code, err, out };
    };
    const tty = await run(true);
    assert.equal(tty.code, 1);
    assert.ok(tty.err.text.includes('\r\u001b[2K['), 'redraws one line');
    assert.match(tty.err.text, /\[[#-]{24}\] \d+\/3000 requests/);
    const piped = await run(false);
    assert.doesNotMatch(piped.err.text, /\r/);
    assert.match(piped.out.text, /cors\.any-origin-credentials/);
  });
});
