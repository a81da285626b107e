// The human page at /docs: every operation with its security, rendered on the server from the
// OpenAPI document. No script and no third-party asset, so its CSP stays as strict as the API's:
// only its own inline stylesheet is allowed, by hash.
import { createHash } from 'node:crypto';

const STYLE = 'body{font:15px/1.5 system-ui,sans-serif;margin:2rem auto;max-width:70rem;padding:0 1rem}' +
  'table{border-collapse:collapse;width:100%}td,th{border-bottom:1px solid #ddd;padding:.35rem .5rem;text-align:left;vertical-align:top}' +
  'code{font-size:.9em}.m{font-weight:600;text-transform:uppercase}';

export const DOCS_PAGE_CSP = `default-src 'none'; style-src 'sha256-${createHash('sha256').update(STYLE).digest('base64')}'; ` +
  "frame-ancestors 'none'; base-uri 'none'; form-action 'none'";

const METHODS = ['get', 'put', 'post', 'delete', 'options', 'head', 'patch', 'trace'];

interface Operation {
  summary?: string;
  deprecated?: boolean;
  security?: Record<string, string[]>[];
}

interface Document {
  info?: { title?: string; version?: string; description?: string };
  paths?: Record<string, Record<string, unknown> | undefined>;
}

const ESCAPES: Readonly<Record<string, string>> = { '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' };
const escape = (text: string): string => text.replace(/[&<>"']/g, (c) => ESCAPES[c]!);

function access(operation: Operation): string {
  const requirements = operation.security ?? [];
  if (requirements.length === 0) return 'public';
  const scopes = [...new Set(requirements.flatMap((r) => Object.values(r).flat()))];
  const schemes = requirements.map((r) => Object.keys(r).join(' + ')).join(', ');
  return `${scopes.length > 0 ? scopes.map((s) => `<code>${escape(s)}</code>`).join(' ') : 'any authenticated caller'} <small>(${escape(schemes)})</small>`;
}

/** The page, linking to the JSON document at `specHref` (relative to /docs). */
export function renderDocsPage(document: Document, specHref: string): string {
  const title = escape(document.info?.title ?? 'API');
  const rows: string[] = [];
  for (const [path, item] of Object.entries(document.paths ?? {})) {
    for (const method of METHODS) {
      const operation = item?.[method] as Operation | undefined;
      if (operation === undefined) continue;
      const note = operation.deprecated === true ? ' <em>(deprecated)</em>' : '';
      rows.push(`<tr><td class="m">${method}</td><td><code>${escape(path)}</code>${note}</td><td>${escape(operation.summary ?? '')}</td><td>${access(operation)}</td></tr>`);
    }
  }
  return '<!doctype html><html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width,initial-scale=1">' +
    `<title>${title}</title><style>${STYLE}</style></head><body>` +
    `<h1>${title} <small>${escape(document.info?.version ?? '')}</small></h1>` +
    (document.info?.description ? `<p>${escape(document.info.description)}</p>` : '') +
    `<p>The OpenAPI 3.1 document: <a href="${escape(specHref)}">${escape(specHref)}</a>.</p>` +
    `<table><thead><tr><th>method</th><th>path</th><th>summary</th><th>access</th></tr></thead><tbody>${rows.join('')}</tbody></table>` +
    '</body></html>';
}
