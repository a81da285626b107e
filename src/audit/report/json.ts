// The JSON report: the whole result with stable field names, for scripts. Its shape is the
// documented, versioned contract in schemas/audit-report.v1.schema.json; fields are picked one by
// one so nothing undocumented leaks in. A breaking change bumps REPORT_SCHEMA_VERSION.
import type { Reported } from './baseline.ts';
import { summaryOf } from './summary.ts';
import { TOOL } from './tool.ts';

export const REPORT_SCHEMA_VERSION = 1;

export function renderJson(result: Reported): string {
  return `${JSON.stringify(
    {
      schemaVersion: REPORT_SCHEMA_VERSION,
      tool: { name: TOOL.name, version: TOOL.version },
      target: result.target,
      changes: result.changes,
      startedAt: result.startedAt,
      durationMs: result.durationMs,
      requests: result.requests,
      complete: result.complete,
      dryRun: result.dryRun,
      spec: result.spec,
      checks: result.checks,
      summary: summaryOf(result),
      findings: result.findings,
      suppressed: result.suppressed ?? [],
      notes: result.notes,
      unchecked: result.unchecked,
      kept: result.kept,
      writes: result.writes,
      accounts: result.accounts,
      protection: result.protection,
    },
    null,
    2,
  )}\n`;
}
