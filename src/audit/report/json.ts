// The JSON report: the whole result, stable field names, for scripts and later formats.
import type { AuditResult } from '../engine.ts';
import { countBySeverity } from './summary.ts';

export const REPORT_SCHEMA_VERSION = 1;

export function renderJson(result: AuditResult): string {
  return `${JSON.stringify(
    {
      schemaVersion: REPORT_SCHEMA_VERSION,
      tool: { name: 'rampart-audit' },
      ...result,
      summary: countBySeverity(result),
    },
    null,
    2,
  )}\n`;
}
