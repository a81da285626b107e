// API documentation: the OpenAPI 3.1 document generated from route schemas and policies,
// and the routes that serve it.
export { serveDocs } from './routes.ts';
export type { DocsOptions } from './routes.ts';
export { registerOpenApi } from './openapi.ts';
export type { OpenApiOptions } from './openapi.ts';
export type { CredentialScheme } from './security.ts';
