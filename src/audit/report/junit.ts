// JUnit XML, the format every CI system shows as a test summary: one test case per check, a
// failure per finding (so the run's failures equal its new findings), skipped checks as skipped.
// All text is XML-escaped with characters XML 1.0 forbids removed.
import type { Finding } from '../finding.ts';
import type { Reported } from './baseline.ts';
import { escapeXml as x } from './sanitize.ts';
import { describeLocation, summaryOf } from './summary.ts';

function failure(finding: Finding): string {
  const where = finding.affected.map(describeLocation).join(', ');
  const exchanges = finding.evidence.exchanges
    .map((e) => {
      const answer = e.response ? `< ${e.response.status}\n${e.response.bodyExcerpt}` : '(no answer)';
      return `${e.label}\n> ${e.request.method} ${e.request.url}\n${answer}`;
    })
    .join('\n\n');
  const body = [
    `${finding.id} · ${finding.owasp} · CWE-${finding.cwe} · confidence: ${finding.confidence}`,
    `Where: ${where}`,
    `Proof: ${finding.evidence.summary}`,
    '',
    exchanges,
    '',
    `Fix: ${finding.fix}`,
    `Fingerprint: ${finding.fingerprint}`,
  ].join('\n');
  const message = `[${finding.severity.toUpperCase()}] ${finding.title} at ${describeLocation(finding.location)}`;
  return `      <failure message="${x(message)}" type="${x(finding.id)}">${x(body)}</failure>`;
}

export function renderJunit(result: Reported): string {
  const byCheck = new Map<string, Finding[]>();
  for (const finding of result.findings) byCheck.set(finding.check, [...(byCheck.get(finding.check) ?? []), finding]);
  const seconds = (result.durationMs / 1000).toFixed(3);
  const cases: string[] = [];
  for (const id of result.checks.ran) {
    const failures = byCheck.get(id) ?? [];
    byCheck.delete(id);
    cases.push(
      failures.length === 0
        ? `    <testcase classname="rampart.audit" name="${x(id)}"/>`
        : `    <testcase classname="rampart.audit" name="${x(id)}">\n${failures.map(failure).join('\n')}\n    </testcase>`,
    );
  }
  // Findings of a check the result does not list as run (should not happen) still fail somewhere.
  for (const [id, failures] of byCheck) {
    cases.push(`    <testcase classname="rampart.audit" name="${x(id)}">\n${failures.map(failure).join('\n')}\n    </testcase>`);
  }
  for (const skipped of result.checks.skipped) {
    cases.push(`    <testcase classname="rampart.audit" name="${x(skipped.id)}">\n      <skipped message="${x(skipped.reason)}"/>\n    </testcase>`);
  }
  const summary = summaryOf(result);
  const tests = cases.length;
  const attributes = `tests="${tests}" failures="${result.findings.length}" errors="0" skipped="${result.checks.skipped.length}" time="${seconds}"`;
  const notes = result.notes.length === 0 ? '' : `    <system-out>${x(result.notes.map((n) => `- ${n}`).join('\n'))}</system-out>`;
  return [
    '<?xml version="1.0" encoding="UTF-8"?>',
    `<testsuites name="rampart audit" ${attributes}>`,
    `  <testsuite name="rampart audit of ${x(result.target)}" ${attributes} timestamp="${x(result.startedAt.replace(/Z$/, ''))}">`,
    '    <properties>',
    `      <property name="target" value="${x(result.target)}"/>`,
    `      <property name="requests" value="${result.requests}"/>`,
    `      <property name="complete" value="${String(result.complete)}"/>`,
    `      <property name="suppressed" value="${summary.suppressed}"/>`,
    '    </properties>',
    ...cases,
    notes,
    '  </testsuite>',
    '</testsuites>',
    '',
  ]
    .filter((line) => line !== '')
    .join('\n')
    .concat('\n');
}
