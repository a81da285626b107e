// Turning exchanges into evidence: the request as sent and the part of the answer that proves
// the point, short enough to read in a terminal and in a SARIF viewer.
import type { Exchange, EvidenceRequest, EvidenceResponse } from '../finding.ts';
import type { HttpResult } from '../http/client.ts';

const BODY_EXCERPT = 600;
const REQUEST_BODY_EXCERPT = 300;
const SECRET_HEADERS = new Set(['authorization', 'cookie', 'proxy-authorization']);
/** Probe values are ours and harmless; anything else in a secret header is redacted. */
export const PROBE_MARK = 'rampart-probe';

export function excerpt(text: string, limit: number, focus?: string | RegExp): string {
  if (text.length <= limit) return text;
  let index = -1;
  if (typeof focus === 'string') index = text.indexOf(focus);
  else if (focus !== undefined) index = text.search(focus);
  if (index <= 0) return `${text.slice(0, limit)}…`;
  const start = Math.max(0, index - Math.floor(limit / 3));
  const end = Math.min(text.length, start + limit);
  return `${start > 0 ? '…' : ''}${text.slice(start, end)}${end < text.length ? '…' : ''}`;
}

export function requestEvidence(result: HttpResult): EvidenceRequest {
  const headers: Record<string, string> = {};
  for (const [name, value] of Object.entries(result.request.headers)) {
    headers[name] = SECRET_HEADERS.has(name) && !value.includes(PROBE_MARK) ? '<redacted>' : value;
  }
  const body = result.request.body;
  const text = body === undefined ? undefined : typeof body === 'string' ? body : body.toString('utf8');
  return {
    method: result.request.method,
    url: result.request.url,
    headers,
    ...(text === undefined
      ? {}
      : { bodyExcerpt: text.length > REQUEST_BODY_EXCERPT ? `${text.slice(0, REQUEST_BODY_EXCERPT)}… (${text.length} bytes)` : text }),
  };
}

export function responseEvidence(result: HttpResult, focus?: string | RegExp): EvidenceResponse | undefined {
  if (result.outcome !== 'ok') return undefined;
  const { status, headers, text, truncated } = result.response;
  return {
    status,
    headers: { ...headers },
    bodyExcerpt: excerpt(text, BODY_EXCERPT, focus) + (truncated ? ' (body cut at the size cap)' : ''),
  };
}

/** An exchange for evidence; `highlight` names the response headers that carry the proof. */
export function exchange(label: string, result: HttpResult, focus?: string | RegExp, highlight?: string[]): Exchange {
  const response = responseEvidence(result, focus);
  return {
    label,
    request: requestEvidence(result),
    ...(response === undefined ? {} : { response }),
    ...(highlight === undefined || highlight.length === 0 ? {} : { highlight }),
  };
}

/** The exchange with each of `values` (tokens, cookie values) replaced by `<redacted>` wherever it shows. */
export function masked(shown: Exchange, values: readonly string[]): Exchange {
  const hide = (text: string): string => values.filter((v) => v.length >= 4).reduce((out, v) => out.split(v).join('<redacted>'), text);
  const request = { ...shown.request, url: hide(shown.request.url), headers: Object.fromEntries(Object.entries(shown.request.headers).map(([k, v]) => [k, hide(v)])) };
  if (shown.request.bodyExcerpt !== undefined) request.bodyExcerpt = hide(shown.request.bodyExcerpt);
  if (shown.response === undefined) return { ...shown, request };
  const headers = Object.fromEntries(Object.entries(shown.response.headers).map(([k, v]) => [k, hide(v)]));
  return { ...shown, request, response: { ...shown.response, headers, bodyExcerpt: hide(shown.response.bodyExcerpt) } };
}
