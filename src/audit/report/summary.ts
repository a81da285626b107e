import { SEVERITIES } from '../finding.ts';
import type { Finding, Location, Severity } from '../finding.ts';
import type { Reported } from './baseline.ts';

export function countBySeverity(result: { findings: readonly Finding[] }): Record<Severity, number> {
  const counts = Object.fromEntries(SEVERITIES.map((s) => [s, 0])) as Record<Severity, number>;
  for (const finding of result.findings) counts[finding.severity]++;
  return counts;
}

/** Counts of the reported findings, their total, and how many the baseline suppressed. */
export function summaryOf(result: Reported): Record<Severity, number> & { total: number; suppressed: number } {
  return { ...countBySeverity(result), total: result.findings.length, suppressed: result.suppressed?.length ?? 0 };
}

/** "3 findings: 1 high, 2 low" or "no findings", and how many the baseline suppressed. */
export function describeCounts(result: Reported): string {
  const counts = countBySeverity(result);
  const total = result.findings.length;
  const suppressed = result.suppressed?.length ?? 0;
  const tail = suppressed > 0 ? ` (${suppressed} suppressed by the baseline)` : '';
  if (total === 0) return `no ${suppressed > 0 ? 'new ' : ''}findings${tail}`;
  const parts = [...SEVERITIES].reverse().filter((s) => counts[s] > 0).map((s) => `${counts[s]} ${s}`);
  return `${total} ${suppressed > 0 ? 'new ' : ''}finding${total === 1 ? '' : 's'}: ${parts.join(', ')}${tail}`;
}

/** The closing line: time taken and requests sent. */
export function timingLine(result: Reported): string {
  return `Audit finished in ${(result.durationMs / 1000).toFixed(1)} s; ${result.requests} request${result.requests === 1 ? '' : 's'} sent.`;
}

/** `GET /items/{id} (id)`. */
export function describeLocation(location: Location): string {
  return `${location.method} ${location.route}${location.parameter === undefined ? '' : ` (${location.parameter})`}`;
}
