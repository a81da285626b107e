// `rampart rotate-keys` against a running reference service (same SQLite file, or the same
// PostgreSQL database): requests keep succeeding throughout, and afterwards every sealed
// value is under the new key and still decrypts.
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { after, before, describe, test } from 'node:test';
import { promisify } from 'node:util';
import type { Kysely } from 'kysely';
import type { IdentityTables } from '../../src/toolkit/index.ts';
import { bearer, login, passwordLogin, startReferenceService, STRONG_PASSWORD, type RunningService } from '../helpers/app.ts';
import { CLI, cleanEnv } from '../helpers/cli.ts';
import { request } from '../helpers/http.ts';
import { createTestDatabase } from '../toolkit/stores/services.ts';
import { closeAll } from '../helpers/close-all.ts';

const run = promisify(execFile);
const OPERATOR = { id: null, clientIp: null };
const USERS = 12;

for (const dialect of ['sqlite', 'postgres'] as const) {
  describe(`rampart rotate-keys while the service runs (${dialect})`, () => {
    let service: RunningService;
    let pg: { url: string; drop: () => Promise<void> } | undefined;
    let env: Record<string, string>;
    let db: Kysely<IdentityTables>;

    before(async () => {
      pg = dialect === 'postgres' ? await createTestDatabase() : undefined;
      service = await startReferenceService(pg === undefined ? {} : { DATABASE_URL: pg.url });
      env = cleanEnv({ NODE_ENV: 'development', RAMPART_DATA_DIR: service.config.dataDir, ...(pg === undefined ? {} : { DATABASE_URL: pg.url }) });
      db = service.database.db;
      for (let i = 0; i < USERS; i += 1) {
        await service.identity.createUser({ username: `user${i}`, password: STRONG_PASSWORD, role: 'user', email: `user${i}@example.net` }, OPERATOR);
      }
    });
    after(() => closeAll(service, () => pg?.drop()));

    test('--dry-run counts what would be re-encrypted and changes nothing', async () => {
      const kid = service.fieldKeyring.currentKid();
      const before = await db.selectFrom('users').select(['id', 'email']).orderBy('id').execute();
      const { stdout } = await run(process.execPath, [CLI, 'rotate-keys', '--dry-run'], { env });
      assert.match(stdout, new RegExp(`a new data key would replace ${kid}`));
      assert.match(stdout, new RegExp(`^users\\.email: would re-encrypt ${USERS}$`, 'm'));
      assert.deepEqual(await db.selectFrom('users').select(['id', 'email']).orderBy('id').execute(), before);
      await service.fieldKeyring.reload();
      assert.equal(service.fieldKeyring.currentKid(), kid, 'no key was added');
    });

    test('every request succeeds during rotation; afterwards every row is under the new key and decrypts', async (t) => {
      const oldKid = service.fieldKeyring.currentKid();
      const tokens = await Promise.all([0, 1, 2].map((i) => login(service.url, `user${i}`)));
      const statuses: number[] = [];
      let rotating = true;
      let registered = 0;

      async function traffic(worker: number): Promise<void> {
        for (let n = 0; rotating; n += 1) {
          const i = (worker + n) % tokens.length;
          const me = await request(service.url, '/v1/users/me', { headers: bearer(tokens[i]!.access_token) });
          statuses.push(me.status);
          if (me.status === 200) assert.equal((me.json() as { email: string }).email, `user${i}@example.net`);
          if (n % 10 === 0) {
            // Logins take user names; the email's blind index is still looked up during rotation.
            const u = (worker + n) % USERS;
            statuses.push((await passwordLogin(service.url, `user${u}`, STRONG_PASSWORD)).status);
            assert.deepEqual((await service.identity.users.findByEmail(`user${u}@example.net`)).map((row) => row.username), [`user${u}`]);
          }
          if (worker === 0 && n % 15 === 0 && registered < 5) {
            registered += 1;
            const body = JSON.stringify({ username: `late${registered}`, password: STRONG_PASSWORD, email: `late${registered}@example.net` });
            statuses.push((await request(service.url, '/v1/users', { method: 'POST', headers: { 'content-type': 'application/json' }, body })).status);
          }
        }
      }

      const load = Promise.all([0, 1, 2].map(traffic));
      let stdout: string;
      try {
        ({ stdout } = await run(process.execPath, [CLI, 'rotate-keys'], { env, timeout: 60_000 }));
      } finally {
        rotating = false;
        await load;
      }
      const newKid = /^new data key: (\S+)$/m.exec(stdout)?.[1];
      assert.ok(newKid !== undefined && newKid !== oldKid, stdout);
      const rotated = Number(/^users\.email: re-encrypted (\d+)$/m.exec(stdout)?.[1]);
      assert.ok(rotated >= USERS, stdout);

      t.diagnostic(`${statuses.length} requests during rotation (${registered} registrations), ${rotated} rows re-encrypted`);
      assert.ok(statuses.length > 20, `traffic ran alongside the rotation (${statuses.length} requests)`);
      assert.deepEqual([...new Set(statuses)].sort(), registered > 0 ? [200, 201] : [200]);

      const rows = await db.selectFrom('users').select(['id', 'username', 'email']).where('email', 'is not', null).execute();
      assert.equal(rows.length, USERS + registered);
      for (const row of rows) assert.ok(row.email!.startsWith(`f1.${newKid}.`), `${row.username} is under the new key`);
      for (const row of rows) assert.equal((await service.identity.users.findById(row.id))!.email, `${row.username}@example.net`);
      // The running service moved to the new key by itself, without a restart.
      const late = await request(service.url, '/v1/users', { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ username: 'after', password: STRONG_PASSWORD, email: 'after@example.net' }) });
      assert.equal(late.status, 201, late.body);
      const stored = await db.selectFrom('users').select('email').where('username', '=', 'after').executeTakeFirstOrThrow();
      assert.ok(stored.email!.startsWith(`f1.${newKid}.`));
    });
  });
}
