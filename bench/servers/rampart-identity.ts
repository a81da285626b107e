// Rows `rampart-jwt`, `rampart-apikey` and `rampart-login`: one server, built only from the
// toolkit's public API the way the reference service wires it (src/app/app.ts): the public
// row's createServer options (production mode, every default layer, one log line per request),
// plus an identity — createIdentity over a SQLite file in a temporary directory with
// identityMigrations applied, an Ed25519 keyring, the bearer and API-key authenticators —
// serving the same order behind policy { scopes: ['orders:read'] }, the token endpoint
// (authRoutes) and a health route like the reference service's.
//
// 1,000 enabled users with role `user` are in the database. The first is created through
// identity.createUser (password policy, argon2id at OWASP parameters); the other 999 are
// inserted with Kysely and the first one's stored hash, which takes well under a second
// instead of ~15 s of hashing. Every login still runs a full argon2id verification against
// the row it reads. The server then writes the credentials its row sends, one per line, to
// BENCH_CREDENTIALS_FILE (mode 0600) before it reports ready:
//   BENCH_CREDENTIALS=bearer    access tokens from identity.tokens.issue(id, 'orders:read', 'bench', ['user'], { ver, sid })
//   BENCH_CREDENTIALS=api-key   API keys from identity.apiKeys.create(owner, { scopes: ['orders:read'] })
//   BENCH_CREDENTIALS=password  `username<TAB>password`, and the stored hash in <file>.hash
//                               (for the raw argon2 ceiling, bench/argon2-ceiling.ts)
//
// Rate limits stay on: the default limit is raised through RAMPART_RATE_LIMIT as in the
// public row, and the named limits of the token endpoint (`token`) and the health route
// (`health`) through createServer's rateLimitOverrides — what RAMPART_RATE_LIMIT_OVERRIDES
// (`token=<limit>/60,health=<limit>/60`) sets through the config loader. The login throttle
// keeps its defaults (5 failures per account, 20 per address per 900 s): it counts failures
// only, and every login of the bench succeeds.
import { randomBytes, randomUUID } from 'node:crypto';
import { writeFile } from 'node:fs/promises';
import type { Kysely } from 'kysely';
import {
  authRoutes,
  createIdentity,
  createMemoryStore,
  createServer,
  DEFAULT_RATE_LIMIT,
  identityMigrations,
  listen,
  openDatabase,
  runMigrations,
  scopesOf,
  Type,
  type Identity,
  type IdentityTables,
  type UsersTable,
} from '../../src/toolkit/index.ts';
import { ORDER_ROUTE_SCHEMA } from './rampart-order.ts';
import { ALLOWED_ORIGIN, env, order, ready, TOKEN_AUDIENCE, TOKEN_ISSUER } from './common.ts';

const USERS = 1000;
const CLIENT_ID = 'bench';
const ROLE = 'user';
/** Long enough for a full run with waits for a quiet machine (the reference default is 900 s). */
const ACCESS_TOKEN_TTL_S = 4 * 3600;

const kind = env('BENCH_CREDENTIALS');
if (kind !== 'bearer' && kind !== 'api-key' && kind !== 'password') throw new Error(`bench server: BENCH_CREDENTIALS must be bearer, api-key or password, not "${kind}"`);
const credentialsFile = env('BENCH_CREDENTIALS_FILE');
const raisedLimit = Number(env('RAMPART_RATE_LIMIT'));
const windowSeconds = Number(process.env.RAMPART_RATE_LIMIT_WINDOW_S ?? DEFAULT_RATE_LIMIT.windowSeconds);

const database = openDatabase<unknown>({ dataDir: env('BENCH_DATA_DIR') });
await runMigrations(database, identityMigrations);
const store = createMemoryStore({ maxKeys: DEFAULT_RATE_LIMIT.maxClients });

// The server needs the identity's authenticators and the identity the server's logger: bound
// once both exist, as src/app/app.ts does.
const late: { identity?: Identity } = {};
const app = await createServer({
  mode: 'production',
  allowedHosts: ['127.0.0.1'],
  trustedProxies: ['127.0.0.1/32'],
  cors: { origins: [ALLOWED_ORIGIN] },
  rateLimit: { limit: raisedLimit, windowSeconds },
  rateLimitOverrides: { token: { limit: raisedLimit, windowSeconds }, health: { limit: raisedLimit, windowSeconds } },
  keyValueStore: store,
  authenticators: [
    { challenge: 'Bearer', authenticate: (request) => late.identity!.authenticator.authenticate(request) },
    { challenge: 'ApiKey', authenticate: (request) => late.identity!.apiKeyAuthenticator.authenticate(request) },
  ],
  onSecurityEvent: (event) => {
    void late.identity?.events.record(event);
  },
});

const identity = await createIdentity({
  database,
  store,
  logger: app.log,
  rootSecret: randomBytes(32),
  issuer: TOKEN_ISSUER,
  audience: TOKEN_AUDIENCE,
  alg: 'EdDSA',
  accessTokenTtlSeconds: ACCESS_TOKEN_TTL_S,
  refreshAbsoluteTtlSeconds: 30 * 86_400,
  refreshIdleTtlSeconds: 7 * 86_400,
  clients: [CLIENT_ID],
  throttle: { account: { limit: 5, windowSeconds: 900 }, address: { limit: 20, windowSeconds: 900 } },
  events: { maxAgeMs: 90 * 86_400_000, maxCount: 100_000 },
  sessions: { idleTtlSeconds: 1800, absoluteTtlSeconds: 43_200 },
});
late.identity = identity;

app.get(
  '/v1/orders/:id',
  {
    policy: { scopes: ['orders:read'] },
    schema: ORDER_ROUTE_SCHEMA,
  },
  (request) => order(request.params.id),
);

// As the reference service: its own generous limit for monitors (src/app/routes/health.ts).
app.get('/healthz', {
  policy: { public: true, rateLimit: { name: 'health', limit: 600, windowSeconds: 60 } },
  schema: { response: { 200: Type.Object({ status: Type.String() }, { additionalProperties: false }) } },
  handler: () => ({ status: 'ok' }),
});

authRoutes(app, identity, { tokenRateLimit: { name: 'token', limit: 30, windowSeconds: 60 } });

const users = await createUsers(identity);
const lines: string[] = [];
if (kind === 'bearer') {
  for (const user of users) lines.push((await identity.tokens.issue(user.row.id, 'orders:read', CLIENT_ID, [ROLE], { ver: user.row.token_version, sid: randomUUID() })).token);
} else if (kind === 'api-key') {
  const scopes = scopesOf(ROLE, identity.roles);
  for (const user of users) {
    const created = await identity.apiKeys.create({ id: user.row.id, username: user.row.username, roles: [ROLE], scopes, method: 'jwt' }, { name: 'bench', scopes: ['orders:read'] }, null);
    lines.push(created.key);
  }
} else {
  for (const user of users) lines.push(`${user.row.username}\t${user.password}`);
  await writeFile(`${credentialsFile}.hash`, `${users[0]!.row.password_hash}\n`, { mode: 0o600 });
}
await writeFile(credentialsFile, `${lines.join('\n')}\n`, { mode: 0o600 });

const listening = await listen(app, { host: '127.0.0.1', port: 0, allowedHosts: ['127.0.0.1'], development: false });
ready({ port: listening.port, address: '127.0.0.1', family: 'IPv4' });

/** 1,000 enabled users: the first through createUser, the rest inserted with its stored hash. */
async function createUsers(id: Identity): Promise<{ row: UsersTable; password: string }[]> {
  const password = randomBytes(18).toString('base64url');
  const first = await id.createUser({ username: 'bench-0001', password, role: ROLE }, { id: null, clientIp: null });
  const db = database.db as unknown as Kysely<IdentityTables>;
  const rows: UsersTable[] = [first];
  const now = Date.now();
  for (let i = 2; i <= USERS; i++) {
    rows.push({ ...first, id: randomUUID(), username: `bench-${String(i).padStart(4, '0')}`, created_at: now, updated_at: now });
  }
  await db.transaction().execute(async (trx) => {
    for (let i = 1; i < rows.length; i += 100) await trx.insertInto('users').values(rows.slice(i, i + 100)).execute();
  });
  return rows.map((row) => ({ row, password }));
}
