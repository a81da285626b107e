// OpenAPI security for Rampart routes: the schemes the toolkit's authenticators accept, and
// each operation's requirements derived from its policy — so the document cannot drift from
// what the server enforces.
import { SESSION_COOKIE } from '../auth/sessions/index.ts';
import { isPublicPolicy, type RoutePolicy } from '../policy/types.ts';

export type CredentialScheme = 'bearer' | 'apiKey' | 'cookie';

export const ALL_CREDENTIALS: readonly CredentialScheme[] = ['bearer', 'apiKey', 'cookie'];

type SecurityScheme =
  | { type: 'http'; scheme: 'bearer' | 'basic'; bearerFormat?: string; description: string }
  | { type: 'apiKey'; in: 'header' | 'cookie'; name: string; description: string }
  | { type: 'oauth2'; description: string; flows: { password: { tokenUrl: string; refreshUrl: string; scopes: Record<string, string> } } };

const SCHEMES: Readonly<Record<CredentialScheme | 'basic', SecurityScheme>> = {
  bearer: { type: 'http', scheme: 'bearer', bearerFormat: 'JWT', description: 'An RFC 9068 access token (`typ: at+jwt`) from POST /v1/auth/token.' },
  apiKey: { type: 'apiKey', in: 'header', name: 'X-API-Key', description: 'An API key from POST /v1/api-keys (`Authorization: ApiKey …` works too; never in the URL).' },
  cookie: { type: 'apiKey', in: 'cookie', name: SESSION_COOKIE, description: 'A session from POST /v1/auth/session. Unsafe methods also need a same-origin `Origin` and the `X-CSRF-Token` returned at login.' },
  basic: { type: 'http', scheme: 'basic', description: 'The service credential (RAMPART_SERVICE_USER / RAMPART_SERVICE_PASSWORD), for service endpoints only; HTTPS only in production.' },
};

export interface SecurityOptions {
  /** Credentials the API accepts on authenticated routes. */
  credentials: readonly CredentialScheme[];
  /** Scopes of the HTTP Basic service credential; undefined when Basic is off. */
  serviceScopes: readonly string[] | undefined;
  /**
   * Where bearer tokens come from, when the API runs the OAuth2 password grant (`authRoutes`):
   * the bearer scheme is then described as OAuth2's password flow, so that clients, the docs
   * page and auditors can log in from the document alone.
   */
  oauth?: { tokenUrl: string; scopes: Readonly<Record<string, string>> };
}

export function securitySchemes(options: SecurityOptions): Record<string, SecurityScheme> {
  const schemes: Record<string, SecurityScheme> = {};
  for (const credential of options.credentials) schemes[credential] = SCHEMES[credential];
  if (options.oauth !== undefined && schemes.bearer !== undefined) {
    const { tokenUrl, scopes } = options.oauth;
    schemes.bearer = {
      type: 'oauth2',
      description: `${SCHEMES.bearer.description} Sent as \`Authorization: Bearer …\`.`,
      flows: { password: { tokenUrl, refreshUrl: tokenUrl, scopes: { ...scopes } } },
    };
  }
  if (options.serviceScopes !== undefined) schemes.basic = SCHEMES.basic;
  return schemes;
}

/**
 * Public routes need nothing (`[]`). Scoped routes accept any configured credential that
 * carries the scopes; Basic is listed on service endpoints: routes that name scopes, all of
 * which the service credential holds.
 */
export function securityRequirements(policy: RoutePolicy, options: SecurityOptions): Record<string, string[]>[] {
  if (isPublicPolicy(policy)) return [];
  const scopes = [...policy.scopes];
  const requirements = options.credentials.map((credential) => ({ [credential]: scopes }));
  const service = options.serviceScopes;
  if (service !== undefined && scopes.length > 0 && scopes.every((scope) => service.includes(scope))) requirements.push({ basic: scopes });
  return requirements;
}
