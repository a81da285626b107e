// SARIF 2.1.0 (OASIS), for code scanning: one rule per auditor rule with its OWASP category, CWE,
// help text and fix; one result per finding with a stable fingerprint, the route as its location
// and the proving exchange as webRequest/webResponse. Baseline-suppressed findings stay in the
// log with an accepted external suppression, the way SARIF viewers expect.
import type { Rule } from '../check.ts';
import { CHECKS } from '../checks/index.ts';
import type { Finding, Location, Severity } from '../finding.ts';
import type { Reported } from './baseline.ts';
import { describeLocation as where, summaryOf } from './summary.ts';
import { cweUrl, owaspLabel, owaspUrl, TOOL } from './tool.ts';

export const SARIF_SCHEMA_URI = 'https://docs.oasis-open.org/sarif/sarif/v2.1.0/errata01/os/schemas/sarif-schema-2.1.0.json';
/** The key of our fingerprint in `partialFingerprints`; bump the suffix if the hash input changes. */
export const FINGERPRINT_KEY = 'rampartFingerprint/v1';

type Level = 'error' | 'warning' | 'note';

const LEVEL: Record<Severity, Level> = { critical: 'error', high: 'error', medium: 'warning', low: 'note', info: 'note' };
/** GitHub code scanning reads `security-severity` (0-10) to rank alerts. */
const SECURITY_SEVERITY: Record<Severity, string> = { critical: '9.5', high: '8.0', medium: '5.5', low: '3.0', info: '0.0' };

/** The route as a URI under the target (percent-encoded: route templates hold `{` and `}`). */
function routeUri(target: string, location: Location): string {
  if (location.route === '*') return target;
  const base = target.endsWith('/') ? target : `${target}/`;
  return encodeURI(base + location.route.replace(/^\//, ''));
}

function ruleDescriptor(rule: Rule): Record<string, unknown> {
  const help = `${rule.fix}\n\nOWASP ${owaspLabel(rule.owasp)}: ${owaspUrl(rule.owasp)}\nCWE-${rule.cwe}: ${cweUrl(rule.cwe)}`;
  return {
    id: rule.id,
    name: rule.id.replace(/[.-](\w)/g, (_, c: string) => c.toUpperCase()).replace(/^\w/, (c) => c.toUpperCase()),
    shortDescription: { text: rule.title },
    fullDescription: { text: `${rule.title} (${owaspLabel(rule.owasp)}, CWE-${rule.cwe}).` },
    helpUri: owaspUrl(rule.owasp),
    help: {
      text: help,
      markdown: `**Fix:** ${rule.fix}\n\n[OWASP ${owaspLabel(rule.owasp)}](${owaspUrl(rule.owasp)}) · [CWE-${rule.cwe}](${cweUrl(rule.cwe)})`,
    },
    defaultConfiguration: { level: LEVEL[rule.severity] },
    properties: {
      tags: ['security', 'api', `owasp-api-2023/${rule.owasp.split(':')[0]!.toLowerCase()}`, `external/cwe/cwe-${rule.cwe}`],
      precision: 'high',
      'security-severity': SECURITY_SEVERITY[rule.severity],
      owasp: rule.owasp,
      cwe: `CWE-${rule.cwe}`,
      ...(rule.context ? { context: rule.context } : {}),
    },
  };
}

function resultOf(finding: Finding, ruleIndex: number, suppressed: boolean): Record<string, unknown> {
  const first = finding.evidence.exchanges[0];
  const locations = finding.affected.map((location) => ({
    physicalLocation: { artifactLocation: { uri: routeUri(finding.target, location) } },
    logicalLocations: [{ name: where(location), fullyQualifiedName: where(location), kind: 'resource' }],
  }));
  return {
    ruleId: finding.id,
    ...(ruleIndex >= 0 ? { ruleIndex } : {}),
    kind: 'fail',
    level: LEVEL[finding.severity],
    message: { text: `${finding.title} at ${where(finding.location)}. ${finding.evidence.summary}` },
    locations,
    partialFingerprints: { [FINGERPRINT_KEY]: finding.fingerprint },
    ...(first === undefined
      ? {}
      : {
          webRequest: {
            method: first.request.method,
            target: first.request.url,
            headers: first.request.headers,
            ...(first.request.bodyExcerpt === undefined ? {} : { body: { text: first.request.bodyExcerpt } }),
          },
          ...(first.response === undefined
            ? {}
            : { webResponse: { statusCode: first.response.status, headers: first.response.headers, body: { text: first.response.bodyExcerpt } } }),
        }),
    ...(suppressed ? { suppressions: [{ kind: 'external', status: 'accepted', justification: 'accepted in the rampart audit baseline' }] } : {}),
    properties: {
      severity: finding.severity,
      confidence: finding.confidence,
      owasp: finding.owasp,
      cwe: `CWE-${finding.cwe}`,
      fix: finding.fix,
      evidence: finding.evidence,
      ...(finding.context ? { context: finding.context } : {}),
    },
  };
}

export function renderSarif(result: Reported): string {
  const rules: Rule[] = [];
  for (const rule of CHECKS.flatMap((c) => c.rules)) if (!rules.some((r) => r.id === rule.id)) rules.push(rule);
  // A finding from a rule not in CHECKS (a custom check passed in) still gets a descriptor.
  for (const finding of [...result.findings, ...(result.suppressed ?? [])]) {
    if (!rules.some((r) => r.id === finding.id)) {
      rules.push({ id: finding.id, title: finding.title, severity: finding.severity, owasp: finding.owasp, cwe: finding.cwe, fix: finding.fix });
    }
  }
  const index = (id: string): number => rules.findIndex((r) => r.id === id);
  const end = new Date(Date.parse(result.startedAt) + result.durationMs).toISOString();
  const log = {
    $schema: SARIF_SCHEMA_URI,
    version: '2.1.0',
    runs: [
      {
        tool: {
          driver: {
            name: TOOL.name,
            fullName: TOOL.fullName,
            version: TOOL.version,
            semanticVersion: TOOL.version,
            informationUri: 'https://owasp.org/API-Security/',
            rules: rules.map(ruleDescriptor),
          },
        },
        invocations: [
          {
            executionSuccessful: result.complete,
            startTimeUtc: result.startedAt,
            endTimeUtc: end,
            toolExecutionNotifications: result.notes.map((note) => ({ level: 'warning', message: { text: note } })),
          },
        ],
        results: [
          ...result.findings.map((f) => resultOf(f, index(f.id), false)),
          ...(result.suppressed ?? []).map((f) => resultOf(f, index(f.id), true)),
        ],
        columnKind: 'utf16CodeUnits',
        properties: {
          target: result.target,
          requests: result.requests,
          complete: result.complete,
          checks: result.checks,
          summary: summaryOf(result),
        },
      },
    ],
  };
  return `${JSON.stringify(log, null, 2)}\n`;
}
