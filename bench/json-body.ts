// CPU cost of the JSON body parser on a 1 MiB body (issue 18 item 13): JSON.parse alone, the
// parser's usual path (depth, forbidden names, the colon count that rules out repeated
// names), and its precise path (a body with an escaped colon, so jsonc-parser's scanner
// looks for repeats). CPU time, not wall time, so a busy machine skews it less.
// Run: node bench/json-body.ts
import { parseJsonBody } from '../src/toolkit/limits/json-body.ts';

const items: unknown[] = [];
for (let i = 0; JSON.stringify({ items }).length < 1024 * 1024; i++) {
  items.push({ id: `ord_${i.toString(36)}`, createdAt: '2026-12-02T13:25:00Z', url: `https://shop.example/p/${i}`, note: 'deliver to the back door', amount: i * 3.14, qty: i % 7, tags: ['a', `t${i % 13}`], lines: [{ sku: `S${i}`, qty: 1 }, { sku: `T${i}`, qty: 2 }] });
}
const body = JSON.stringify({ items });
const escaped = JSON.stringify({ items, note: 'a\u003ab' }).replace('a:b', 'a\\u003ab');

function cpuMedian(run: () => void, rounds = 41): number {
  for (let i = 0; i < 5; i++) run();
  const times: number[] = [];
  for (let i = 0; i < rounds; i++) {
    const start = process.cpuUsage();
    run();
    const used = process.cpuUsage(start);
    times.push((used.user + used.system) / 1000);
  }
  return times.sort((a, b) => a - b)[rounds >> 1]!;
}

const rows: [string, number][] = [
  ['JSON.parse alone', cpuMedian(() => void JSON.parse(body))],
  ['parseJsonBody, usual path', cpuMedian(() => void parseJsonBody(body, 32))],
  ['parseJsonBody, precise path (escaped colon)', cpuMedian(() => void parseJsonBody(escaped, 32))],
];
console.log(`body: ${(body.length / 1024).toFixed(0)} KiB`);
for (const [name, ms] of rows) console.log(`${name.padEnd(46)} ${ms.toFixed(2)} ms CPU (median of 41)`);
