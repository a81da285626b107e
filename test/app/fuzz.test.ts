// Schema-guided fuzzing of every route of the reference service, from its own OpenAPI
// document: valid, boundary and invalid values for every parameter and body field, sent
// anonymously and as an admin, a user and a readonly user. No answer may be a 5xx or show a
// stack trace, and nothing may be logged as an error. `npm run fuzz` runs 1,000,000.
// RAMPART_FUZZ_REQUESTS and RAMPART_FUZZ_SEED replay or lengthen a run.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { fuzzReferenceService } from './fuzz/harness.ts';

const requests = Number(process.env.RAMPART_FUZZ_REQUESTS ?? 20_000);
const seed = Number(process.env.RAMPART_FUZZ_SEED ?? Math.floor(Math.random() * 2 ** 31));

test(`${requests} fuzzed requests over every operation: no 5xx, no stack trace, no error logged (seed ${seed})`, { timeout: 480_000 }, async (t) => {
  const report = await fuzzReferenceService({ requests, seed });
  t.diagnostic(`seed ${seed}: ${report.sent} requests over ${report.operations} operations; statuses ${JSON.stringify(report.statuses)}`);
  assert.equal(report.sent, requests);
  assert.ok(report.operations >= 40, `the document lists ${report.operations} operations`);
  assert.equal(Object.keys(report.byOperation).length, report.operations, 'every operation was called');
  assert.deepEqual(report.failures, [], `replay with RAMPART_FUZZ_SEED=${seed}`);
  assert.deepEqual(report.errorLogs, [], `replay with RAMPART_FUZZ_SEED=${seed}`);
  // The run reaches the code behind the validator, not only its refusals.
  const succeeded = Object.values(report.byOperation).filter((counts) => Object.keys(counts).some((status) => status.startsWith('2'))).length;
  assert.ok(succeeded >= report.operations * 0.6, `${succeeded} of ${report.operations} operations answered 2xx at least once`);
});
