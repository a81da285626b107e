// Accounts, transfers (a sensitive business flow, OWASP API6), admin deposits and the ledger
// check. Money enters only through admin deposits; transfers need an Idempotency-Key.
import type { FastifyReply } from 'fastify';
import type { Kysely } from 'kysely';
import { HttpProblem, PROBLEM_CONTENT_TYPE, RESOURCE_ID_PATTERN, RESOURCE_NOT_FOUND, Type, type AuthenticatedRequest, type Database, type Identity, type RampartConfig, type RampartServer } from '../../toolkit/index.ts';
import { createAccounts } from '../money/accounts.ts';
import { createIdempotency } from '../money/idempotency.ts';
import type { MoneyTables } from '../money/tables.ts';
import { createTransfers, QuotaExceeded } from '../money/transfers.ts';

const Amount = Type.Integer({ minimum: 1, maximum: 1_000_000_000 });
const Reference = Type.String({ maxLength: 140, pattern: '^[^\\u0000-\\u001f\\u007f]*$' });
const Account = Type.Object({ id: Type.String(), balance: Type.Integer(), currency: Type.String() }, { additionalProperties: false });
const Transfer = Type.Object(
  { id: Type.String(), fromAccountId: Type.String(), toAccountId: Type.String(), amount: Type.Integer(), currency: Type.String(), reference: Type.String(), createdAt: Type.String() },
  { additionalProperties: false },
);
const TransferBody = Type.Object({ toAccountId: Type.String({ pattern: RESOURCE_ID_PATTERN }), amount: Amount, reference: Type.Optional(Reference) }, { additionalProperties: false });
const IdempotencyHeaders = Type.Object({ 'idempotency-key': Type.String({ pattern: '^[A-Za-z0-9_-]{8,64}$' }) });
const LedgerEntry = Type.Object({ id: Type.String(), amount: Type.Integer(), kind: Type.String(), sourceId: Type.String(), createdAt: Type.String() }, { additionalProperties: false });
const Deposit = Type.Object({ id: Type.String(), accountId: Type.String(), amount: Type.Integer(), balance: Type.Integer() }, { additionalProperties: false });
const LedgerCheck = Type.Object(
  {
    ok: Type.Boolean(),
    accounts: Type.Integer(),
    totalBalances: Type.Integer(),
    totalDeposits: Type.Integer(),
    drift: Type.Array(Type.Object({ accountId: Type.String(), balance: Type.Integer(), ledgerSum: Type.Integer() }, { additionalProperties: false })),
  },
  { additionalProperties: false },
);
const IdParams = Type.Object({ id: Type.String({ maxLength: 64 }) }, { additionalProperties: false });
const ID = new RegExp(RESOURCE_ID_PATTERN);
const TRANSFER_LIMIT = { name: 'transfers', limit: 60, windowSeconds: 60 };

export function moneyRoutes(app: RampartServer, database: Database<unknown>, identity: Identity, config: RampartConfig): void {
  const db = database.db as unknown as Kysely<MoneyTables>;
  const accounts = createAccounts(db);
  const transfers = createTransfers(db, { dailyAmount: config.service.transferDailyAmount, dailyCount: config.service.transferDailyCount });
  const idempotency = createIdempotency(db);
  const actor = (request: AuthenticatedRequest) => ({ principalId: request.principal.id, clientIp: request.client.ip });

  app.get('/v1/accounts/me', {
    policy: { scopes: ['accounts:read'] },
    schema: { response: { 200: Account } },
    handler: async (request) => normalize(await accounts.ensure(request.principal.id)),
  });

  app.get('/v1/accounts/me/ledger', {
    policy: { scopes: ['accounts:read'] },
    schema: {
      querystring: Type.Object({ limit: Type.Optional(Type.Integer({ minimum: 1, maximum: 100, default: 20 })), cursor: Type.Optional(Type.String({ maxLength: 200 })) }, { additionalProperties: false }),
      response: { 200: Type.Object({ items: Type.Array(LedgerEntry), next: Type.Union([Type.String(), Type.Null()]) }, { additionalProperties: false }) },
    },
    handler: async (request) => {
      const account = await accounts.ensure(request.principal.id);
      const page = await accounts.ledger(account.id, request.query.limit ?? 20, request.query.cursor === undefined ? undefined : decodeCursor(request.query.cursor));
      const last = page.entries[page.entries.length - 1];
      return {
        items: page.entries.map((e) => ({ id: e.id, amount: e.amount, kind: e.kind, sourceId: e.source_id, createdAt: new Date(e.created_at).toISOString() })),
        next: page.more && last ? Buffer.from(`${last.created_at}:${last.id}`).toString('base64url') : null,
      };
    },
  });

  app.post('/v1/transfers', {
    policy: { scopes: ['transfers:write'], rateLimit: TRANSFER_LIMIT },
    schema: { headers: IdempotencyHeaders, body: TransferBody, response: { 201: Transfer } },
    handler: async (request, reply) => {
      const userId = request.principal.id;
      await accounts.ensure(userId);
      const result = await idempotency.run(userId, request.headers['idempotency-key'], request.body, async (record) => {
        try {
          const input = { initiatorId: userId, toAccountId: request.body.toAccountId, amount: request.body.amount, reference: request.body.reference ?? '' };
          // The answer is recorded in the transfer's own transaction: both commit, or neither.
          const transfer = await transfers.transfer(input, (trx, view) => record(trx, { status: 201, body: view, kind: 'json' }));
          return { status: 201, body: transfer, kind: 'json' };
        } catch (error) {
          if (error instanceof QuotaExceeded) await identity.events.record({ type: 'quota_exceeded', ...actor(request), detail: { quota: `transfers-daily-${error.quota}` } });
          throw error;
        }
      });
      if (result.replayed) reply.header('idempotent-replayed', 'true');
      if (result.kind === 'problem') {
        // A replayed refusal (e.g. insufficient funds) is sent as first answered.
        return (reply as unknown as FastifyReply).code(result.status).headers(result.headers ?? {}).header('content-type', PROBLEM_CONTENT_TYPE).header('cache-control', 'no-store').send(Buffer.from(JSON.stringify(result.body)));
      }
      const transfer = result.body as { id: string };
      return reply.code(201).header('location', `/v1/transfers/${transfer.id}`).send(result.body as never);
    },
  });

  app.get('/v1/transfers/:id', {
    policy: { scopes: ['accounts:read'], owner: { param: 'id', crossOwnerScopes: ['admin:accounts'] } },
    schema: { params: IdParams, response: { 200: Transfer } },
    handler: async (request) => {
      const transfer = await transfers.byId(request.owner.resourceId, request.owner.ownerId);
      if (transfer === undefined) throw RESOURCE_NOT_FOUND;
      return transfer;
    },
  });

  app.post('/v1/admin/accounts/:id/deposits', {
    policy: { scopes: ['admin:accounts'] },
    schema: { params: IdParams, body: Type.Object({ amount: Amount, reference: Reference }, { additionalProperties: false }), response: { 201: Deposit } },
    handler: async (request, reply) => {
      if (!ID.test(request.params.id)) throw RESOURCE_NOT_FOUND;
      const deposit = await accounts.deposit(request.params.id, request.body.amount, request.principal.id, request.body.reference);
      if (deposit === undefined) throw RESOURCE_NOT_FOUND;
      await identity.events.record({ type: 'admin_action', ...actor(request), detail: { action: 'deposit', accountId: request.params.id, amount: request.body.amount, depositId: deposit.id } });
      return reply.code(201).send({ id: deposit.id, accountId: request.params.id, amount: request.body.amount, balance: deposit.balance });
    },
  });

  app.get('/v1/admin/ledger/check', {
    policy: { scopes: ['admin:accounts'] },
    schema: { response: { 200: LedgerCheck } },
    handler: async (request) => {
      await identity.events.record({ type: 'admin_action', ...actor(request), detail: { action: 'ledger_check' } });
      return accounts.check();
    },
  });
}

function normalize(account: { id: string; balance: number; currency: string }) {
  return { id: account.id, balance: account.balance, currency: account.currency };
}

function decodeCursor(cursor: string): { at: number; id: string } {
  const text = Buffer.from(cursor, 'base64url').toString('utf8');
  const colon = text.indexOf(':');
  const at = Number(text.slice(0, colon));
  if (colon === -1 || !Number.isSafeInteger(at)) throw new HttpProblem(400, { slug: 'invalid-cursor', title: 'Invalid cursor', detail: 'The cursor is not one this API issued.' });
  return { at, id: text.slice(colon + 1) };
}
