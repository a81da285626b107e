// The service bench's table and ratios, from the medians of each cell's runs. The README's
// performance section shows exactly this table for the recorded run in
// bench/results/service-baseline.json (test/bench/service-readme.test.ts keeps them equal).
import { ROUTE_LABELS, SERVER_LABELS, type RouteId, type ServerId } from './cells.ts';

export interface RunSample {
  round: number;
  requestsPerSecond: number;
  requests: number;
  p50Ms: number;
  p99Ms: number;
  /** CPU time of the server's process tree during the run, per answered request. */
  cpuUsPerRequest: number;
  /** The 1-minute load average when the run ended (other work on the machine shows here). */
  load1: number;
  socketErrors: number;
  /** When wrk ran, on CLOCK_MONOTONIC in µs (V8's profile clock): bench/service/layers.ts picks these samples. */
  monoStartUs: number;
  monoEndUs: number;
}

export interface CellResult {
  route: RouteId;
  server: ServerId;
  requestsPerSecond: number;
  p50Ms: number;
  p99Ms: number;
  cpuUsPerRequest: number;
  load1: number;
  runs: RunSample[];
}

export interface Ratio {
  description: string;
  /** req/s of the cell ÷ req/s of the reference. */
  byThroughput: number;
  /** CPU µs/req of the reference ÷ CPU µs/req of the cell. */
  byCpu: number;
  target: number;
}

const int = (value: number): string => Math.round(value).toLocaleString('en-US');
const ms = (value: number): string => (value < 10 ? value.toFixed(2) : value.toFixed(1));

export function formatTable(cells: readonly CellResult[]): string {
  return [
    '| route | server | req/s (median) | p50 ms | p99 ms | CPU µs/req | load avg (1 min) |',
    '|---|---|---:|---:|---:|---:|---:|',
    ...cells.map((c) => `| ${ROUTE_LABELS[c.route]} | ${SERVER_LABELS[c.server]} | ${int(c.requestsPerSecond)} | ${ms(c.p50Ms)} | ${ms(c.p99Ms)} | ${c.cpuUsPerRequest.toFixed(1)} | ${c.load1.toFixed(2)} |`),
  ].join('\n');
}

const PAIRS: readonly { description: string; route: RouteId; server: ServerId; reference: ServerId; target: number }[] = [
  { description: 'service /healthz vs bare Fastify (target ≥ 0.65)', route: 'healthz', server: 'service', reference: 'fastify-bare', target: 0.65 },
  { description: 'service GET /v1/orders vs hand-assembled Fastify + Kysely (target ≥ 2)', route: 'orders', server: 'service', reference: 'fastify-stack', target: 2 },
  { description: 'service GET /v1/orders vs FastAPI + sqlite3 (target ≥ 10)', route: 'orders', server: 'service', reference: 'fastapi', target: 10 },
  { description: 'GET /v1/orders with Redis: 2 workers vs 1 (no target)', route: 'orders', server: 'service-redis-2w', reference: 'service-redis', target: 0 },
];

export function ratios(cells: readonly CellResult[]): Ratio[] {
  const find = (route: RouteId, server: ServerId) => cells.find((c) => c.route === route && c.server === server);
  const out: Ratio[] = [];
  for (const pair of PAIRS) {
    const cell = find(pair.route, pair.server);
    const reference = find(pair.route, pair.reference);
    if (cell === undefined || reference === undefined) continue;
    out.push({ description: pair.description, byThroughput: cell.requestsPerSecond / reference.requestsPerSecond, byCpu: reference.cpuUsPerRequest / cell.cpuUsPerRequest, target: pair.target });
  }
  return out;
}

export function formatRatios(list: readonly Ratio[]): string {
  return [
    '| ratio | by req/s | by CPU µs/req | target met (by req/s) |',
    '|---|---:|---:|---|',
    ...list.map((r) => `| ${r.description} | ${r.byThroughput.toFixed(2)} | ${r.byCpu.toFixed(2)} | ${r.target === 0 ? '–' : r.byThroughput >= r.target ? 'yes' : 'no'} |`),
  ].join('\n');
}
