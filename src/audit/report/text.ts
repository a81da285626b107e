// The text report: most severe first, each finding with its proof, evidence and fix. Anything the
// target sent is stripped of terminal control first, so an answer cannot clear the screen, retitle
// the window or overwrite a line of the report.
import type { Exchange, Finding, Location } from '../finding.ts';
import type { Reported } from './baseline.ts';
import { stripControls as clean } from './sanitize.ts';
import { describeCounts } from './summary.ts';

const ALWAYS_SHOWN = new Set(['content-type', 'location']);
const BODY_CHARS = 200;

function where(location: Location): string {
  return clean(`${location.method} ${location.route}${location.parameter === undefined ? '' : ` (${location.parameter})`}`);
}

function oneLine(text: string, limit: number): string {
  const flat = clean(text).replace(/\s+/g, ' ').trim();
  return flat.length > limit ? `${flat.slice(0, limit)}…` : flat;
}

function renderExchange(e: Exchange): string[] {
  const lines = [`    ${oneLine(e.label, 200)}`, `      > ${oneLine(`${e.request.method} ${e.request.url}`, 400)}`];
  for (const [name, value] of Object.entries(e.request.headers)) {
    if (name === 'user-agent' || name === 'accept') continue;
    lines.push(`        ${clean(name)}: ${oneLine(value, 120)}`);
  }
  if (e.request.bodyExcerpt !== undefined) lines.push(`        ${oneLine(e.request.bodyExcerpt, 120)}`);
  if (e.response) {
    lines.push(`      < ${e.response.status}`);
    const shown = new Set([...ALWAYS_SHOWN, ...(e.highlight ?? [])]);
    for (const [name, value] of Object.entries(e.response.headers)) {
      if (shown.has(name)) lines.push(`        ${clean(name)}: ${oneLine(value, 120)}`);
    }
    for (const name of e.highlight ?? []) {
      if (e.response.headers[name] === undefined) lines.push(`        (no ${clean(name)})`);
    }
    if (e.response.bodyExcerpt !== '') lines.push(`        ${oneLine(e.response.bodyExcerpt, BODY_CHARS)}`);
  }
  return lines;
}

function renderFinding(finding: Finding): string[] {
  const affected = finding.affected.map(where);
  const shownWhere = affected.length <= 4 ? affected.join(', ') : `${affected.slice(0, 4).join(', ')} (+${affected.length - 4} more)`;
  const lines = [
    `[${finding.severity.toUpperCase()}] ${oneLine(finding.title, 300)}`,
    `  ${finding.id} · ${finding.owasp} · CWE-${finding.cwe} · confidence: ${finding.confidence}${finding.context ? ` · ${finding.context}` : ''}`,
    `  Where: ${shownWhere}`,
    `  Proof: ${oneLine(finding.evidence.summary, 2000)}`,
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

/** The write ledger, writes alike in all but a counter (`burst 3/50`) on one line. */
export function ledgerLines(writes: Reported['writes']): string[] {
  const groups = new Map<string, { count: number; answers: Set<string>; restored: Set<string>; first: Reported['writes'][number] }>();
  for (const write of writes) {
    const why = write.why.replace(/\b\d+\/\d+\b/g, 'n/N');
    const key = `${write.method} ${write.route} ${write.identity} ${why}`;
    const group = groups.get(key) ?? { count: 0, answers: new Set<string>(), restored: new Set<string>(), first: write };
    group.count++;
    group.answers.add(String(write.answer));
    group.restored.add(write.restored);
    groups.set(key, group);
  }
  return [...groups.values()].map(({ count, answers, restored, first }) => {
    const times = count === 1 ? '' : ` ×${count}`;
    const why = count === 1 ? first.why : first.why.replace(/\b\d+\/\d+\b/g, 'n/N');
    return `  ${where({ method: first.method, route: first.route })}${times} as ${clean(first.identity)}: ${oneLine(why, 200)} → ${oneLine([...answers].join(', '), 80)}; restored: ${oneLine([...restored].join('; '), 300)}`;
  });
}

/** The accounts the audit registered for itself, and what the after-reads show of those left behind (not changes). */
export function accountLines(result: Pick<Reported, 'accounts' | 'kept'>): string[] {
  const accounts = result.accounts;
  if (accounts.length === 0) return [];
  const lines = [`Accounts the audit registered for itself (${accounts.length}):`];
  for (const a of accounts) {
    const raised = Object.keys(a.extra).length === 0 ? '' : `, registered with ${Object.entries(a.extra).map(([k, v]) => `${k}=${JSON.stringify(v)}`).join(', ')}`;
    const fate = a.fate === 'deleted' ? 'deleted and verified gone' : a.fate === 'left behind' ? 'LEFT BEHIND on purpose (the target offers no way to delete it): remove it by hand' : 'NOT DELETED (the DELETE failed): remove it by hand';
    lines.push(`  ${oneLine(a.username, 80)}${a.id === undefined ? '' : ` (id ${oneLine(a.id, 40)})`} ${oneLine(a.why, 200)}${oneLine(raised, 200)}: ${fate}`);
  }
  for (const line of result.kept) lines.push(`  left on purpose, not a change: ${oneLine(line, 400)}`);
  lines.push('');
  return lines;
}

export function renderText(result: Reported): string {
  const lines: string[] = [];
  if (result.changes.length > 0) {
    lines.push(`THE AUDIT LEFT THESE CHANGES (${result.changes.length}): the target's data differs from what the audit read before it wrote anything.`);
    for (const change of result.changes) lines.push(`  ! ${oneLine(change, 400)}`);
    lines.push('');
  }
  lines.push(`Rampart audit of ${clean(result.target)}${result.dryRun ? ' (dry run: nothing was sent)' : ''}`);
  if (result.spec) {
    lines.push(
      `Spec: ${clean(result.spec.source)} (OpenAPI ${clean(result.spec.openapi)}, ${result.spec.operations} operations${result.spec.discovered ? ', found on the target' : ''})`,
    );
  } else {
    lines.push('Spec: none (only the base URL and the links its answers reveal were audited)');
  }
  lines.push(`Checks run: ${result.checks.ran.join(', ') || 'none'}`);
  for (const skipped of result.checks.skipped) lines.push(`Skipped: ${skipped.id}: ${clean(skipped.reason)}`);
  const none = result.findings.length === 0 && (result.suppressed ?? []).length === 0;
  lines.push('', describeCounts(result) + (none ? ' at any severity.' : ''), '');
  for (const finding of result.findings) lines.push(...renderFinding(finding), '');
  const suppressed = result.suppressed ?? [];
  if (suppressed.length > 0) {
    lines.push(`Suppressed by the baseline (${suppressed.length}):`);
    for (const f of suppressed) lines.push(`  [${f.severity.toUpperCase()}] ${oneLine(f.title, 300)} · ${f.id} · ${where(f.location)}`);
    lines.push('');
  }
  if (result.notes.length > 0) {
    lines.push('Notes:');
    for (const note of result.notes) lines.push(`  - ${oneLine(note, 2000)}`);
    lines.push('');
  }
  if (!result.dryRun) {
    lines.push(result.changes.length === 0 ? 'Before/after comparison: no change found in what the audit could read.' : `Before/after comparison: ${result.changes.length} change(s), listed at the top.`);
    if (result.unchecked.length > 0) {
      lines.push('Not compared:');
      for (const item of result.unchecked) lines.push(`  - ${oneLine(item, 400)}`);
    }
    lines.push('');
    lines.push(...accountLines(result));
    lines.push(result.writes.length === 0 ? 'Writes sent: none.' : `Writes sent (${result.writes.length}):`);
    lines.push(...ledgerLines(result.writes), '');
  }
  const protection = result.protection;
  if (protection.length > 0) {
    const count = (verdict: string): number => protection.filter((p) => p.verdict === verdict).length;
    lines.push(`Protection, found by behaviour (every check uses it): ${count('protected')} protected, ${count('public')} public, ${count('unknown')} unknown`);
    for (const p of protection) lines.push(`  ${p.verdict.padEnd(9)} ${oneLine(`${p.method} ${p.route}`, 200)}: ${oneLine(p.why, 300)}`);
    lines.push('');
  }
  if (!result.complete) lines.push('This audit is INCOMPLETE: see the notes above.', '');
  return `${lines.join('\n')}\n`;
}
