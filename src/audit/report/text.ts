// The text report: most severe first, each finding with its proof, evidence and fix.
import type { AuditResult } from '../engine.ts';
import type { Exchange, Finding, Location } from '../finding.ts';
import { describeCounts } from './summary.ts';

const ALWAYS_SHOWN = new Set(['content-type', 'location']);
const BODY_CHARS = 200;

function where(location: Location): string {
  return `${location.method} ${location.route}${location.parameter === undefined ? '' : ` (${location.parameter})`}`;
}

function oneLine(text: string, limit: number): string {
  const flat = text.replace(/\s+/g, ' ').trim();
  return flat.length > limit ? `${flat.slice(0, limit)}…` : flat;
}

function renderExchange(e: Exchange): string[] {
  const lines = [`    ${e.label}`, `      > ${e.request.method} ${e.request.url}`];
  for (const [name, value] of Object.entries(e.request.headers)) {
    if (name === 'user-agent' || name === 'accept') continue;
    lines.push(`        ${name}: ${oneLine(value, 120)}`);
  }
  if (e.request.bodyExcerpt !== undefined) lines.push(`        ${oneLine(e.request.bodyExcerpt, 120)}`);
  if (e.response) {
    lines.push(`      < ${e.response.status}`);
    const shown = new Set([...ALWAYS_SHOWN, ...(e.highlight ?? [])]);
    for (const [name, value] of Object.entries(e.response.headers)) {
      if (shown.has(name)) lines.push(`        ${name}: ${oneLine(value, 120)}`);
    }
    for (const name of e.highlight ?? []) {
      if (e.response.headers[name] === undefined) lines.push(`        (no ${name})`);
    }
    if (e.response.bodyExcerpt !== '') lines.push(`        ${oneLine(e.response.bodyExcerpt, BODY_CHARS)}`);
  }
  return lines;
}

function renderFinding(finding: Finding): string[] {
  const affected = finding.affected.map(where);
  const shownWhere = affected.length <= 4 ? affected.join(', ') : `${affected.slice(0, 4).join(', ')} (+${affected.length - 4} more)`;
  const lines = [
    `[${finding.severity.toUpperCase()}] ${finding.title}`,
    `  ${finding.id} · ${finding.owasp} · CWE-${finding.cwe} · confidence: ${finding.confidence}${finding.context ? ` · ${finding.context}` : ''}`,
    `  Where: ${shownWhere}`,
    `  Proof: ${finding.evidence.summary}`,
    '  Evidence:',
    ...finding.evidence.exchanges.flatMap(renderExchange),
    `  Fix: ${finding.fix}`,
  ];
  if (finding.context === 'development-only') {
    lines.push('  Context: expected while developing; must not be reachable like this in production.');
  }
  lines.push(`  Fingerprint: ${finding.fingerprint.slice(0, 16)}`);
  return lines;
}

export function renderText(result: AuditResult): string {
  const lines: string[] = [`Rampart audit of ${result.target}${result.dryRun ? ' (dry run: nothing was sent)' : ''}`];
  if (result.spec) {
    lines.push(
      `Spec: ${result.spec.source} (OpenAPI ${result.spec.openapi}, ${result.spec.operations} operations${result.spec.discovered ? ', found on the target' : ''})`,
    );
  } else {
    lines.push('Spec: none (only the base URL and the links its answers reveal were audited)');
  }
  lines.push(`Checks run: ${result.checks.ran.join(', ') || 'none'}`);
  for (const skipped of result.checks.skipped) lines.push(`Skipped: ${skipped.id}: ${skipped.reason}`);
  lines.push('', describeCounts(result) + (result.findings.length > 0 ? '' : ' at any severity.'), '');
  for (const finding of result.findings) lines.push(...renderFinding(finding), '');
  if (result.notes.length > 0) {
    lines.push('Notes:');
    for (const note of result.notes) lines.push(`  - ${note}`);
    lines.push('');
  }
  if (!result.complete) lines.push('This audit is INCOMPLETE: see the notes above.', '');
  return `${lines.join('\n')}\n`;
}
