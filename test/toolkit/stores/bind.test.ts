// bindParameters: a query compiled once answers, with new values, exactly what the same
// query built for those values answers; a wrong number of values is refused, never run.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { sql } from 'kysely';
import { bindParameters, openDatabase } from '../../../src/toolkit/index.ts';

interface Tables {
  items: { id: string; owner: string; at: number };
}

test('a compiled query bound to new values answers what the built query answers', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'rampart-bind-'));
  const database = openDatabase<Tables>({ dataDir: dir });
  try {
    const db = database.db;
    await sql`create table items (id text primary key, owner text not null, at integer not null)`.execute(db);
    await db.insertInto('items').values([{ id: 'a', owner: 'ann', at: 1 }, { id: 'b', owner: 'ann', at: 2 }, { id: 'c', owner: 'bob', at: 3 }]).execute();
    const build = (owner: string, limit: number) => db.selectFrom('items').selectAll().where('owner', '=', owner).orderBy('at', 'desc').limit(limit);
    const compiled = build('', 0).compile();
    for (const [owner, limit] of [['ann', 1], ['ann', 5], ['bob', 5], ['nobody', 5]] as const) {
      const bound = (await db.executeQuery(bindParameters(compiled, [owner, limit]))).rows;
      assert.deepEqual(bound, await build(owner, limit).execute(), `${owner} ${limit}`);
    }
    assert.deepEqual((await db.executeQuery(bindParameters(compiled, ['ann', 1]))).rows.map((row) => ({ ...row })), [{ id: 'b', owner: 'ann', at: 2 }]);
    assert.throws(() => bindParameters(compiled, ['ann']), /binds 2 values, not 1/);
  } finally {
    await database.close();
    rmSync(dir, { recursive: true, force: true });
  }
});
