// An identity built from configuration: `config.identity` mapped onto createIdentity, the
// field keyring from RAMPART_SECRET_KEY, and the service Basic credential.
import type { FastifyBaseLogger as FastifyBaseLoggerLike } from 'fastify';
import { createBasicAuthenticator } from '../auth/basic.ts';
import { createIdentity, type Identity } from '../auth/identity.ts';
import type { RampartConfig } from '../config/load.ts';
import { decodeSecret } from '../config/secrets.ts';
import { openFieldKeyring, type FieldKeyring } from '../crypto/field-keyring.ts';
import type { Authenticator } from '../policy/principal.ts';
import type { Database, KeyValueStore } from '../stores/index.ts';

const rootSecretOf = (config: RampartConfig): Buffer => decodeSecret(config.secrets.RAMPART_SECRET_KEY ?? '') ?? Buffer.alloc(0);

/** The data keys that seal users' emails and the service's other encrypted columns. */
export function openServiceFieldKeyring(config: RampartConfig, database: Database<unknown>): Promise<FieldKeyring> {
  return openFieldKeyring({ database, rootSecret: rootSecretOf(config) });
}

export async function openIdentity(config: RampartConfig, database: Database<unknown>, store: KeyValueStore, logger: FastifyBaseLoggerLike): Promise<Identity> {
  const settings = config.identity;
  const window = settings.loginWindowSeconds;
  return createIdentity({
    database,
    store,
    logger,
    rootSecret: rootSecretOf(config),
    fieldKeyring: await openServiceFieldKeyring(config, database),
    issuer: settings.issuer,
    audience: settings.audience,
    alg: settings.alg,
    accessTokenTtlSeconds: settings.accessTokenTtlSeconds,
    refreshAbsoluteTtlSeconds: settings.refreshAbsoluteTtlSeconds,
    refreshIdleTtlSeconds: settings.refreshIdleTtlSeconds,
    clients: settings.clients,
    throttle: { account: { limit: settings.loginAccountLimit, windowSeconds: window }, address: { limit: settings.loginAddressLimit, windowSeconds: window } },
    events: { maxAgeMs: settings.eventsMaxAgeDays * 86_400_000, maxCount: settings.eventsMaxCount },
    sessions: { idleTtlSeconds: settings.sessionIdleTtlSeconds, absoluteTtlSeconds: settings.sessionAbsoluteTtlSeconds },
    roles: settings.roles,
  });
}

/** HTTP Basic for service endpoints, when a service password is configured. */
export function serviceAuthenticator(config: RampartConfig): Authenticator | undefined {
  const password = config.secrets.RAMPART_SERVICE_PASSWORD;
  if (password === undefined) return undefined;
  return createBasicAuthenticator({
    username: config.identity.serviceUser,
    password,
    scopes: ['metrics:read'],
    realm: 'rampart-service',
    requireHttps: config.mode === 'production',
  });
}
