// Rampart toolkit: the whole public API. Everything not exported here is internal.

// First: on a Node older than 24 this stops with one line naming the version needed.
import './runtime/require-node.ts';

// One call: the server with database, identity, auth routes, events, metrics and docs wired.
export { createRampart, serve, openIdentity, openServiceFieldKeyring, serviceAuthenticator, migrateSchema, migrateOrCheck, checkServingRole, DatabaseRoleError } from './rampart/index.ts';
export type { RampartApp, RampartOptions, DocsInfo, Schema, MigrateOptions, MigrateResult } from './rampart/index.ts';

export { createServer } from './server/create.ts';
export type { RampartServer } from './server/create.ts';
export type { RampartTypeProvider } from './server/type-provider.ts';
export { listen, closeOnSignals } from './server/listen.ts';
export type { ListenOptions, Listening, SignalOptions } from './server/listen.ts';
export { drainTiming, whenQuiet } from './server/drain.ts';
export type { Drain, DrainTiming } from './server/drain.ts';
export { resolveServerOptions, checkServerOptions, DEFAULT_LIMITS, DEFAULT_RATE_LIMIT } from './server/options.ts';
export type { Limits, Mode, RateLimitDefaults, ServerOptions, ServerOptionsInput } from './server/options.ts';
export type { ClientInfo } from './server/proxy.ts';

export { loadConfig } from './config/load.ts';
export type { RampartConfig, IdentitySettings } from './config/load.ts';
export type { UploadSettings } from './config/load.ts';
export { ConfigError } from './config/config-error.ts';
export { SETTINGS, settingsMarkdown } from './config/settings.ts';
export { isPlaceholderSecret } from './config/placeholders.ts';

export { HttpProblem, PROBLEM_CONTENT_TYPE } from './errors/problem.ts';
export { classifyFault, DEPENDENCY_UNAVAILABLE, BUSY, INSUFFICIENT_STORAGE } from './faults/classify.ts';
export type { Fault } from './faults/classify.ts';
export { notReadyProblem } from './faults/readiness.ts';
export type { Readiness } from './faults/readiness.ts';
export type { FaultMonitor, Probe } from './faults/monitor.ts';
export type { ProblemDetails, ProblemInit } from './errors/problem.ts';

export { RouteDeclarationError } from './policy/boot-check.ts';
export type { RoutePolicy, PublicPolicy, AuthenticatedPolicy, RateLimitRule, OwnershipRule, OwnerScope, Deprecation, AuthenticatedRequest, PrincipalFor } from './policy/types.ts';
export { RESOURCE_NOT_FOUND, RESOURCE_ID_PATTERN } from './policy/ownership.ts';
export type { EnumerationLimit } from './policy/ownership.ts';
export type { RouteInfo } from './policy/inventory.ts';
export type { SecurityEventReporter, ToolkitSecurityEvent } from './policy/events.ts';
export type { Principal, Authenticator, AuthMethod } from './policy/principal.ts';

export { createIdentity } from './auth/identity.ts';
export type { Identity, IdentityOptions, TokenResponse } from './auth/identity.ts';
export { authRoutes, refuseInsecureCredentials } from './auth/routes.ts';
export { createBasicAuthenticator } from './auth/basic.ts';
export type { ServiceCredential } from './auth/basic.ts';
export { SESSION_COOKIE } from './auth/sessions/index.ts';
export type { AuthRouteOptions } from './auth/routes.ts';
export { identityMigrations } from './auth/schema.ts';
export { identityGrants } from './auth/grants.ts';
export type { IdentityTables, UsersTable } from './auth/schema.ts';
export { OAuthError } from './auth/oauth-error.ts';
export { createApiKeys, createApiKeyAuthenticator, parseApiKey, API_KEY_ID_PATTERN, API_KEY_PATTERN, API_KEY_SEARCH_PATTERN, API_KEY_PREFIX } from './auth/api-keys/index.ts';
export type { ApiKeys, ApiKeySummary, CreatedApiKey, NewApiKey, ApiKeyServiceOptions, ApiKeyAuthenticatorOptions } from './auth/api-keys/index.ts';
export { DEFAULT_ROLES, scopesOf, grantScopes, isRole } from './auth/roles.ts';
export type { Roles } from './auth/roles.ts';
export { toPublicUser, normalizeUsername } from './auth/users.ts';
export { canonicalUsername, validUsername, USERNAME_PATTERN } from './auth/username.ts';
export { listUsernameConflicts, describeUsernameConflicts } from './auth/username-conflicts.ts';
export type { UsernameConflict } from './auth/username-conflicts.ts';
export type { PublicUser } from './auth/users.ts';
export { openFieldKeyring, FieldDecryptError } from './crypto/field-keyring.ts';
export { SecretMismatchError } from './crypto/secret-mismatch.ts';
export type { FieldCipher, FieldContext, FieldKeyring, FieldKeyringOptions, FieldDecryptErrorCode } from './crypto/field-keyring.ts';
export { rotateFieldKeys } from './crypto/rotate-fields.ts';
export type { EncryptedColumn, RotationCount, RotateOptions } from './crypto/rotate-fields.ts';
export { identityEncryptedColumns } from './auth/users.ts';
export { decodeSecret } from './config/secrets.ts';
export { SECURITY_EVENT_TYPES } from './events/index.ts';
export type { SecurityEvents, SecurityEventType, StoredSecurityEvent } from './events/index.ts';

export { createMetrics, countSecurityEvents, metricsRoute, METRICS_SCOPE, DEFAULT_LATENCY_BUCKETS, UNMATCHED_ROUTE } from './metrics/index.ts';
export type { Metrics, MetricsOptions, MetricsRouteOptions } from './metrics/index.ts';
export { serveDocs, registerOpenApi } from './docs/index.ts';
export type { DocsOptions, OpenApiOptions, CredentialScheme } from './docs/index.ts';

export type { FastifyBaseLogger as FastifyBaseLoggerLike } from 'fastify';
export { Type } from 'typebox';
export type { Static, TSchema } from 'typebox';

export {
  openDatabase,
  runMigrations,
  pendingMigrations,
  applyGrants,
  inspectServingRole,
  servingRoleMessage,
  openKeyValueStore,
  createMemoryStore,
  createRedisStore,
  StoreError,
  bindParameters,
} from './stores/index.ts';
export type { AnyDatabase, Database, DatabaseDialect, KeyValueStore, HitResult, Migration, GrantsApplied, TableGrants, TablePrivilege, ServingRoleReport } from './stores/index.ts';

export {
  createUploads,
  createSignatureScanner,
  createClamdScanner,
  signatureScanner,
  parseSignatures,
  sanitizeFilename,
  contentDisposition,
  extensionOf,
  ScannerUnavailableError,
  DEFAULT_ALLOWED_TYPES,
  DEFAULT_SIGNATURE_FILE,
  MAX_NAME_LENGTH,
} from './uploads/index.ts';
export type { Uploads, UploadOptions, ReceivedUpload, FileStorage, Scanner, ScanResult, Signature, AllowedType, ClamdScannerOptions, MalwareFinding, MalwareHook } from './uploads/index.ts';

export {
  createOutboundClient,
  checkAddress,
  isLoopbackAddress,
  checkUrl,
  DEFAULT_OUTBOUND_PORTS,
  isLocalName,
  systemResolver,
  socketConnector,
  OutboundError,
  OutboundRefused,
  expectContentType,
  mediaType,
  readJson,
  IPV4_REFUSED,
  IPV6_REFUSED,
  signWebhook,
  verifyWebhookSignature,
  generateWebhookSecret,
  WEBHOOK_SIGNATURE_HEADER,
} from './outbound/index.ts';
export type { OutboundClient, OutboundClientOptions, OutboundRequest, OutboundResponse, AddressVerdict, UrlPolicy, Resolver, Connector, ConnectTarget, ResolvedAddress, OutboundRefusalReason, OutboundFailureCode, Range, WebhookVerifyOptions } from './outbound/index.ts';
