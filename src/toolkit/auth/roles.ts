// Roles map to scopes. A principal's scopes are its role's scopes, narrowed (never widened)
// by what a token asked for. The authorization issue makes the mapping configurable.

export const USER_SCOPES = [
  'profile', 'orders:read', 'orders:write', 'accounts:read', 'transfers:write',
  'files:read', 'files:write', 'webhooks:read', 'webhooks:write', 'api-keys:write',
] as const;

export type Roles = Readonly<Record<string, readonly string[]>>;

export const DEFAULT_ROLES: Roles = Object.freeze({
  admin: [...USER_SCOPES, 'products:write', 'admin:users', 'admin:events', 'admin:accounts', 'admin:routes', 'docs', 'metrics:read'],
  user: [...USER_SCOPES],
  readonly: ['profile', 'orders:read', 'accounts:read', 'files:read', 'webhooks:read'],
});

export function isRole(role: string, roles = DEFAULT_ROLES): boolean {
  return Object.hasOwn(roles, role);
}

export function scopesOf(role: string, roles = DEFAULT_ROLES): readonly string[] {
  return Object.hasOwn(roles, role) ? roles[role]! : [];
}

/**
 * The scopes to grant: all of the role's when none were requested, else the requested ones
 * (RFC 6749 §3.3, space-separated) — undefined when any requested scope is not the role's.
 */
export function grantScopes(roleScopes: readonly string[], requested: string | undefined): string[] | undefined {
  if (requested === undefined || requested.trim() === '') return [...roleScopes];
  const asked = [...new Set(requested.split(' ').filter((s) => s !== ''))];
  return asked.every((scope) => roleScopes.includes(scope)) ? asked : undefined;
}

const SCOPE = /^[a-z][a-z0-9-]*(:[a-z][a-z0-9-]*)?$/;
const ROLE = /^[a-z][a-z0-9_-]{0,31}$/;

/** Problems with a configured role table (RAMPART_ROLES); empty when it is usable. */
export function roleProblems(roles: unknown): string[] {
  if (typeof roles !== 'object' || roles === null || Array.isArray(roles)) return ['RAMPART_ROLES must be a JSON object of role names to scope lists'];
  const problems: string[] = [];
  for (const [role, scopes] of Object.entries(roles)) {
    if (!ROLE.test(role)) problems.push(`RAMPART_ROLES: role "${role.slice(0, 40)}" must be a lowercase name`);
    if (!Array.isArray(scopes) || !scopes.every((s) => typeof s === 'string' && SCOPE.test(s))) {
      problems.push(`RAMPART_ROLES: role "${role.slice(0, 40)}" must map to an array of scopes like "orders:read"`);
    }
  }
  if (!Object.hasOwn(roles, 'user')) problems.push('RAMPART_ROLES must define the role "user" (given to new accounts)');
  return problems;
}
