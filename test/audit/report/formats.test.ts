// Every report format of a full audit of the vulnerable fixture: JSON against our versioned
// schema, SARIF against the official OASIS schema (committed; tests have no web access), JUnit's
// counts, and a text report that stays inert although the fixture answers with terminal escapes.
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { after, before, describe, test } from 'node:test';
import { Ajv } from 'ajv';
import type { AnySchema } from 'ajv';
import addFormatsModule from 'ajv-formats';
import type { AuditResult } from '../../../src/audit/engine.ts';
import { CHECKS } from '../../../src/audit/checks/index.ts';
import { applyBaseline, baselineOf } from '../../../src/audit/report/baseline.ts';
import { renderJson } from '../../../src/audit/report/json.ts';
import { renderJunit } from '../../../src/audit/report/junit.ts';
import { FINGERPRINT_KEY, renderSarif } from '../../../src/audit/report/sarif.ts';
import { renderText } from '../../../src/audit/report/text.ts';
import { HOSTILE_COMMENT } from '../../fixtures/vulnerable-api/server.ts';
import { audit, startTwins } from '../helpers.ts';
import type { Twins } from '../helpers.ts';
import { closeAll } from '../../helpers/close-all.ts';

const addFormats = addFormatsModule as unknown as (ajv: Ajv) => Ajv;
const schema = (name: string): AnySchema => JSON.parse(readFileSync(new URL(`../../../schemas/${name}`, import.meta.url), 'utf8')) as AnySchema;

/** Our report schema is draft-07. */
function reportValidator(): ReturnType<Ajv['compile']> {
  const ajv = new Ajv({ allErrors: true, strict: true });
  addFormats(ajv);
  return ajv.compile(schema('audit-report.v1.schema.json'));
}

/**
 * The official SARIF 2.1.0 schema is draft-04 (`id`, not `$id`). Ajv 8 reads it with `schemaId:
 * 'id'` and `id` as an annotation; the schema uses no keyword whose meaning changed after draft-04.
 */
function sarifValidator(): ReturnType<Ajv['compile']> {
  const ajv = new Ajv({ allErrors: true, strict: false, schemaId: 'id', validateSchema: false });
  ajv.removeKeyword('id');
  ajv.addKeyword('id');
  addFormats(ajv);
  return ajv.compile(schema('sarif-schema-2.1.0.json'));
}

function errorsOf(validate: ReturnType<Ajv['compile']>): string {
  return JSON.stringify(validate.errors?.slice(0, 5), null, 2);
}

let twins: Twins;
let result: AuditResult;
before(async () => {
  twins = await startTwins();
  result = await audit(twins.vuln);
});
after(() => closeAll(twins));

describe('JSON report: documented and versioned', () => {
  test('a full fixture audit validates against schemas/audit-report.v1.schema.json', () => {
    const validate = reportValidator();
    const report = JSON.parse(renderJson(result)) as { schemaVersion: number; summary: { total: number; suppressed: number }; findings: unknown[] };
    assert.ok(result.findings.length >= 20, 'the fixture yields a full set of findings');
    assert.ok(validate(report), errorsOf(validate));
    assert.equal(report.schemaVersion, 1);
    assert.equal(report.summary.total, result.findings.length);
    assert.equal(report.summary.suppressed, 0);
  });

  test('with a baseline, accepted findings move to `suppressed` and still validate', () => {
    const validate = reportValidator();
    const accepted = baselineOf(result.findings.slice(0, 3));
    const report = JSON.parse(renderJson(applyBaseline(result, accepted))) as { summary: { total: number; suppressed: number }; suppressed: { fingerprint: string }[] };
    assert.ok(validate(report), errorsOf(validate));
    assert.equal(report.summary.suppressed, 3);
    assert.equal(report.summary.total, result.findings.length - 3);
    assert.deepEqual(report.suppressed.map((f) => f.fingerprint), result.findings.slice(0, 3).map((f) => f.fingerprint));
  });

  test('the schema is strict: an undocumented field fails validation (the test can fail)', () => {
    const validate = reportValidator();
    const report = JSON.parse(renderJson(result)) as { findings: Record<string, unknown>[] };
    report.findings[0]!.extra = 'not in the schema';
    assert.equal(validate(report), false);
  });
});

describe('SARIF 2.1.0: valid against the official schema, with rules and fingerprints', () => {
  test('a full fixture audit validates against the OASIS SARIF 2.1.0 schema', () => {
    const validate = sarifValidator();
    const log = JSON.parse(renderSarif(result)) as unknown;
    assert.ok(validate(log), errorsOf(validate));
    assert.equal(validate({ version: '2.1.0', runs: [{ tool: { driver: {} } }] }), false, 'the validator rejects a driver without a name');
  });

  interface SarifRule { id: string; help: { text: string }; helpUri: string; properties: { owasp: string; cwe: string; tags: string[]; 'security-severity': string } }
  interface SarifResult { ruleId: string; ruleIndex: number; level: string; partialFingerprints: Record<string, string>; suppressions?: unknown[]; locations: { physicalLocation: { artifactLocation: { uri: string } } }[] }
  type SarifLog = { runs: [{ tool: { driver: { rules: SarifRule[] } }; results: SarifResult[]; properties: { summary: { suppressed: number } } }] };

  test('every rule carries its OWASP category, CWE, help with the fix; results point at their rule', () => {
    const log = JSON.parse(renderSarif(result)) as SarifLog;
    const { rules } = log.runs[0].tool.driver;
    assert.equal(rules.length, new Set(CHECKS.flatMap((c) => c.rules.map((r) => r.id))).size);
    for (const rule of rules) {
      const declared = CHECKS.flatMap((c) => c.rules).find((r) => r.id === rule.id)!;
      assert.equal(rule.properties.owasp, declared.owasp);
      assert.equal(rule.properties.cwe, `CWE-${declared.cwe}`);
      assert.ok(rule.properties.tags.includes(`external/cwe/cwe-${declared.cwe}`));
      assert.ok(rule.help.text.startsWith(declared.fix), rule.id);
      assert.match(rule.helpUri, /^https:\/\/owasp\.org\/API-Security\/editions\/2023\/en\/0xa/);
      assert.match(rule.properties['security-severity'], /^\d+\.\d$/);
    }
    const results = log.runs[0].results;
    assert.equal(results.length, result.findings.length);
    results.forEach((r, i) => {
      const finding = result.findings[i]!;
      assert.equal(r.ruleId, finding.id);
      assert.equal(rules[r.ruleIndex]!.id, finding.id);
      assert.equal(r.partialFingerprints[FINGERPRINT_KEY], finding.fingerprint);
      assert.ok(r.locations[0]!.physicalLocation.artifactLocation.uri.startsWith(twins.vuln));
    });
  });

  test('baseline-suppressed findings stay in the log as accepted external suppressions', () => {
    const validate = sarifValidator();
    const accepted = baselineOf(result.findings.slice(0, 2));
    const log = JSON.parse(renderSarif(applyBaseline(result, accepted))) as SarifLog;
    assert.ok(validate(log), errorsOf(validate));
    const suppressed = log.runs[0].results.filter((r) => r.suppressions !== undefined);
    assert.deepEqual(suppressed.map((r) => r.partialFingerprints[FINGERPRINT_KEY]), result.findings.slice(0, 2).map((f) => f.fingerprint));
    assert.equal(log.runs[0].properties.summary.suppressed, 2);
  });
});

describe('JUnit XML: one test case per check, a failure per finding', () => {
  test('counts match the audit and the XML holds nothing the target could inject', () => {
    const xml = renderJunit(result);
    assert.match(xml, /^<\?xml version="1\.0" encoding="UTF-8"\?>\n<testsuites /);
    const cases = xml.match(/<testcase /g) ?? [];
    assert.equal(cases.length, result.checks.ran.length + result.checks.skipped.length);
    assert.equal((xml.match(/<failure /g) ?? []).length, result.findings.length);
    assert.match(xml, new RegExp(`<testsuites name="rampart audit" tests="${cases.length}" failures="${result.findings.length}" `));
    for (const check of result.checks.ran) assert.ok(xml.includes(`name="${check}"`), check);
    // The fixture's hostile comment is quoted by a finding: escaped, without its control characters.
    assert.ok(xml.includes('&lt;script&gt;window.__pwned = 1; alert(1)&lt;/script&gt;'));
    // eslint-disable-next-line no-control-regex -- the point of the test
    assert.doesNotMatch(xml, /<script|<img|\x1b|\x07|\r/);
    assert.match(xml, /<property name="suppressed" value="0"\/>/);
  });

  test('a skipped check is a skipped test case with its reason', () => {
    const xml = renderJunit({ ...result, checks: { ran: ['headers'], skipped: [{ id: 'bola', reason: 'needs <two> identities & a spec' }] } });
    assert.match(xml, /<testcase classname="rampart\.audit" name="bola">\n {6}<skipped message="needs &lt;two&gt; identities &amp; a spec"\/>/);
  });
});

describe('text report: the target cannot drive the terminal', () => {
  test('the fixture page with screen-clear, title and carriage-return tricks prints as plain text', () => {
    assert.ok(HOSTILE_COMMENT.includes('\x1b[2J') && HOSTILE_COMMENT.includes('\x1b]0;pwned\x07') && HOSTILE_COMMENT.includes('\r'));
    const finding = result.findings.find((f) => f.id === 'headers.clickjacking');
    assert.ok(finding?.evidence.exchanges.some((e) => e.response?.bodyExcerpt.includes('\x1b[2J')), 'the raw evidence does carry the escapes');
    const text = renderText(result);
    // eslint-disable-next-line no-control-regex -- the point of the test
    assert.doesNotMatch(text, /[\x00-\x08\x0b-\x1f\x7f-\x9f]/, 'no escape, bell or carriage return reaches the terminal');
    assert.ok(text.includes('<script>window.__pwned = 1; alert(1)</script>'), 'the text itself is still shown');
    assert.ok(text.includes('All clear: no findings'), 'the text after the carriage return is still there, on the same line');
  });
});
