// Demo data so a newcomer can try every route in minutes: an admin and two users with
// generated passwords (returned to the caller, who prints them once to the operator's
// terminal — never to the log), products, deposits and a few orders. Development only.
import { randomBytes } from 'node:crypto';
import type { Kysely } from 'kysely';
import type { ReferenceService } from './app.ts';
import { createOrders } from './catalog/orders.ts';
import { createProducts } from './catalog/products.ts';
import type { CatalogTables } from './catalog/tables.ts';
import { createAccounts } from './money/accounts.ts';

export interface SeededAccount {
  username: string;
  role: string;
  password: string;
}

const OPERATOR = { id: null, clientIp: null };

const PRODUCTS = [
  { name: 'Espresso beans 1 kg', description: 'Dark roast, whole beans.', price: 2490 },
  { name: 'Pour-over kettle', description: 'Gooseneck, 1 litre.', price: 5900 },
  { name: 'Burr grinder', description: 'Conical burrs, 40 settings.', price: 12900 },
  { name: '100% arabica sampler', description: 'Four 250 g bags (a name with % and _ to try the search).', price: 3200 },
  { name: 'Paper filters (100)', description: 'Size 02.', price: 490 },
  { name: 'Travel mug', description: 'Insulated, 350 ml.', price: 1990 },
];

/** Seeds an empty database; returns the created accounts, or undefined when users exist. */
export async function seed(service: ReferenceService): Promise<SeededAccount[] | undefined> {
  const anyone = await service.identity.users.list(1, undefined);
  if (anyone.users.length > 0) return undefined;
  const accounts: SeededAccount[] = [
    { username: 'admin', role: 'admin', password: generatedPassword() },
    { username: 'alice', role: 'user', password: generatedPassword() },
    { username: 'bob', role: 'user', password: generatedPassword() },
  ];
  const ids: Record<string, string> = {};
  for (const account of accounts) ids[account.username] = (await service.identity.createUser(account, OPERATOR)).id;

  const catalog = service.database.db as unknown as Kysely<CatalogTables>;
  const products = createProducts(catalog);
  const created = [];
  for (const product of PRODUCTS) created.push(await products.create(product));

  const money = createAccounts(service.database.db);
  for (const [username, amount] of [['alice', 50_000], ['bob', 20_000]] as const) {
    const account = await money.ensure(ids[username]!);
    await money.deposit(account.id, amount, ids.admin!, 'seed: welcome credit');
  }
  await money.ensure(ids.admin!);

  const orders = createOrders(catalog);
  await orders.place(ids.alice!, created[0]!.id, 2);
  await orders.place(ids.alice!, created[4]!.id, 1);
  await orders.place(ids.bob!, created[1]!.id, 1);
  return accounts;
}

/** 144 random bits: passes the password policy and is never reused. */
function generatedPassword(): string {
  return randomBytes(18).toString('base64url');
}

export function formatSeeded(accounts: SeededAccount[]): string {
  const lines = accounts.map((a) => `  ${a.username.padEnd(6)} ${a.role.padEnd(6)} ${a.password}`);
  return ['Demo accounts created (shown once; they are not stored anywhere in clear):', ...lines, ''].join('\n');
}
