// The auditor reads the target, it does not recognise it: the Express fixture with every route
// segment and field renamed from a random seed (test/fixtures/vulnerable-express/names.ts) is
// audited in full, as alice, bob and admin, and must yield at least the planted flaws the
// fixture under its own names yields. The seed is printed; RAMPART_RENAME_SEED replays one.
import assert from 'node:assert/strict';
import { randomInt } from 'node:crypto';
import { after, before, test } from 'node:test';
import { runAudit } from '../../src/audit/engine.ts';
import { startExpress } from '../fixtures/vulnerable-express/start.ts';
import type { RunningExpress } from '../fixtures/vulnerable-express/start.ts';
import { closeAll } from '../helpers/close-all.ts';
import { expressIdentities } from './checks/fixture-identities.ts';

const SEED = Number(process.env['RAMPART_RENAME_SEED'] ?? randomInt(1, 2 ** 31));
let plain: RunningExpress | undefined;
let renamed: RunningExpress | undefined;

before(async () => {
  plain = await startExpress();
  renamed = await startExpress({ seed: SEED });
});
after(() => closeAll(plain, renamed));

/** The planted flaws a full audit of the vulnerable twin finds, by rule, method and route (`*`: anywhere). */
async function found(fx: RunningExpress): Promise<string[]> {
  const result = await runAudit({ target: fx.vuln, openapi: fx.specPath, rate: 2000, maxRequests: 3000, timeoutMs: 5000, maxRetryWaitMs: 2000, skip: ['transport'], identities: await expressIdentities(fx, fx.vuln) });
  const shape = (route: string): string => route.replace(/\{[^}]+\}/g, '{}');
  return fx.planted
    .filter((flaw) => result.findings.some((f) => f.id === flaw.rule && (flaw.route === '*' || f.affected.some((l) => l.method === flaw.method && shape(l.route) === shape(flaw.route)))))
    .map((flaw) => `${flaw.rule} ${flaw.method} ${flaw.route}`);
}

test('recall does not drop when every route and field is renamed', { timeout: 300_000 }, async () => {
  assert.notEqual(renamed!.login.path, plain!.login.path, `seed ${SEED} renamed the sign-in`);
  const before = await found(plain!);
  const after = await found(renamed!);
  console.log(`renamed fixture (seed ${SEED}): ${after.length}/${renamed!.planted.length} planted flaws; under its own names ${before.length}/${plain!.planted.length}`);
  assert.ok(before.length >= 8, before.join('\n'));
  assert.ok(after.length >= before.length, `seed ${SEED} (RAMPART_RENAME_SEED=${SEED} replays it): renamed found ${after.length}, plain ${before.length}\nplain:\n${before.join('\n')}\nrenamed:\n${after.join('\n')}`);
});
