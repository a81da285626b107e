// Serving the documentation: the OpenAPI document at <path>/openapi.json (and /openapi.json,
// where scanners and tools look first) and a human page at <path>. The docs map the whole
// attack surface, so their policy is the caller's explicit choice: public only in
// development, a scope in production. The docs routes do not describe themselves.
import type { FastifyReply } from 'fastify';
import { Type } from 'typebox';
import type { RoutePolicy } from '../policy/types.ts';
import type { RampartServer } from '../server/create.ts';
import { registerOpenApi, type OpenApiOptions } from './openapi.ts';
import { DOCS_PAGE_CSP, renderDocsPage } from './page.ts';

export interface DocsOptions extends OpenApiOptions {
  /** Who may read the docs: `{ public: true }` in development, `{ scopes: [...] }` in production. */
  policy: RoutePolicy;
  /** Default `/docs`. */
  path?: string;
}

// Strings, not objects: the document is generated here, never from stored data, and is sent
// as bytes; a string schema lets nothing unlisted out, so the boot check accepts it.
const Text = Type.String();

/** Registers the generator and the routes; call it before the routes to describe. */
export async function serveDocs(app: RampartServer, options: DocsOptions): Promise<void> {
  const { policy, path = '/docs', ...openapi } = options;
  if (!/^(\/[a-z0-9._-]+)+$/i.test(path)) throw new TypeError(`serveDocs: path must be a plain path like /docs, not "${path}"`);
  await registerOpenApi(app, openapi);

  // Built once, on first request: the routes are all declared by then.
  let json: Buffer | undefined;
  let page: Buffer | undefined;
  const documentJson = (): Buffer => (json ??= Buffer.from(JSON.stringify(app.swagger())));
  const specHref = `${path.slice(path.lastIndexOf('/') + 1)}/openapi.json`;

  for (const url of [`${path}/openapi.json`, '/openapi.json']) {
    app.get(url, {
      policy,
      schema: { hide: true, response: { 200: Text } },
      handler: (_request, reply) => sendBytes(reply, 'application/json; charset=utf-8', documentJson()),
    });
  }
  app.get(path, {
    policy,
    schema: { hide: true, response: { 200: Text } },
    handler: (_request, reply) => {
      page ??= Buffer.from(renderDocsPage(app.swagger(), specHref));
      reply.header('content-security-policy', DOCS_PAGE_CSP);
      sendBytes(reply, 'text/html; charset=utf-8', page);
    },
  });
}

/** Bytes go out as they are: no JSON serialization of an already serialized document. */
function sendBytes(reply: FastifyReply, type: string, body: Buffer): void {
  void reply.type(type).send(body);
}
