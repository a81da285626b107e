// Accounts and deposits. Every balance change writes its ledger entry in the same
// transaction, so each balance can always be recomputed from the ledger.
import { randomUUID } from 'node:crypto';
import type { Kysely } from 'kysely';
import { CURRENCY, type MoneyTables } from './tables.ts';

export interface AccountView {
  id: string;
  balance: number;
  currency: string;
}

export function createAccounts(db: Kysely<MoneyTables>, now: () => number = Date.now) {
  return {
    /** The user's account, opened on first use. */
    async ensure(ownerId: string): Promise<AccountView> {
      await db.insertInto('accounts').values({ id: randomUUID(), owner_id: ownerId, balance: 0, currency: CURRENCY, created_at: now() }).onConflict((c) => c.column('owner_id').doNothing()).execute();
      return db.selectFrom('accounts').select(['id', 'balance', 'currency']).where('owner_id', '=', ownerId).executeTakeFirstOrThrow();
    },

    byId(id: string): Promise<(AccountView & { owner_id: string }) | undefined> {
      return db.selectFrom('accounts').select(['id', 'balance', 'currency', 'owner_id']).where('id', '=', id).executeTakeFirst();
    },

    /** Money enters only here: an admin deposit, recorded with the acting admin. */
    async deposit(accountId: string, amount: number, adminId: string, reference: string): Promise<{ id: string; balance: number } | undefined> {
      return db.transaction().execute(async (trx) => {
        const id = randomUUID();
        const t = now();
        const credited = await trx.updateTable('accounts').set((eb) => ({ balance: eb('balance', '+', amount) })).where('id', '=', accountId).executeTakeFirst();
        if (credited.numUpdatedRows !== 1n) return undefined;
        await trx.insertInto('deposits').values({ id, account_id: accountId, amount, admin_id: adminId, reference, created_at: t }).execute();
        await trx.insertInto('ledger_entries').values({ id: randomUUID(), account_id: accountId, amount, kind: 'deposit', source_id: id, created_at: t }).execute();
        const { balance } = await trx.selectFrom('accounts').select('balance').where('id', '=', accountId).executeTakeFirstOrThrow();
        return { id, balance };
      });
    },

    /** A page of the account's ledger, newest first. */
    async ledger(accountId: string, limit: number, before: { at: number; id: string } | undefined) {
      const rows = await db
        .selectFrom('ledger_entries')
        .select(['id', 'amount', 'kind', 'source_id', 'created_at'])
        .where('account_id', '=', accountId)
        .$if(before !== undefined, (q) => q.where((eb) => eb.or([eb('created_at', '<', before!.at), eb.and([eb('created_at', '=', before!.at), eb('id', '<', before!.id)])])))
        .orderBy('created_at', 'desc')
        .orderBy('id', 'desc')
        .limit(limit + 1)
        .execute();
      return { entries: rows.slice(0, limit), more: rows.length > limit };
    },

    /** Verifies that every balance equals its ledger and that balances sum to the deposits. */
    async check() {
      const drift = await db
        .selectFrom('accounts')
        .leftJoin('ledger_entries', 'ledger_entries.account_id', 'accounts.id')
        .select((eb) => ['accounts.id as accountId', 'accounts.balance as balance', eb.fn.coalesce(eb.fn.sum<number | string>('ledger_entries.amount'), eb.lit(0)).as('ledgerSum')])
        .groupBy(['accounts.id', 'accounts.balance'])
        .execute();
      const totals = await db.selectFrom('accounts').select((eb) => [eb.fn.countAll<number | string>().as('count'), eb.fn.coalesce(eb.fn.sum<number | string>('balance'), eb.lit(0)).as('total')]).executeTakeFirstOrThrow();
      const deposits = await db.selectFrom('deposits').select((eb) => eb.fn.coalesce(eb.fn.sum<number | string>('amount'), eb.lit(0)).as('total')).executeTakeFirstOrThrow();
      const mismatched = drift.filter((row) => row.balance !== Number(row.ledgerSum)).map((row) => ({ accountId: row.accountId, balance: row.balance, ledgerSum: Number(row.ledgerSum) }));
      return {
        ok: mismatched.length === 0 && Number(totals.total) === Number(deposits.total),
        accounts: Number(totals.count),
        totalBalances: Number(totals.total),
        totalDeposits: Number(deposits.total),
        drift: mismatched,
      };
    },
  };
}

export type Accounts = ReturnType<typeof createAccounts>;
