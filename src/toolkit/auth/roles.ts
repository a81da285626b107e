// Roles map to scopes. A principal's scopes are its role's scopes, narrowed (never widened)
// by what a token asked for. The authorization issue makes the mapping configurable.

export const USER_SCOPES = [
  'profile', 'orders:read', 'orders:write', 'accounts:read', 'transfers:write',
  'files:read', 'files:write', 'webhooks:read', 'webhooks:write', 'api-keys:write',
] as const;

export const DEFAULT_ROLES: Readonly<Record<string, readonly string[]>> = Object.freeze({
  admin: [...USER_SCOPES, 'products:write', 'admin:users', 'admin:events', 'admin:accounts', 'docs'],
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
