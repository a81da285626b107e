import type { AuditResult } from '../engine.ts';
import { SEVERITIES } from '../finding.ts';
import type { Severity } from '../finding.ts';

export function countBySeverity(result: AuditResult): Record<Severity, number> {
  const counts = Object.fromEntries(SEVERITIES.map((s) => [s, 0])) as Record<Severity, number>;
  for (const finding of result.findings) counts[finding.severity]++;
  return counts;
}

/** "3 findings: 1 high, 2 low" or "no findings". */
export function describeCounts(result: AuditResult): string {
  const counts = countBySeverity(result);
  const total = result.findings.length;
  if (total === 0) return 'no findings';
  const parts = [...SEVERITIES].reverse().filter((s) => counts[s] > 0).map((s) => `${counts[s]} ${s}`);
  return `${total} finding${total === 1 ? '' : 's'}: ${parts.join(', ')}`;
}

/** The closing line: time taken and requests sent. */
export function timingLine(result: AuditResult): string {
  return `Audit finished in ${(result.durationMs / 1000).toFixed(1)} s; ${result.requests} request${result.requests === 1 ? '' : 's'} sent.`;
}
