// Identity: the password grant, refresh rotation, revocation, logout, password changes and
// account state, each recording its security event. Failures that could reveal whether an
// account exists are answered identically and cost the same time.
import type { FastifyBaseLogger } from 'fastify';
import { sql, type Kysely } from 'kysely';
import { openFieldKeyring, type FieldKeyring } from '../crypto/field-keyring.ts';
import { HttpProblem } from '../errors/problem.ts';
import { createSecurityEvents, type SecurityEvents } from '../events/index.ts';
import type { Authenticator, Principal } from '../policy/principal.ts';
import type { AnyDatabase, KeyValueStore } from '../stores/index.ts';
import { createApiKeyAuthenticator, createApiKeys, type ApiKeys } from './api-keys/index.ts';
import { createAccessTokens, INVALID_TOKEN, type AccessTokens } from './jwt/access-tokens.ts';
import { openKeyring, type Keyring, type SigningAlgorithm } from './jwt/keyring.ts';
import { BAD_REFRESH_TOKEN, OAuthError } from './oauth-error.ts';
import { checkPasswordPolicy, createPasswordHasher, type PasswordHasher } from './passwords/index.ts';
import { createRefreshTokens, type RefreshTokens } from './refresh-tokens.ts';
import { DEFAULT_ROLES, grantScopes, isRole, scopesOf as scopesIn, type Roles } from './roles.ts';
import type { IdentityTables, UsersTable } from './schema.ts';
import { createLoginThrottle, type LoginThrottle, type ThrottleRule } from './throttle.ts';
import { createUsers, type NewUser, type Users } from './users.ts';
import { listUsernameConflicts, type UsernameConflict } from './username-conflicts.ts';
import { createSessions, type Session, type Sessions } from './sessions/index.ts';
import { createBearerAuthenticator, createSessionAuthenticator } from './authenticators.ts';
import { createPasswordLogin } from './password-login.ts';
import { createUserState } from './user-state.ts';

export interface IdentityOptions {
  database: AnyDatabase;
  store: KeyValueStore;
  rootSecret: Uint8Array;
  logger: FastifyBaseLogger;
  issuer: string;
  audience: string;
  alg: SigningAlgorithm;
  accessTokenTtlSeconds: number;
  refreshAbsoluteTtlSeconds: number;
  refreshIdleTtlSeconds: number;
  /** First-party clients allowed to use the password grant; the first is the default. */
  clients: readonly string[];
  throttle: { account: ThrottleRule; address: ThrottleRule };
  events: { maxAgeMs: number; maxCount: number };
  sessions: { idleTtlSeconds: number; absoluteTtlSeconds: number };
  /** Role → scopes; DEFAULT_ROLES when not given. */
  roles?: Roles;
  hasher?: PasswordHasher;
  /** Seals users' emails (and anything else the app encrypts); opened from the database and rootSecret when not given. */
  fieldKeyring?: FieldKeyring;
  now?: () => number;
}

export interface TokenResponse {
  access_token: string;
  token_type: 'Bearer';
  expires_in: number;
  refresh_token: string;
  scope: string;
}

export interface Identity {
  users: Users;
  tokens: AccessTokens;
  refresh: RefreshTokens;
  keyring: Keyring;
  /** Field encryption at rest: users' emails, and the app's own sealed columns. */
  fieldKeyring: FieldKeyring;
  events: SecurityEvents;
  throttle: LoginThrottle;
  hasher: PasswordHasher;
  authenticator: Authenticator;
  /** The callers' own API keys, stored only as keyed hashes. */
  apiKeys: ApiKeys;
  /** `X-API-Key` / `Authorization: ApiKey`; add it next to `authenticator`. */
  apiKeyAuthenticator: Authenticator;
  /** Cookie sessions, with CSRF checks on unsafe methods. */
  sessionAuthenticator: Authenticator;
  sessions: Sessions;
  clients: readonly string[];
  /** The password check shared by every login: throttled, identical failures, dummy hash. */
  checkPassword(username: string, password: string, clientIp: string): Promise<UsersTable>;
  sessionLogin(input: { username: string; password: string; clientIp: string; previousSessionId: string | undefined }): Promise<{ id: string; session: Session }>;
  sessionLogout(principal: Principal, sessionId: string, clientIp: string): Promise<void>;
  passwordGrant(input: { username: string; password: string; scope?: string | undefined; clientId: string; clientIp: string }): Promise<TokenResponse>;
  refreshGrant(input: { refreshToken: string; scope?: string | undefined; clientIp: string }): Promise<TokenResponse>;
  revoke(token: string, clientIp: string): Promise<void>;
  logout(principal: Principal, refreshToken: string | undefined, clientIp: string): Promise<void>;
  createUser(input: NewUser, actor: { id: string | null; clientIp: string | null }): Promise<UsersTable>;
  changePassword(userId: string, current: string, next: string, clientIp: string): Promise<void>;
  setDisabled(userId: string, disabled: boolean, actor: { id: string | null; clientIp: string | null }): Promise<boolean>;
  /** Changes a user's role; effective at once for tokens, sessions and keys (scopes are re-derived per request). */
  setRole(userId: string, role: string, actor: { id: string | null; clientIp: string | null }): Promise<UsersTable | undefined>;
  /** Accounts that cannot log in by name until renamed (migration 0005; see username-conflicts.ts). */
  usernameConflicts(): Promise<UsernameConflict[]>;
  /** Renames an account (operators: resolving a user-name conflict); false when there is no such account. */
  renameUser(userId: string, newName: string, actor: { id: string | null; clientIp: string | null }): Promise<{ from: string; to: string } | undefined>;
  roles: Roles;
}

export async function createIdentity(options: IdentityOptions): Promise<Identity> {
  const db = options.database.db as unknown as Kysely<IdentityTables>;
  const now = options.now ?? Date.now;
  const hasher = options.hasher ?? createPasswordHasher();
  const events = createSecurityEvents({ db, logger: options.logger, retention: options.events, now });
  const keyring = await openKeyring({ db, rootSecret: options.rootSecret, alg: options.alg, verifyGraceMs: (options.accessTokenTtlSeconds + 60) * 1000, now });
  const tokens = createAccessTokens({ keyring, store: options.store, issuer: options.issuer, audience: options.audience, ttlSeconds: options.accessTokenTtlSeconds, now });
  const refresh = createRefreshTokens({ db, absoluteTtlMs: options.refreshAbsoluteTtlSeconds * 1000, idleTtlMs: options.refreshIdleTtlSeconds * 1000, now });
  const throttle = createLoginThrottle({ store: options.store, account: options.throttle.account, address: options.throttle.address, now });
  const roles = options.roles ?? DEFAULT_ROLES;
  const scopesOf = (role: string): readonly string[] => scopesIn(role, roles);
  const fieldKeyring = options.fieldKeyring ?? (await openFieldKeyring({ database: options.database, rootSecret: options.rootSecret }));
  const users = createUsers({ db, hasher, cipher: fieldKeyring, roles, now });
  // Databases from before field encryption: no plaintext email survives the upgrade.
  const sealed = await users.sealLegacyEmails();
  if (sealed > 0) {
    // SQLite keeps an updated row's old bytes in free space and in the WAL: rebuild the file
    // and empty the WAL so the plaintext is really gone. (PostgreSQL: its VACUUM reclaims them.)
    if (options.database.dialect === 'sqlite') {
      await sql`vacuum`.execute(db);
      await sql`pragma wal_checkpoint(truncate)`.execute(db);
    }
    options.logger.info({ sealed }, 'sealed plaintext emails left from before field encryption');
  }
  const apiKeys = createApiKeys({ db, rootSecret: options.rootSecret, events, logger: options.logger, roles, now });
  const apiKeyAuthenticator = createApiKeyAuthenticator(apiKeys, { otherChallenges: ['Bearer'] });
  const sessions = createSessions({ store: options.store, idleTtlMs: options.sessions.idleTtlSeconds * 1000, absoluteTtlMs: options.sessions.absoluteTtlSeconds * 1000, now });
  const conflicts = await listUsernameConflicts(db);
  if (conflicts.length > 0) {
    options.logger.warn({ accounts: conflicts.map((c) => c.userId) }, `${conflicts.length} account(s) cannot log in by name until renamed; run \`rampart user conflicts\``);
  }
  // Build zxcvbn's dictionaries now (~130 ms) rather than inside the first registration.
  checkPasswordPolicy('warm up the password policy dictionaries', { username: 'warm-up' });

  /** `familyId`: the login (refresh-token family) the access token is bound to. */
  async function respond(user: UsersTable, scopes: string[], clientId: string, refreshToken: string, familyId: string): Promise<TokenResponse> {
    const scope = scopes.join(' ');
    const access = await tokens.issue(user.id, scope, clientId, [user.role], { ver: user.token_version, sid: familyId });
    return { access_token: access.token, token_type: 'Bearer', expires_in: access.expiresIn, refresh_token: refreshToken, scope };
  }

  const userState = createUserState(db, now);
  const authenticator = createBearerAuthenticator(tokens, userState, scopesOf);
  const sessionAuthenticator = createSessionAuthenticator(sessions, userState, scopesOf, events);
  const checkPassword = createPasswordLogin({ users, hasher, throttle, events });

  return {
    users, tokens, refresh, keyring, fieldKeyring, events, throttle, hasher, authenticator, sessionAuthenticator, sessions,
    clients: options.clients,
    apiKeys, apiKeyAuthenticator,

    checkPassword,

    async passwordGrant({ username, password, scope, clientId, clientIp }) {
      const user = await checkPassword(username, password, clientIp);
      const scopes = grantScopes(scopesOf(user.role), scope);
      if (scopes === undefined) throw new OAuthError('invalid_scope', 'The requested scope exceeds what this account may have.');
      const login = await refresh.start(user.id, scopes.join(' '), clientId);
      await events.record({ type: 'login_succeeded', principalId: user.id, clientIp, detail: { clientId } });
      return respond(user, scopes, clientId, login.token, login.familyId);
    },

    async sessionLogin({ username, password, clientIp, previousSessionId }) {
      // A session id the browser already had is never kept: a new one is made (no fixation).
      if (previousSessionId !== undefined) await sessions.destroy(previousSessionId);
      const user = await checkPassword(username, password, clientIp);
      const created = await sessions.create(user.id, scopesOf(user.role).join(' '), user.token_version);
      await events.record({ type: 'session_created', principalId: user.id, clientIp });
      return created;
    },

    async sessionLogout(principal, sessionId, clientIp) {
      await sessions.destroy(sessionId);
      await events.record({ type: 'session_ended', principalId: principal.id, clientIp });
    },

    async refreshGrant({ refreshToken, scope, clientIp }) {
      // Every check that can refuse runs inside rotate, before the token is used up: a refused
      // request (invalid_scope) leaves the token valid, and its retry is not taken for reuse.
      const result = await refresh.rotate(refreshToken, async (grant) => {
        const user = await users.findById(grant.userId);
        if (user === undefined || user.disabled !== 0) throw BAD_REFRESH_TOKEN();
        // The role may have changed since login: never grant more than it has now.
        const granted = grant.scope.split(' ').filter((s) => scopesOf(user.role).includes(s));
        const scopes = grantScopes(granted, scope);
        if (scopes === undefined) throw new OAuthError('invalid_scope', 'The requested scope exceeds the original grant.');
        return { user, scopes };
      });
      if (!result.ok) {
        if (result.reason === 'reused') {
          // The family is revoked (refresh-tokens.ts); its access tokens die with it.
          if (result.familyId !== undefined) await tokens.revokeSession(result.familyId);
          await events.record({ type: 'refresh_token_reuse', principalId: result.userId ?? null, clientIp, detail: { familyId: result.familyId ?? null } });
        }
        throw BAD_REFRESH_TOKEN();
      }
      const { user, scopes } = result.prepared;
      await events.record({ type: 'token_refreshed', principalId: user.id, clientIp, detail: { familyId: result.grant.familyId } });
      return respond(user, scopes, result.grant.clientId, result.token, result.grant.familyId);
    },

    async revoke(token, clientIp) {
      const family = await refresh.revoke(token);
      if (family) {
        await tokens.revokeSession(family.familyId);
        await events.record({ type: 'token_revoked', principalId: family.userId, clientIp, detail: { kind: 'refresh_token', familyId: family.familyId } });
        return;
      }
      try {
        const claims = await tokens.verify(token);
        await tokens.revoke(claims);
        await events.record({ type: 'token_revoked', principalId: claims.sub, clientIp, detail: { kind: 'access_token' } });
      } catch {
        // RFC 7009 §2.2: an invalid token is not an error; there is nothing to revoke.
      }
    },

    async logout(principal, refreshToken, clientIp) {
      if (principal.credential) await tokens.revoke({ jti: principal.credential.id, exp: principal.credential.expiresAt });
      // The whole login ends, body or not: its refresh tokens and every access token it issued.
      const sid = principal.method === 'jwt' ? principal.credential?.sessionId : undefined;
      if (sid !== undefined) {
        await refresh.revokeFamilyOf(principal.id, sid);
        await tokens.revokeSession(sid);
      }
      if (refreshToken !== undefined) {
        const family = await refresh.revoke(refreshToken);
        if (family) await tokens.revokeSession(family.familyId);
        if (family && family.userId !== principal.id) {
          // Someone else's token: revoked all the same (it was disclosed), but say nothing.
          await events.record({ type: 'token_revoked', principalId: family.userId, clientIp, detail: { kind: 'refresh_token', by: principal.id } });
        }
      }
      await events.record({ type: 'logout', principalId: principal.id, clientIp });
    },

    async createUser(input, actor) {
      const user = await users.create(input);
      await events.record({ type: 'user_created', principalId: actor.id ?? user.id, clientIp: actor.clientIp, detail: { userId: user.id, role: user.role } });
      return user;
    },

    async changePassword(userId, current, next, clientIp) {
      const user = await users.findById(userId);
      if (user === undefined) throw INVALID_TOKEN;
      await throttle.check(user.username, clientIp);
      if (!(await hasher.verify(user.password_hash, current))) {
        await throttle.fail(user.username, clientIp);
        throw new HttpProblem(403, { slug: 'wrong-password', title: 'Current password incorrect', detail: 'The current password is incorrect.' });
      }
      const weak = users.passwordProblem(next, user.username, user.email);
      if (weak) throw weak;
      // The token version moves on with the new hash: every access token and session from
      // before (this request's own included) stops working.
      await users.setPasswordHash(user.id, await hasher.hash(next), true);
      userState.forget(user.id);
      await refresh.revokeAllFor(user.id);
      await apiKeys.revokeAllFor(user.id, 'password_changed', clientIp);
      await events.record({ type: 'password_changed', principalId: user.id, clientIp });
    },

    roles,

    async setRole(userId, role, actor) {
      if (!isRole(role, roles)) throw new HttpProblem(400, { slug: 'invalid-role', title: 'Invalid role', detail: 'The role is not one of the configured roles.' });
      const before = await users.findById(userId);
      if (before === undefined) return undefined;
      await users.setRole(userId, role);
      userState.forget(userId);
      apiKeys.forgetUser(userId);
      await events.record({ type: 'role_changed', principalId: actor.id ?? userId, clientIp: actor.clientIp, detail: { userId, from: before.role, to: role } });
      return { ...before, role };
    },

    usernameConflicts: () => listUsernameConflicts(db),

    async renameUser(userId, newName, actor) {
      const renamed = await users.rename(userId, newName);
      if (renamed !== undefined) await events.record({ type: 'admin_action', principalId: actor.id ?? userId, clientIp: actor.clientIp, detail: { action: 'rename_user', userId, ...renamed } });
      return renamed;
    },

    async setDisabled(userId, disabled, actor) {
      const changed = await users.setDisabled(userId, disabled);
      if (!changed) return false;
      userState.forget(userId);
      apiKeys.forgetUser(userId);
      // Disabling moved the token version on (users.setDisabled): tokens and sessions from
      // before stay dead after an enable.
      if (disabled) {
        await refresh.revokeAllFor(userId);
        await apiKeys.revokeAllFor(userId, 'user_disabled', actor.clientIp);
      }
      await events.record({ type: disabled ? 'user_disabled' : 'user_enabled', principalId: actor.id ?? userId, clientIp: actor.clientIp, detail: { userId } });
      return true;
    },
  };
}
