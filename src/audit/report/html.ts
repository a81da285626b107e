// The HTML report: one self-contained file a person can read and forward. A summary by category
// and severity with a chart, filters, and each finding with its proof folded and the fix beside it.
//
// The target is hostile: every string that came from it is escaped, and the page carries a CSP
// that allows only our own style and script, by hash. Nothing else can run or load, so even a
// payload that slipped past escaping would stay inert. Inline `style=` attributes would need
// 'unsafe-hashes', so there are none; the chart's sizes are SVG attributes.
import { createHash } from 'node:crypto';
import type { Exchange, Finding } from '../finding.ts';
import { SEVERITIES } from '../finding.ts';
import type { Severity } from '../finding.ts';
import type { Reported } from './baseline.ts';
import { accountLines, ledgerLines } from './text.ts';
import { HTML_SCRIPT, HTML_STYLE } from './html-assets.ts';
import { escapeHtml as h } from './sanitize.ts';
import { countBySeverity, describeLocation } from './summary.ts';
import { cweUrl, owaspLabel, owaspUrl } from './tool.ts';

function sha256(text: string): string {
  return `'sha256-${createHash('sha256').update(text, 'utf8').digest('base64')}'`;
}

/** The page's whole policy: our one style and one script, data: images, nothing else. */
export const HTML_CSP = [
  "default-src 'none'",
  `style-src ${sha256(HTML_STYLE)}`,
  `script-src ${sha256(HTML_SCRIPT)}`,
  'img-src data:',
  "base-uri 'none'",
  "form-action 'none'",
].join('; ');

const BY_SEVERITY_DESC = [...SEVERITIES].reverse();
const COLOURS: Record<Severity, string> = { critical: '#7b1020', high: '#c0392b', medium: '#d68910', low: '#2e86c1', info: '#7f8c8d' };

function chart(counts: Record<Severity, number>): string {
  const max = Math.max(1, ...Object.values(counts));
  const rowHeight = 26;
  const barMax = 260;
  const rows = BY_SEVERITY_DESC.map((severity, i) => {
    const y = i * rowHeight;
    const width = Math.round((counts[severity] / max) * barMax);
    return [
      `<text x="0" y="${y + 17}" class="axis">${severity}</text>`,
      `<rect x="80" y="${y + 4}" width="${width}" height="18" rx="3" fill="${COLOURS[severity]}"/>`,
      `<text x="${86 + width}" y="${y + 17}" class="count">${counts[severity]}</text>`,
    ].join('');
  });
  const label = BY_SEVERITY_DESC.map((s) => `${counts[s]} ${s}`).join(', ');
  return `<svg class="chart" role="img" aria-label="Findings by severity: ${label}" width="380" height="${rowHeight * BY_SEVERITY_DESC.length}" viewBox="0 0 380 ${rowHeight * BY_SEVERITY_DESC.length}">${rows.join('')}</svg>`;
}

function categoryTable(findings: readonly Finding[]): string {
  const categories = [...new Set(findings.map((f) => f.owasp))].sort((a, b) => Number(a.slice(3).split(':')[0]) - Number(b.slice(3).split(':')[0]));
  if (categories.length === 0) return '<p>No findings in any category.</p>';
  const head = `<tr><th scope="col">OWASP API Top 10 (2023)</th>${BY_SEVERITY_DESC.map((s) => `<th scope="col">${s}</th>`).join('')}<th scope="col">total</th></tr>`;
  const rows = categories.map((category) => {
    const mine = findings.filter((f) => f.owasp === category);
    const cells = BY_SEVERITY_DESC.map((s) => {
      const n = mine.filter((f) => f.severity === s).length;
      return `<td class="${n > 0 ? `n sev-${s}` : 'zero'}">${n}</td>`;
    });
    return `<tr><th scope="row">${h(owaspLabel(category))}</th>${cells.join('')}<td>${mine.length}</td></tr>`;
  });
  return `<table class="categories"><thead>${head}</thead><tbody>${rows.join('')}</tbody></table>`;
}

function headers(values: Record<string, string>, highlight: readonly string[] = []): string {
  return Object.entries(values)
    .map(([name, value]) => `${highlight.includes(name) ? '<mark>' : ''}${h(name)}: ${h(value)}${highlight.includes(name) ? '</mark>' : ''}`)
    .join('\n');
}

function exchange(e: Exchange): string {
  const request = `${h(e.request.method)} ${h(e.request.url)}\n${headers(e.request.headers)}${e.request.bodyExcerpt === undefined ? '' : `\n\n${h(e.request.bodyExcerpt)}`}`;
  const missing = (e.highlight ?? []).filter((name) => e.response?.headers[name] === undefined);
  const response =
    e.response === undefined
      ? '(no answer)'
      : `HTTP ${e.response.status}\n${headers(e.response.headers, e.highlight)}${missing.length > 0 ? `\n<mark>(no ${missing.map(h).join(', no ')})</mark>` : ''}${e.response.bodyExcerpt === '' ? '' : `\n\n${h(e.response.bodyExcerpt)}`}`;
  return `<div class="exchange"><h5>${h(e.label)}</h5><div class="pair"><pre class="request" aria-label="request">${request}</pre><pre class="response" aria-label="response">${response}</pre></div></div>`;
}

function finding(f: Finding): string {
  const affected = f.affected.map((l) => `<li><code>${h(describeLocation(l))}</code></li>`).join('');
  const n = f.evidence.exchanges.length;
  return `<article class="finding sev-${f.severity}" data-severity="${f.severity}" data-category="${h(f.owasp)}" id="f-${h(f.fingerprint.slice(0, 16))}">
<header><span class="badge sev-${f.severity}">${f.severity}</span><h3>${h(f.title)}</h3>
<p class="meta"><code>${h(f.id)}</code> · ${h(owaspLabel(f.owasp))} · CWE-${f.cwe} · confidence: ${h(f.confidence)}${f.context ? ` · ${h(f.context)}` : ''}</p></header>
<div class="body"><div class="proof"><p class="summary">${h(f.evidence.summary)}</p><ul class="where">${affected}</ul>
<details><summary>Proof: ${n} exchange${n === 1 ? '' : 's'}</summary>${f.evidence.exchanges.map(exchange).join('')}</details></div>
<aside class="fix"><h4>Fix</h4><p>${h(f.fix)}</p>${f.context === 'development-only' ? '<p class="context">Expected while developing; must not be reachable like this in production.</p>' : ''}
<p class="links"><a href="${h(owaspUrl(f.owasp))}" rel="noopener noreferrer">OWASP ${h(f.owasp)}</a> · <a href="${h(cweUrl(f.cwe))}" rel="noopener noreferrer">CWE-${f.cwe}</a></p>
<p class="fingerprint">Fingerprint <code>${h(f.fingerprint.slice(0, 16))}</code></p></aside></div>
</article>`;
}

function filters(findings: readonly Finding[]): string {
  const counts = countBySeverity({ findings });
  const boxes = BY_SEVERITY_DESC.map(
    (s) => `<label class="sev-${s}"><input type="checkbox" name="severity" value="${s}" checked> ${s} (${counts[s]})</label>`,
  ).join('');
  const categories = [...new Set(findings.map((f) => f.owasp))].sort();
  const options = categories.map((c) => `<option value="${h(c)}">${h(owaspLabel(c))}</option>`).join('');
  return `<section id="filters" aria-label="Filters"><fieldset><legend>Severity</legend>${boxes}</fieldset>
<label>Category <select id="category"><option value="">All categories</option>${options}</select></label>
<p id="shown" aria-live="polite">Showing ${findings.length} of ${findings.length} findings</p></section>`;
}

/** Which operations need credentials, found by behaviour (protection.ts): one row each, every value from the target escaped. */
function protectionSection(entries: Reported['protection']): string {
  if (entries.length === 0) return '';
  const count = (verdict: string): number => entries.filter((e) => e.verdict === verdict).length;
  const rows = entries
    .map((e) => {
      const seen = [
        ...(e.anonymous === undefined ? [] : [`anonymous ${e.anonymous}`]),
        ...Object.entries(e.identities).map(([name, status]) => `${name} ${status}`),
      ].join(', ');
      return `<tr class="verdict-${h(e.verdict)}"><td>${h(e.verdict)}</td><td><code>${h(`${e.method} ${e.route}`)}</code></td><td>${h(seen)}</td><td>${h(e.why)}</td></tr>`;
    })
    .join('');
  return `<section id="protection"><h2>Protection, found by behaviour</h2><p>${count('protected')} protected, ${count('public')} public, ${count('unknown')} unknown. Every check uses this classification.</p><table><thead><tr><th>verdict</th><th>operation</th><th>answers</th><th>why</th></tr></thead><tbody>${rows}</tbody></table></section>`;
}

export function renderHtml(result: Reported): string {
  const suppressed = result.suppressed ?? [];
  const counts = countBySeverity(result);
  const meta = [
    `started ${h(result.startedAt)}`,
    `${(result.durationMs / 1000).toFixed(1)} s`,
    `${result.requests} requests`,
    result.spec ? `spec: ${h(result.spec.source)} (OpenAPI ${h(result.spec.openapi)}, ${result.spec.operations} operations)` : 'no OpenAPI spec',
  ].join(' · ');
  const total = `<p id="totals"><strong>${result.findings.length}</strong> finding${result.findings.length === 1 ? '' : 's'}${suppressed.length > 0 ? ` · <strong>${suppressed.length}</strong> suppressed by the baseline` : ''}${result.complete ? '' : ' · <strong class="incomplete">audit incomplete</strong>'}</p>`;
  const skipped = result.checks.skipped.map((s) => `<li><code>${h(s.id)}</code>: ${h(s.reason)}</li>`).join('');
  const notes = result.notes.map((n) => `<li>${h(n)}</li>`).join('');
  const accounts = accountLines(result).slice(1).filter((l) => l.trim() !== '');
  const suppressedList = suppressed
    .map((f) => `<li><span class="badge sev-${f.severity}">${f.severity}</span> ${h(f.title)} · <code>${h(f.id)}</code> · <code>${h(describeLocation(f.location))}</code></li>`)
    .join('');
  return `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta http-equiv="Content-Security-Policy" content="${HTML_CSP}">
<meta name="referrer" content="no-referrer">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>Rampart audit of ${h(result.target)}</title>
<style>${HTML_STYLE}</style>
</head>
<body>
<header class="page"><h1>Rampart audit</h1><p class="target"><code>${h(result.target)}</code></p><p class="meta">${meta}</p>
<p class="meta">Checks run: ${result.checks.ran.map((c) => `<code>${h(c)}</code>`).join(' ') || 'none'}</p></header>
<main>
${result.changes.length > 0 ? `<section id="changes"><h2>The audit left these changes (${result.changes.length})</h2><ul>${result.changes.map((c) => `<li>${h(c)}</li>`).join('')}</ul></section>` : ''}
<section id="summary" aria-labelledby="summary-title"><h2 id="summary-title">Summary</h2>${total}
<div class="charts">${chart(counts)}${categoryTable(result.findings)}</div></section>
${filters(result.findings)}
<section id="findings" aria-label="Findings">${result.findings.map(finding).join('\n')}</section>
${suppressed.length > 0 ? `<section id="suppressed"><h2>Suppressed by the baseline (${suppressed.length})</h2><ul>${suppressedList}</ul></section>` : ''}
${skipped !== '' ? `<section id="skipped"><h2>Skipped checks</h2><ul>${skipped}</ul></section>` : ''}
${notes !== '' ? `<section id="notes"><h2>Notes</h2><ul>${notes}</ul></section>` : ''}
${result.unchecked.length > 0 ? `<section id="unchecked"><h2>Not compared before and after</h2><ul>${result.unchecked.map((u) => `<li>${h(u)}</li>`).join('')}</ul></section>` : ''}
${protectionSection(result.protection)}
${accounts.length > 0 ? `<section id="accounts"><h2>Accounts the audit registered for itself (${result.accounts.length})</h2><ul>${accounts.map((l) => `<li>${h(l.trim())}</li>`).join('')}</ul></section>` : ''}
${result.writes.length > 0 ? `<section id="writes"><h2>Writes sent (${result.writes.length})</h2><ul>${ledgerLines(result.writes).map((l) => `<li>${h(l.trim())}</li>`).join('')}</ul></section>` : ''}
</main>
<footer>Everything shown from the target is escaped; this page runs only its own script.</footer>
<script>${HTML_SCRIPT}</script>
</body>
</html>
`;
}
