// The caller's own API keys: create (the key is in this one answer, never again), list
// (never a secret), delete. Managing keys needs a bearer token or a session — a key cannot
// create, list or delete keys (403), so a leaked key cannot mint itself successors.
import { API_KEY_ID_PATTERN, RESOURCE_NOT_FOUND, Type, type ApiKeySummary, type Identity, type RampartServer } from '../../toolkit/index.ts';

const nullableDate = Type.Union([Type.String({ format: 'date-time' }), Type.Null()]);
const keyFields = {
  id: Type.String(),
  name: Type.String(),
  scopes: Type.Array(Type.String()),
  createdAt: Type.String({ format: 'date-time' }),
  expiresAt: nullableDate,
};
const ApiKey = Type.Object({ ...keyFields, lastUsedAt: nullableDate }, { additionalProperties: false });
const CreatedApiKey = Type.Object({ ...keyFields, key: Type.String() }, { additionalProperties: false });
const ApiKeyList = Type.Object({ items: Type.Array(ApiKey) }, { additionalProperties: false });
const NewApiKey = Type.Object(
  {
    name: Type.String({ minLength: 1, maxLength: 100 }),
    scopes: Type.Array(Type.String({ minLength: 1, maxLength: 64, pattern: '^[a-z][a-z0-9:_-]*$' }), { minItems: 1, maxItems: 50, uniqueItems: true }),
    expiresAt: Type.Optional(Type.String({ format: 'date-time', maxLength: 40 })),
  },
  { additionalProperties: false },
);
const KeyId = Type.Object({ id: Type.String({ maxLength: 200 }) }, { additionalProperties: false });

// Another user's key, a missing key and a malformed id are the same answer.

const iso = (ms: number | null): string | null => (ms === null ? null : new Date(ms).toISOString());
const publicKey = (key: ApiKeySummary) => ({ id: key.id, name: key.name, scopes: key.scopes, createdAt: iso(key.createdAt)!, expiresAt: iso(key.expiresAt), lastUsedAt: iso(key.lastUsedAt) });

export function apiKeyRoutes(app: RampartServer, identity: Identity): void {
  const policy = { scopes: ['api-keys:write'], rateLimit: { name: 'api-keys', limit: 60, windowSeconds: 60 } };

  app.post('/v1/api-keys', {
    policy,
    schema: { body: NewApiKey, response: { 201: CreatedApiKey } },
    handler: async (request, reply) => {
      const { name, scopes, expiresAt } = request.body;
      const created = await identity.apiKeys.create(
        request.principal,
        { name, scopes, expiresAt: expiresAt === undefined ? null : Date.parse(expiresAt) },
        request.client.ip,
      );
      const shown = publicKey(created);
      return reply.code(201).send({ id: shown.id, name: shown.name, scopes: shown.scopes, createdAt: shown.createdAt, expiresAt: shown.expiresAt, key: created.key });
    },
  });

  app.get('/v1/api-keys', {
    policy,
    schema: { response: { 200: ApiKeyList } },
    handler: async (request) => ({ items: (await identity.apiKeys.list(request.principal)).map(publicKey) }),
  });

  app.delete('/v1/api-keys/:id', {
    policy: { ...policy, owner: { param: 'id', idPattern: API_KEY_ID_PATTERN } },
    schema: { params: KeyId, response: { 204: Type.Null() } },
    handler: async (request, reply) => {
      if (!(await identity.apiKeys.remove(request.principal, request.params.id, request.client.ip))) throw RESOURCE_NOT_FOUND;
      return reply.code(204).send();
    },
  });
}
