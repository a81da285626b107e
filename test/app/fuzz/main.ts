// `npm run fuzz`: a long schema-guided fuzz run of the reference service (1,000,000 requests
// by default). Options: --requests <n>, --seed <n>, --concurrency <n>. Exit 1 on any failure.
import { parseArgs } from 'node:util';
import { fuzzReferenceService, type FuzzReport } from './harness.ts';

const { values } = parseArgs({ options: { requests: { type: 'string', default: '1000000' }, seed: { type: 'string' }, concurrency: { type: 'string', default: '8' } } });
const seed = values.seed === undefined ? Math.floor(Math.random() * 2 ** 31) : Number(values.seed);
const started = Date.now();
const rate = (done: number): string => `${Math.round(done / ((Date.now() - started) / 1000))} req/s`;
console.log(`fuzzing the reference service: ${values.requests} requests, seed ${seed}`);
const report: FuzzReport = await fuzzReferenceService({
  requests: Number(values.requests),
  seed,
  concurrency: Number(values.concurrency),
  progress: (done, partial) => console.log(`${done} sent (${rate(done)}), ${partial.failures.length} failures, statuses ${JSON.stringify(partial.statuses)}`),
});
console.log(`done: ${report.sent} requests over ${report.operations} operations in ${((Date.now() - started) / 1000).toFixed(1)} s (${rate(report.sent)})`);
console.log(`statuses: ${JSON.stringify(report.statuses)}`);
const unreached = Object.entries(report.byOperation).filter(([, counts]) => !Object.keys(counts).some((status) => status.startsWith('2'))).map(([name]) => name);
console.log(`operations never answered 2xx: ${unreached.length === 0 ? 'none' : unreached.join(', ')}`);
for (const failure of report.failures) console.log(JSON.stringify(failure));
for (const line of report.errorLogs) console.log(`error log: ${line}`);
process.exitCode = report.failures.length > 0 || report.errorLogs.length > 0 ? 1 : 0;
