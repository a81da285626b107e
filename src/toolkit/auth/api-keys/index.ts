// API keys: the key text format, the service (create, list, delete, verify), the
// authenticator for X-API-Key / Authorization: ApiKey, and the query-string guard.
export { API_KEY_PREFIX, API_KEY_LENGTH, API_KEY_PATTERN, API_KEY_SEARCH_PATTERN, API_KEY_ID_PATTERN, generateApiKey, parseApiKey } from './format.ts';
export { createApiKeys } from './service.ts';
export type { ApiKeys, ApiKeyServiceOptions, ApiKeySummary, CreatedApiKey, NewApiKey } from './service.ts';
export { createApiKeyAuthenticator } from './authenticator.ts';
export type { ApiKeyAuthenticatorOptions } from './authenticator.ts';
export { API_KEY_IN_QUERY, hasApiKeyInQuery, redactKeysInQuery } from './query-guard.ts';
