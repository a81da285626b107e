// The auditor's public surface.
export { createAuditCommand, failing, EXIT } from './command.ts';
export type { AuditIo } from './command.ts';
export { runAudit, selectChecks } from './engine.ts';
export type { AuditOptions, AuditHooks, AuditResult, SpecSummary } from './engine.ts';
export { CHECKS } from './checks/index.ts';
export type { Check, CheckContext, Rule, Report } from './check.ts';
export { AuditError } from './errors.ts';
export type { AuditErrorCode } from './errors.ts';
export { SEVERITIES, CONFIDENCES, fingerprintOf, compareFindings } from './finding.ts';
export type { Finding, Severity, Confidence, Evidence, Exchange, Location, OwaspCategory, FindingContext } from './finding.ts';
export { renderText } from './report/text.ts';
export { renderJson } from './report/json.ts';
export { renderSarif } from './report/sarif.ts';
export { renderHtml } from './report/html.ts';
export { renderJunit } from './report/junit.ts';
export { renderReport } from './report/index.ts';
export { applyBaseline, baselineOf, readBaseline, writeBaseline } from './report/baseline.ts';
export type { Baseline, BaselineEntry, Reported } from './report/baseline.ts';
