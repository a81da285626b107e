// Transfers while PostgreSQL fails (a private server, behind a proxy that can cut one
// connection at a chosen point): a connection lost mid-transfer or during COMMIT, and the
// server killed under load. Every answer is 201 or 503 (409 while a retried key's first
// attempt may still run), never 500; nothing is half-written (the ledger check is exact);
// the service recovers without a restart; and a client that retries with the same
// Idempotency-Key gets its transfer applied exactly once.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { sql } from 'kysely';
import { request, type Response } from '../helpers/http.ts';
import { bearer, login, startReferenceService, STRONG_PASSWORD, type RunningService } from '../helpers/app.ts';
import { startCutProxy, type CutProxy } from '../helpers/pg-cut-proxy.ts';
import { startPrivatePostgres, type PrivatePostgres } from '../helpers/private-services.ts';

const OPERATOR = { id: null, clientIp: null };
const LOAD = { RAMPART_RATE_LIMIT_OVERRIDES: 'transfers=100000/60', RAMPART_TRANSFER_DAILY_COUNT: '100000', RAMPART_TRANSFER_DAILY_AMOUNT: '1000000000', RAMPART_ACCESS_TOKEN_TTL_S: '3600' };

interface Party {
  token: string;
  accountId: string;
}

describe('transfers while PostgreSQL fails', () => {
  let postgres: PrivatePostgres | undefined;
  let proxy: CutProxy | undefined;
  let service: RunningService | undefined;
  let admin: Party;
  let alice: Party;
  let bob: Party;

  const party = async (username: string, role = 'user'): Promise<Party> => {
    await service!.identity.createUser({ username, password: STRONG_PASSWORD, role }, OPERATOR);
    const token = (await login(service!.url, username)).access_token;
    const account = (await request(service!.url, '/v1/accounts/me', { headers: bearer(token) })).json() as { id: string };
    return { token, accountId: account.id };
  };
  const transfer = (key: string, amount: number, reference: string): Promise<Response> =>
    request(service!.url, '/v1/transfers', {
      method: 'POST',
      headers: { ...bearer(alice.token), 'content-type': 'application/json', 'idempotency-key': key },
      body: JSON.stringify({ toAccountId: bob.accountId, amount, reference }),
    });
  /** How many transfers carry this reference: exactly-once means 1 (or 0 when none went through). */
  const stored = async (reference: string): Promise<number> =>
    Number((await sql<{ n: number | string }>`select count(*) as n from transfers where reference = ${reference}`.execute(service!.database.db)).rows[0]!.n);
  const ledgerCheck = async () => (await request(service!.url, '/v1/admin/ledger/check', { headers: bearer(admin.token) })).json() as { ok: boolean; totalBalances: number; totalDeposits: number; drift: unknown[] };
  /** Retries a transfer with its key until it is answered 201 (503 while down, 409 while a dead attempt's claim is young). */
  const retryUntilApplied = async (key: string, amount: number, reference: string): Promise<Response> => {
    const deadline = Date.now() + 60_000;
    for (;;) {
      const response = await transfer(key, amount, reference);
      if (response.status === 201) return response;
      assert.ok([409, 503].includes(response.status), `retry answered ${response.status}: ${response.body}`);
      if (Date.now() > deadline) assert.fail(`key ${key} never applied: ${response.status}`);
      await new Promise((resolve) => setTimeout(resolve, 250));
    }
  };

  before(async () => {
    postgres = await startPrivatePostgres();
    proxy = await startCutProxy(Number(new URL(postgres.url).port));
    service = await startReferenceService({ ...LOAD, DATABASE_URL: proxy.via(postgres.url) });
    admin = await party('treasurer', 'admin');
    alice = await party('alice');
    bob = await party('bob');
    const funded = await request(service.url, `/v1/admin/accounts/${alice.accountId}/deposits`, { method: 'POST', headers: { ...bearer(admin.token), 'content-type': 'application/json' }, body: JSON.stringify({ amount: 1_000_000, reference: 'funding' }) });
    assert.equal(funded.status, 201, funded.body);
  });
  after(async () => {
    await service?.close();
    await proxy?.close();
    await postgres?.remove();
  });

  test('a connection lost mid-transfer: 503, nothing written; the retry applies it once', async () => {
    const key = randomUUID();
    // After the transfer row and the debit, before the ledger entries: half of its writes done.
    const cut = proxy!.arm({ marker: /insert into "transfers"/, at: /insert into "ledger_entries"/, when: 'before' });
    const first = await transfer(key, 100, 'mid-transfer');
    await cut;
    assert.equal(first.status, 503, first.body);
    assert.equal(first.headers['retry-after'], '5');
    assert.equal(await stored('mid-transfer'), 0, 'the transaction was rolled back');
    assert.deepEqual((await ledgerCheck()).drift, []);
    const retried = await retryUntilApplied(key, 100, 'mid-transfer');
    assert.equal(retried.headers['idempotent-replayed'], undefined, 'applied now, not replayed');
    assert.equal(await stored('mid-transfer'), 1);
    const again = await transfer(key, 100, 'mid-transfer');
    assert.equal(again.status, 201);
    assert.equal(again.headers['idempotent-replayed'], 'true');
    assert.equal(await stored('mid-transfer'), 1);
  });

  test('a connection lost during COMMIT (committed, answer lost): 503; the retry replays it, never applies it twice', async () => {
    const key = randomUUID();
    const cut = proxy!.arm({ marker: /insert into "transfers"/, at: /^commit$/i, when: 'after' });
    const first = await transfer(key, 200, 'during-commit');
    await cut;
    assert.equal(first.status, 503, first.body);
    assert.equal(await stored('during-commit'), 1, 'the server committed');
    const retried = await retryUntilApplied(key, 200, 'during-commit');
    assert.equal(retried.headers['idempotent-replayed'], 'true', 'the recorded answer, not a second transfer');
    assert.equal(await stored('during-commit'), 1);
    const check = await ledgerCheck();
    assert.equal(check.ok, true);
    assert.deepEqual(check.drift, []);
  });

  test('the server killed under load: only 201 or 503; afterwards the ledger is exact and each retried key applied once', async () => {
    const keys = Array.from({ length: 60 }, (_, i) => ({ key: randomUUID(), reference: `load-${i}` }));
    const statuses: number[] = [];
    let next = 0;
    const worker = async (): Promise<void> => {
      while (next < keys.length) {
        const { key, reference } = keys[next++]!;
        statuses.push((await transfer(key, 1, reference)).status);
      }
    };
    const load = Promise.all([worker(), worker(), worker(), worker()]);
    // Kill it once some transfers went through, while others are in flight.
    while (statuses.length < 10) await new Promise((resolve) => setTimeout(resolve, 10));
    await postgres!.stop('immediate');
    await load;
    assert.ok(statuses.every((s) => s === 201 || s === 503), `answers: ${statuses.join(',')}`);
    assert.ok(statuses.includes(503), 'some requests met the outage');

    await postgres!.start();
    for (const { key, reference } of keys) await retryUntilApplied(key, 1, reference);
    for (const { reference } of keys) assert.equal(await stored(reference), 1, `${reference} applied exactly once`);
    const check = await ledgerCheck();
    assert.equal(check.ok, true, JSON.stringify(check));
    assert.deepEqual(check.drift, []);
    assert.equal(check.totalBalances, check.totalDeposits);
  });
});
