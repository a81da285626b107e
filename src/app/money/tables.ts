// Row types of the money tables (see migrations/0101_money.ts).
import type { IdentityTables } from '../../toolkit/index.ts';

export interface MoneyTables extends IdentityTables {
  accounts: { id: string; owner_id: string; balance: number; currency: string; created_at: number };
  deposits: { id: string; account_id: string; amount: number; admin_id: string; reference: string; created_at: number };
  transfers: { id: string; initiator_id: string; from_account: string; to_account: string; amount: number; reference: string; created_at: number };
  ledger_entries: { id: string; account_id: string; amount: number; kind: 'deposit' | 'transfer_out' | 'transfer_in'; source_id: string; created_at: number };
  /** `claim`: the token of the attempt that holds a running key (null only on rows from before 0104). */
  idempotency_keys: { user_id: string; key: string; request_hash: string; state: 'running' | 'done'; claim: string | null; response_status: number | null; response_body: string | null; expires_at: number };
}

export const CURRENCY = 'EUR';
