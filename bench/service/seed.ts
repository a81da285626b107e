// Seeds the reference service's own SQLite database for the service bench, through the
// service's own code (buildApp over the same configuration `rampart serve` will read):
// 1,000 users with role `user`, each with ORDERS_PER_USER orders of their own and a funded
// account; 50 products; one access token per user (the service's EdDSA keyring, scopes for
// every measured route) and the users' passwords. The first user's password is hashed by
// identity.createUser (policy, argon2id); the other 999 reuse that stored hash (seconds instead
// of ~15 s of hashing; every login still verifies against the row it reads).
//
// Run as a child process by bench/service/run.ts: `node bench/service/seed.ts <out dir>` with
// the service's environment. Writes <out>/tokens.txt, <out>/passwords.txt (username TAB
// password), <out>/accounts.txt (account id per user, same order) and <out>/jwks.json.
import { randomBytes, randomUUID } from 'node:crypto';
import { Writable } from 'node:stream';
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { Kysely } from 'kysely';
import { buildApp } from '../../src/app/app.ts';
import { createAccounts } from '../../src/app/money/accounts.ts';
import type { CatalogTables } from '../../src/app/catalog/tables.ts';
import { createProducts } from '../../src/app/catalog/products.ts';
import { loadConfig, type IdentityTables, type UsersTable } from '../../src/toolkit/index.ts';

export const USERS = 1000;
export const ORDERS_PER_USER = 5;
export const PRODUCTS = 50;
/** Every scope the measured routes ask for. */
export const TOKEN_SCOPE = 'orders:read profile accounts:read transfers:write';
const ROLE = 'user';
/** Enough for every transfer of a long run at 1 cent each. */
const DEPOSIT = 100_000_000;

const out = process.argv[2];
if (out === undefined) throw new Error('usage: node bench/service/seed.ts <out dir>');

const config = loadConfig();
const silent = new Writable({ write: (_chunk, _encoding, done) => done() });
const service = await buildApp(config, { server: { logDestination: silent } });
const { identity, database } = service;
const clientId = config.identity.clients[0]!;

const password = randomBytes(18).toString('base64url');
const first = await identity.createUser({ username: 'bench-0001', password, role: ROLE, email: null }, { id: null, clientIp: null });
const now = Date.now();
const users: UsersTable[] = [first];
for (let i = 2; i <= USERS; i++) users.push({ ...first, id: randomUUID(), username: `bench-${String(i).padStart(4, '0')}`, created_at: now, updated_at: now });
const idDb = database.db as unknown as Kysely<IdentityTables>;
await idDb.transaction().execute(async (trx) => {
  for (let i = 1; i < users.length; i += 100) await trx.insertInto('users').values(users.slice(i, i + 100)).execute();
});

const products = createProducts(database.db);
const productIds: { id: string; price: number }[] = [];
for (let i = 1; i <= PRODUCTS; i++) {
  const product = await products.create({ name: `Product ${String(i).padStart(3, '0')}`, description: `The bench's product number ${i}.`, price: 100 * i + 99 });
  productIds.push({ id: product.id, price: product.price });
}

// Orders straight into the table (placing them through the API would also queue webhooks).
const catalog = database.db as unknown as Kysely<CatalogTables>;
await catalog.transaction().execute(async (trx) => {
  for (const [u, user] of users.entries()) {
    const rows = [];
    for (let k = 0; k < ORDERS_PER_USER; k++) {
      const product = productIds[(u * ORDERS_PER_USER + k) % PRODUCTS]!;
      const quantity = 1 + (k % 3);
      rows.push({ id: randomUUID(), owner_id: user.id, product_id: product.id, quantity, unit_price: product.price, total: product.price * quantity, currency: 'EUR', status: 'placed' as const, created_at: now - (u * ORDERS_PER_USER + k) * 1000, cancelled_at: null });
    }
    await trx.insertInto('orders').values(rows).execute();
  }
});

const accounts = createAccounts(database.db);
const accountIds: string[] = [];
for (const user of users) {
  const account = await accounts.ensure(user.id);
  await accounts.deposit(account.id, DEPOSIT, first.id, 'bench');
  accountIds.push(account.id);
}

const tokens: string[] = [];
for (const user of users) tokens.push((await identity.tokens.issue(user.id, TOKEN_SCOPE, clientId, [ROLE], { ver: user.token_version, sid: randomUUID() })).token);

await writeFile(join(out, 'tokens.txt'), `${tokens.join('\n')}\n`, { mode: 0o600 });
await writeFile(join(out, 'passwords.txt'), `${users.map((u) => `${u.username}\t${password}`).join('\n')}\n`, { mode: 0o600 });
await writeFile(join(out, 'accounts.txt'), `${accountIds.join('\n')}\n`, { mode: 0o600 });
await writeFile(join(out, 'jwks.json'), JSON.stringify(identity.keyring.jwks()), { mode: 0o600 });
await service.app.close();
