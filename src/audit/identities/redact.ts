// Credentials of the audit's identities never reach a report: every occurrence of a secret
// value in a finding's evidence is replaced, wherever a check happened to copy it.
import type { Evidence } from '../finding.ts';

const MASK = '<redacted>';

export function scrubText(text: string, secrets: readonly string[]): string {
  let out = text;
  for (const secret of secrets) if (out.includes(secret)) out = out.split(secret).join(MASK);
  return out;
}

function scrubHeaders(headers: Record<string, string>, secrets: readonly string[]): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [name, value] of Object.entries(headers)) out[name] = scrubText(value, secrets);
  return out;
}

export function redactEvidence(evidence: Evidence, secrets: readonly string[]): Evidence {
  if (secrets.length === 0) return evidence;
  // Longest first, so that a secret containing another is masked whole.
  const sorted = [...secrets].sort((a, b) => b.length - a.length);
  return {
    summary: scrubText(evidence.summary, sorted),
    exchanges: evidence.exchanges.map((e) => ({
      ...e,
      request: {
        ...e.request,
        url: scrubText(e.request.url, sorted),
        headers: scrubHeaders(e.request.headers, sorted),
        ...(e.request.bodyExcerpt === undefined ? {} : { bodyExcerpt: scrubText(e.request.bodyExcerpt, sorted) }),
      },
      ...(e.response === undefined
        ? {}
        : { response: { ...e.response, headers: scrubHeaders(e.response.headers, sorted), bodyExcerpt: scrubText(e.response.bodyExcerpt, sorted) } }),
    })),
  };
}
