// Security headers judged by what each answer is: an HTML page must not be frameable; any
// body needs `nosniff`; JSON must say it is JSON; no header should name server versions.
// Passive: it reads the survey's answers and sends nothing of its own.
import type { Check, CheckContext } from '../check.ts';
import { Grouped } from '../check.ts';
import { exchange } from '../lib/evidence.ts';
import { parseJson } from '../lib/links.ts';
import type { Observation } from '../survey.ts';

const VERSION_HEADERS = ['server', 'x-powered-by', 'x-aspnet-version', 'x-aspnetmvc-version', 'x-generator', 'x-runtime-version'];
const VERSION = /\d+\.\d+(?:\.\d+)?/;
/** Elements a framed page can trick users into using (scripts render more of them). */
const INTERACTIVE = /<(?:form|button|input|select|textarea|script|a\s[^>]*href)\b|\bonclick\s*=/i;

export function mediaType(headers: Record<string, string>): string {
  return (headers['content-type'] ?? '').split(';')[0]!.trim().toLowerCase();
}

export function isHtml(headers: Record<string, string>): boolean {
  const type = mediaType(headers);
  return type === 'text/html' || type === 'application/xhtml+xml';
}

/** Does the answer forbid being framed by other sites? */
export function frameProtected(headers: Record<string, string>): boolean {
  const xfo = (headers['x-frame-options'] ?? '').trim().toLowerCase();
  if (xfo === 'deny' || xfo === 'sameorigin') return true;
  const csp = headers['content-security-policy'] ?? '';
  return csp.split(',').some((policy) => /(?:^|;)\s*frame-ancestors\s+[^;]+/i.test(policy));
}

export const headersCheck: Check = {
  id: 'headers',
  title: 'Security headers by context',
  owasp: 'API8:2023',
  cwe: 1021,
  summary: 'Frameable HTML pages, missing nosniff, JSON served as another type, version-revealing headers.',
  needs: [],
  rules: [
    {
      id: 'headers.clickjacking',
      title: 'HTML page can be framed by any site (clickjacking)',
      severity: 'medium',
      owasp: 'API8:2023',
      cwe: 1021,
      fix: "Send `Content-Security-Policy: frame-ancestors 'none'` (or 'self') on HTML responses; add `X-Frame-Options: DENY` for old browsers.",
    },
    {
      id: 'headers.missing-nosniff',
      title: 'Responses lack X-Content-Type-Options: nosniff',
      severity: 'low',
      owasp: 'API8:2023',
      cwe: 693,
      fix: 'Send `X-Content-Type-Options: nosniff` on every response, errors included, so browsers never guess a content type.',
    },
    {
      id: 'headers.json-content-type',
      title: 'JSON served with a type browsers render',
      severity: 'medium',
      owasp: 'API8:2023',
      cwe: 436,
      fix: 'Serve JSON as `application/json` (with `X-Content-Type-Options: nosniff`): as text/html, any reflected string becomes script.',
    },
    {
      id: 'headers.version-disclosure',
      title: 'Headers reveal software versions',
      severity: 'low',
      owasp: 'API8:2023',
      cwe: 497,
      fix: 'Remove version details from `Server`, `X-Powered-By` and similar headers (or drop the headers): they point attackers at known CVEs.',
    },
    {
      id: 'headers.framework-disclosure',
      title: 'X-Powered-By names the framework',
      severity: 'info',
      owasp: 'API8:2023',
      cwe: 497,
      fix: 'Drop the `X-Powered-By` header (Express: `app.disable("x-powered-by")`).',
    },
  ],
  run(ctx: CheckContext): Promise<void> {
    const grouped = new Grouped(ctx);
    const answered = ctx.survey.observations.filter((o) => o.result.response.status >= 200 && o.result.response.status < 300);
    for (const observation of answered) inspect(grouped, observation);
    // Version headers are worth reporting on any answer, errors included.
    for (const observation of ctx.survey.observations) inspectVersions(grouped, observation);
    grouped.flush();
    if (answered.length === 0) ctx.note('no successful answer to judge headers on');
    return Promise.resolve();
  },
};

function inspect(grouped: Grouped, observation: Observation): void {
  const { response } = observation.result;
  const { headers } = response;
  const location = { method: observation.method, route: observation.route };
  const hasBody = response.body.length > 0;
  // Framing only matters for a page with something to click.
  if (isHtml(headers) && hasBody && !frameProtected(headers) && parseJson(response.text) === undefined && INTERACTIVE.test(response.text)) {
    grouped.add('headers.clickjacking', location, () => ({
      summary:
        'This HTML page answers without `Content-Security-Policy: frame-ancestors` or `X-Frame-Options`, so any site can load it in a frame and trick users into clicking it.',
      exchanges: [exchange('the page, without frame protection', observation.result, INTERACTIVE, ['x-frame-options', 'content-security-policy'])],
    }));
  }
  if (hasBody && (headers['x-content-type-options'] ?? '').trim().toLowerCase() !== 'nosniff') {
    grouped.add('headers.missing-nosniff', location, () => ({
      summary: 'The answer has a body but no `X-Content-Type-Options: nosniff`, so browsers may sniff it as another type.',
      exchanges: [exchange('answer without nosniff', observation.result, undefined, ['x-content-type-options'])],
    }));
  }
  const type = mediaType(headers);
  if (hasBody && (type === 'text/html' || type === '') && parseJson(response.text) !== undefined) {
    grouped.add('headers.json-content-type', location, () => ({
      summary: `The body is JSON but is served as ${type === '' ? 'no declared type' : `\`${type}\``}; a browser opening this URL may render reflected strings as HTML.`,
      exchanges: [exchange(`JSON body served as ${type || 'untyped'}`, observation.result)],
    }));
  }
}

function inspectVersions(grouped: Grouped, observation: Observation): void {
  const { headers } = observation.result.response;
  const location = { method: observation.method, route: observation.route };
  for (const name of VERSION_HEADERS) {
    const value = headers[name];
    if (value === undefined) continue;
    if (VERSION.test(value)) {
      grouped.add('headers.version-disclosure', location, () => ({
        summary: `\`${name}: ${value}\` tells anyone which software and version answer here.`,
        exchanges: [exchange(`answer with ${name}`, observation.result, undefined, [name])],
      }));
    } else if (name === 'x-powered-by') {
      grouped.add('headers.framework-disclosure', location, () => ({
        summary: `\`X-Powered-By: ${value}\` names the framework behind the API.`,
        exchanges: [exchange('answer with X-Powered-By', observation.result, undefined, ['x-powered-by'])],
      }));
    }
  }
}
