// Accounts and transfers through real HTTP: the ledger never loses or creates money, under
// concurrency too, on node:sqlite and on PostgreSQL; idempotency keys; quotas; refusals.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { sql } from 'kysely';
import { request, type Response } from '../helpers/http.ts';
import { bearer, login, startReferenceService, STRONG_PASSWORD, type RunningService } from '../helpers/app.ts';
import { createTestDatabase } from '../toolkit/stores/services.ts';
import { closeAll } from '../helpers/close-all.ts';

const OPERATOR = { id: null, clientIp: null };
const LOAD = { RAMPART_RATE_LIMIT_OVERRIDES: 'transfers=100000/60', RAMPART_TRANSFER_DAILY_COUNT: '100000', RAMPART_TRANSFER_DAILY_AMOUNT: '1000000000' };

interface Party {
  token: string;
  accountId: string;
}

async function party(service: RunningService, username: string, role = 'user'): Promise<Party> {
  await service.identity.createUser({ username, password: STRONG_PASSWORD, role }, OPERATOR);
  const token = (await login(service.url, username)).access_token;
  const account = (await request(service.url, '/v1/accounts/me', { headers: bearer(token) })).json() as { id: string };
  return { token, accountId: account.id };
}

function deposit(service: RunningService, admin: Party, accountId: string, amount: number): Promise<Response> {
  return request(service.url, `/v1/admin/accounts/${accountId}/deposits`, { method: 'POST', headers: { ...bearer(admin.token), 'content-type': 'application/json' }, body: JSON.stringify({ amount, reference: 'test funding' }) });
}

function transfer(service: RunningService, from: Party, toAccountId: string, amount: number, key: string = randomUUID()): Promise<Response> {
  return request(service.url, '/v1/transfers', { method: 'POST', headers: { ...bearer(from.token), 'content-type': 'application/json', 'idempotency-key': key }, body: JSON.stringify({ toAccountId, amount }) });
}

async function balance(service: RunningService, who: Party): Promise<number> {
  return ((await request(service.url, '/v1/accounts/me', { headers: bearer(who.token) })).json() as { balance: number }).balance;
}

async function ledgerCheck(service: RunningService, admin: Party) {
  return (await request(service.url, '/v1/admin/ledger/check', { headers: bearer(admin.token) })).json() as { ok: boolean; totalBalances: number; totalDeposits: number; drift: unknown[] };
}

for (const backend of ['sqlite', 'postgres'] as const) {
  describe(`transfers under concurrency (${backend})`, () => {
    let service: RunningService;
    let dropDatabase: (() => Promise<void>) | undefined;
    let admin: Party;
    const parties: Party[] = [];
    before(async () => {
      let env: Record<string, string> = { ...LOAD };
      if (backend === 'postgres') {
        const database = await createTestDatabase();
        dropDatabase = database.drop;
        env = { ...env, DATABASE_URL: database.url };
      }
      service = await startReferenceService(env);
      admin = await party(service, 'treasurer', 'admin');
      for (let i = 0; i < 20; i++) parties.push(await party(service, `holder-${i}`));
      for (const p of parties) assert.equal((await deposit(service, admin, p.accountId, 10_000)).status, 201);
    });
    after(() => closeAll(service, dropDatabase));

    test('1,000 concurrent transfers among 20 accounts keep the total and every ledger', async () => {
      const results = await Promise.all(
        Array.from({ length: 1000 }, (_, i) => {
          const from = parties[i % 20]!;
          const to = parties[(i * 7 + 3) % 20]!;
          return transfer(service, from, to === from ? parties[(i + 1) % 20]!.accountId : to.accountId, 1 + (i % 500));
        }),
      );
      const statuses = new Set(results.map((r) => r.status));
      assert.ok([...statuses].every((s) => s === 201 || s === 422), [...statuses].join(','));
      assert.ok(results.filter((r) => r.status === 201).length > 500);
      const check = await ledgerCheck(service, admin);
      assert.deepEqual(check.drift, []);
      assert.equal(check.ok, true);
      assert.equal(check.totalBalances, 200_000);
      assert.equal(check.totalDeposits, 200_000);
    });

    test('parallel transfers that together would overdraw never take a balance below zero', async () => {
      const poor = await party(service, `poor-${backend}`);
      await deposit(service, admin, poor.accountId, 100);
      const results = await Promise.all(Array.from({ length: 10 }, () => transfer(service, poor, parties[0]!.accountId, 30)));
      assert.equal(results.filter((r) => r.status === 201).length, 3);
      assert.ok(results.filter((r) => r.status !== 201).every((r) => (r.json() as { type: string }).type.endsWith('insufficient-funds')));
      assert.equal(await balance(service, poor), 10);
      assert.equal((await ledgerCheck(service, admin)).ok, true);
    });

    test('50 parallel requests with one Idempotency-Key move the money once', async () => {
      const payer = parties[5]!;
      const before = await balance(service, payer);
      const key = `same-key-${backend}-${randomUUID()}`;
      const results = await Promise.all(Array.from({ length: 50 }, () => transfer(service, payer, parties[6]!.accountId, 250, key)));
      const first = results.filter((r) => r.status === 201 && r.headers['idempotent-replayed'] === undefined);
      assert.equal(first.length, 1, results.map((r) => `${r.status}${r.headers['idempotent-replayed'] ? 'r' : ''}`).join(','));
      assert.ok(results.every((r) => r.status === 201 || r.status === 409));
      const id = (first[0]!.json() as { id: string }).id;
      assert.ok(results.filter((r) => r.status === 201).every((r) => (r.json() as { id: string }).id === id), 'replays return the first result');
      assert.equal(await balance(service, payer), before - 250);
    });
  });
}

describe('transfer rules', () => {
  let service: RunningService;
  let admin: Party;
  let alice: Party;
  let bob: Party;
  before(async () => {
    service = await startReferenceService({ RAMPART_TRANSFER_DAILY_COUNT: '5', RAMPART_RATE_LIMIT_OVERRIDES: 'transfers=100000/60' });
    admin = await party(service, 'banker', 'admin');
    alice = await party(service, 'alice');
    bob = await party(service, 'bob');
    await deposit(service, admin, alice.accountId, 1_000);
  });
  after(() => closeAll(service));

  const stored = async () => Number((await sql<{ n: number | string }>`select count(*) as n from transfers`.execute(service.database.db)).rows[0]!.n);

  test('negative, zero, fractional, self and unknown-recipient transfers are refused and move nothing', async () => {
    const before = await stored();
    for (const amount of [-5, 0, 1.5]) assert.equal((await transfer(service, alice, bob.accountId, amount)).status, 400, String(amount));
    const self = await transfer(service, alice, alice.accountId, 10);
    assert.equal(self.status, 422);
    assert.equal((await transfer(service, alice, randomUUID(), 10)).status, 422);
    assert.equal((await transfer(service, alice, bob.accountId, 5_000)).status, 422, 'overdraw');
    assert.equal(await stored(), before);
    assert.equal(await balance(service, alice), 1_000);
  });

  test('the Idempotency-Key header is required and checked', async () => {
    const missing = await request(service.url, '/v1/transfers', { method: 'POST', headers: { ...bearer(alice.token), 'content-type': 'application/json' }, body: JSON.stringify({ toAccountId: bob.accountId, amount: 1 }) });
    assert.equal(missing.status, 400);
    assert.equal((await transfer(service, alice, bob.accountId, 1, 'bad key!')).status, 400);
  });

  test('the same key with a different body is 422; another user’s key is just a new key', async () => {
    const key = `k-${randomUUID()}`;
    assert.equal((await transfer(service, alice, bob.accountId, 10, key)).status, 201);
    const replay = await transfer(service, alice, bob.accountId, 10, key);
    assert.equal(replay.status, 201);
    assert.equal(replay.headers['idempotent-replayed'], 'true');
    assert.equal((await transfer(service, alice, bob.accountId, 11, key)).status, 422);
    await deposit(service, admin, bob.accountId, 100);
    const bobs = await transfer(service, bob, alice.accountId, 10, key);
    assert.equal(bobs.status, 201);
    assert.equal(bobs.headers['idempotent-replayed'], undefined);
  });

  test('a refused transfer is replayed as refused, not retried', async () => {
    const key = `k-${randomUUID()}`;
    assert.equal((await transfer(service, alice, bob.accountId, 5_000, key)).status, 422);
    const again = await transfer(service, alice, bob.accountId, 5_000, key);
    assert.equal(again.status, 422);
    assert.equal(again.headers['idempotent-replayed'], 'true');
    assert.equal(again.headers['content-type'], 'application/problem+json');
  });

  test('the daily count quota answers 429 with Retry-After and records an event', async () => {
    const statuses: number[] = [];
    for (let i = 0; i < 6; i++) statuses.push((await transfer(service, alice, bob.accountId, 1)).status);
    assert.equal(statuses[statuses.length - 1], 429);
    const quota = await transfer(service, alice, bob.accountId, 1);
    assert.match(String(quota.headers['retry-after']), /^\d+$/);
    const events = await service.identity.events.list({ type: 'quota_exceeded' });
    assert.ok(events.length >= 1);
  });

  test('other users cannot read a transfer; mass assignment is refused', async () => {
    const created = await transfer(service, bob, alice.accountId, 1);
    const id = (created.json() as { id: string }).id;
    assert.equal(created.headers.location, `/v1/transfers/${id}`);
    assert.equal((await request(service.url, `/v1/transfers/${id}`, { headers: bearer(bob.token) })).status, 200);
    const foreign = await request(service.url, `/v1/transfers/${id}`, { headers: bearer(alice.token) });
    const missing = await request(service.url, `/v1/transfers/${randomUUID()}`, { headers: bearer(alice.token) });
    assert.equal(foreign.status, 404);
    assert.equal(foreign.body, missing.body);
    const sneaky = await request(service.url, '/v1/transfers', { method: 'POST', headers: { ...bearer(bob.token), 'content-type': 'application/json', 'idempotency-key': randomUUID() }, body: JSON.stringify({ toAccountId: alice.accountId, amount: 1, fromAccountId: alice.accountId }) });
    assert.equal(sneaky.status, 400);
  });

  test('deposits are admin-only and recorded with the acting admin; the ledger check sees drift', async () => {
    assert.equal((await deposit(service, alice, alice.accountId, 1_000_000)).status, 403);
    const rows = await sql<{ admin_id: string }>`select admin_id from deposits`.execute(service.database.db);
    const adminId = (await service.identity.users.findByUsername('banker'))!.id;
    assert.ok(rows.rows.every((row) => row.admin_id === adminId));
    assert.equal((await ledgerCheck(service, admin)).ok, true);
    await sql`update accounts set balance = balance + 1 where id = ${alice.accountId}`.execute(service.database.db);
    const check = await ledgerCheck(service, admin);
    assert.equal(check.ok, false);
    assert.equal(check.drift.length, 1);
  });
});
