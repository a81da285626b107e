// Transfers between accounts: one database transaction moves the money, writes the transfer
// and both ledger entries, or nothing at all. Both account rows are locked in id order (no
// deadlock between A→B and B→A on PostgreSQL), the debit is conditional on the balance (no
// overdraft under concurrency), and the daily quota is checked after the sender's row is
// locked, so parallel transfers cannot slip past it together.
import { randomUUID } from 'node:crypto';
import type { Kysely } from 'kysely';
import { HttpProblem } from '../../toolkit/index.ts';
import { enqueueEvent } from '../webhooks/outbox.ts';
import { CURRENCY, type MoneyTables } from './tables.ts';

export interface TransferRequest {
  initiatorId: string;
  toAccountId: string;
  amount: number;
  reference: string;
}

export interface TransferView {
  id: string;
  fromAccountId: string;
  toAccountId: string;
  amount: number;
  currency: string;
  reference: string;
  createdAt: string;
}

export interface TransferQuota {
  dailyAmount: number;
  dailyCount: number;
}

const unprocessable = (slug: string, title: string, detail: string): HttpProblem => new HttpProblem(422, { slug, title, detail });
const SELF = unprocessable('self-transfer', 'Self transfer', 'An account cannot transfer money to itself.');
const NO_RECIPIENT = unprocessable('unknown-recipient', 'Unknown recipient', 'No account has the recipient id.');
const INSUFFICIENT = unprocessable('insufficient-funds', 'Insufficient funds', 'The balance does not cover the amount.');

export class QuotaExceeded extends HttpProblem {
  readonly quota: 'count' | 'amount';
  constructor(quota: 'count' | 'amount', retryAfterSeconds: number) {
    super(429, {
      slug: 'transfer-quota',
      title: 'Daily transfer quota reached',
      detail: quota === 'count' ? 'The daily number of transfers is used up.' : 'The daily transfer amount would be exceeded.',
      headers: { 'retry-after': String(retryAfterSeconds) },
    });
    this.quota = quota;
  }
}

export function createTransfers(db: Kysely<MoneyTables>, quota: TransferQuota, now: () => number = Date.now) {
  return {
    /** `inTransaction` runs last, inside the transaction (the idempotency key records its answer there). */
    async transfer(input: TransferRequest, inTransaction?: (trx: Kysely<MoneyTables>, view: TransferView) => Promise<void>): Promise<TransferView> {
      return db.transaction().execute(async (trx) => {
        const t = now();
        const from = await trx.selectFrom('accounts').select('id').where('owner_id', '=', input.initiatorId).executeTakeFirst();
        if (from === undefined) throw INSUFFICIENT;
        if (from.id === input.toAccountId) throw SELF;
        const locked = await trx.selectFrom('accounts').select('id').where('id', 'in', [from.id, input.toAccountId]).orderBy('id').forUpdate().execute();
        if (locked.length !== 2) throw NO_RECIPIENT;

        const dayStart = t - (t % 86_400_000);
        const today = await trx
          .selectFrom('transfers')
          .select((eb) => [eb.fn.countAll<number | string>().as('count'), eb.fn.coalesce(eb.fn.sum<number | string>('amount'), eb.lit(0)).as('total')])
          .where('initiator_id', '=', input.initiatorId)
          .where('created_at', '>=', dayStart)
          .executeTakeFirstOrThrow();
        const secondsToMidnight = Math.ceil((dayStart + 86_400_000 - t) / 1000);
        if (Number(today.count) + 1 > quota.dailyCount) throw new QuotaExceeded('count', secondsToMidnight);
        if (Number(today.total) + input.amount > quota.dailyAmount) throw new QuotaExceeded('amount', secondsToMidnight);

        const debited = await trx
          .updateTable('accounts')
          .set((eb) => ({ balance: eb('balance', '-', input.amount) }))
          .where('id', '=', from.id)
          .where('balance', '>=', input.amount)
          .executeTakeFirst();
        if (debited.numUpdatedRows !== 1n) throw INSUFFICIENT;
        await trx.updateTable('accounts').set((eb) => ({ balance: eb('balance', '+', input.amount) })).where('id', '=', input.toAccountId).execute();

        const id = randomUUID();
        await trx.insertInto('transfers').values({ id, initiator_id: input.initiatorId, from_account: from.id, to_account: input.toAccountId, amount: input.amount, reference: input.reference, created_at: t }).execute();
        await trx.insertInto('ledger_entries').values([
          { id: randomUUID(), account_id: from.id, amount: -input.amount, kind: 'transfer_out', source_id: id, created_at: t },
          { id: randomUUID(), account_id: input.toAccountId, amount: input.amount, kind: 'transfer_in', source_id: id, created_at: t },
        ]).execute();
        const view = { id, fromAccountId: from.id, toAccountId: input.toAccountId, amount: input.amount, currency: CURRENCY, reference: input.reference, createdAt: new Date(t).toISOString() };
        // Outbox: the initiator's webhooks hear of the transfer in the same transaction.
        await enqueueEvent(trx, input.initiatorId, 'transfer.completed', view, t);
        await inTransaction?.(trx, view);
        return view;
      });
    },

    /** One transfer the user initiated (owned: another user's id is not found). */
    async byId(id: string, initiatorId: string | null): Promise<TransferView | undefined> {
      const row = await db
        .selectFrom('transfers')
        .selectAll()
        .where('id', '=', id)
        .$if(initiatorId !== null, (q) => q.where('initiator_id', '=', initiatorId!))
        .executeTakeFirst();
      return row && { id: row.id, fromAccountId: row.from_account, toAccountId: row.to_account, amount: row.amount, currency: CURRENCY, reference: row.reference, createdAt: new Date(row.created_at).toISOString() };
    },
  };
}

export type Transfers = ReturnType<typeof createTransfers>;
