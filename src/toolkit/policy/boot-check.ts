// Deny by default, checked at boot: a route without a policy or without response schemas,
// or whose response schema lets unlisted fields out, stops the server from starting, and
// the message names every such route.
import type { RouteOptions } from 'fastify';
import { looseSchemaPaths, responseSchemasByStatus } from './response-schema.ts';

export class RouteDeclarationError extends Error {
  readonly code = 'RAMPART_ROUTE_DECLARATION';
  readonly problems: readonly string[];
  constructor(problems: readonly string[]) {
    super(`Refusing to start: ${problems.length} route declaration problem(s):\n${problems.map((p) => `  - ${p}`).join('\n')}`);
    this.name = 'RouteDeclarationError';
    this.problems = problems;
  }
}

export function routeProblems(route: RouteOptions): string[] {
  const name = `${Array.isArray(route.method) ? route.method.join('|') : route.method} ${route.url}`;
  const problems: string[] = [];
  const policy = route.policy;
  if (policy === undefined) {
    problems.push(`${name}: no policy; declare \`policy: { public: true }\` or \`policy: { scopes: [...] }\``);
  } else if (!isWellFormed(policy as unknown as Record<string, unknown>)) {
    problems.push(`${name}: policy must be { public: true } or { scopes: [...] }`);
  }
  const byStatus = responseSchemasByStatus(route.schema?.response);
  const statuses = [...byStatus.keys()];
  if (!statuses.some((s) => s.startsWith('2') || s === 'default')) {
    problems.push(`${name}: no response schema for its success status; declare schema.response (e.g. { 200: Type.Object({...}, { additionalProperties: false }) }, or { 204: Type.Null() })`);
  }
  for (const [status, schemas] of byStatus) {
    for (const schema of schemas) {
      for (const loose of looseSchemaPaths(schema)) problems.push(`${name}: response ${status} schema at ${loose} would let unlisted data out`);
    }
  }
  return problems;
}

/** Policies may come from plain JavaScript; check the shape rather than trust the types. */
function isWellFormed(policy: Record<string, unknown>): boolean {
  return policy.public === true || (Array.isArray(policy.scopes) && policy.scopes.every((scope) => typeof scope === 'string'));
}
