// The reference service's identity: built from configuration with the toolkit's pieces.
import { createBasicAuthenticator, createIdentity, decodeSecret, openFieldKeyring, type Authenticator, type FieldKeyring, type Database, type FastifyBaseLoggerLike, type Identity, type KeyValueStore, type RampartConfig } from '../toolkit/index.ts';

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
