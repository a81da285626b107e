// API documentation: OpenAPI 3.1 at /docs/openapi.json and a page at /docs, when
// RAMPART_DOCS is on. Open in development; behind RAMPART_DOCS_SCOPE when one is set, which
// production requires. Registered before every other route, so that it sees them all.
import type { RampartConfig } from '../../config/load.ts';
import { serveDocs } from '../../docs/index.ts';
import { METRICS_SCOPE } from '../../metrics/index.ts';
import type { RampartServer } from '../../server/create.ts';

export interface DocsInfo {
  title: string;
  version: string;
  description?: string;
}

function rolesHolding(config: RampartConfig, scope: string): string {
  return Object.entries(config.identity.roles)
    .filter(([, scopes]) => scopes.includes(scope))
    .map(([role]) => role)
    .join(', ');
}

export async function docsRoutes(app: RampartServer, config: RampartConfig, info: DocsInfo): Promise<void> {
  if (!config.docs.enabled) return;
  const scope = config.docs.scope;
  // The configuration loader already refuses this; never open the docs in production anyway.
  if (scope === undefined && config.mode !== 'development') throw new Error('docs in production need RAMPART_DOCS_SCOPE');
  await serveDocs(app, {
    policy: scope === undefined ? { public: true } : { scopes: [scope] },
    info: { ...info, description: info.description ?? 'Errors are RFC 9457 application/problem+json.' },
    // The service Basic credential (identity.ts) holds only the metrics scope.
    serviceScopes: config.secrets.RAMPART_SERVICE_PASSWORD === undefined ? undefined : [METRICS_SCOPE],
    // Bearer tokens come from the password grant: say so, with every scope a role can hold.
    oauth: {
      tokenUrl: '/v1/auth/token',
      scopes: Object.fromEntries([...new Set(Object.values(config.identity.roles).flat())].sort().map((scope) => [scope, `held by the roles ${rolesHolding(config, scope)}`])),
    },
  });
}
