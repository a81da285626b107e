// Where the service's CPU goes, layer by layer, from a `node --cpu-prof` profile of
// `rampart serve` taken during the service bench (npm run bench:service -- --only orders
// --servers service --cpu-prof <dir>). Only the samples inside the measured runs count (their
// monotonic start and end are in the results file; V8's profile clock is the same
// CLOCK_MONOTONIC). Each busy sample goes to one layer, so the shares add up to 100%: the
// innermost of the layers that own what they call (authentication, ownership, rate limit,
// metrics, logging: the user-state query the authenticator runs is authentication's cost)
// when one is on the stack, else the innermost frame that belongs to any layer. µs/request = share × the busy CPU time of the window ÷ the requests answered in it.
//
// Usage: node bench/service/layers.ts <profile.cpuprofile> <results.json> [route] [server] [--save]
// --save writes bench/results/layers-<route>-<server>.json (committed; docs/performance.md shows them).
import { readFileSync, writeFileSync } from 'node:fs';
import { basename, dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

interface CallFrame {
  functionName: string;
  url: string;
}
interface CpuProfile {
  nodes: { id: number; callFrame: CallFrame; children?: number[] }[];
  startTime: number;
  samples: number[];
  timeDeltas: number[];
}

/** Layers in the order a frame is tested against them; the first rule that matches names it. */
export const LAYERS: readonly { layer: string; owns?: true; match: (frame: CallFrame) => boolean }[] = [
  { layer: 'request id', match: (f) => f.url.includes('/logging/request-id.ts') },
  { layer: 'logging (one line per request)', owns: true, match: (f) => /\/toolkit\/logging\/|\/node_modules\/(pino|sonic-boom|thread-stream)\//.test(f.url) },
  { layer: 'security and CORS headers', match: (f) => /\/toolkit\/(headers|cors)\//.test(f.url) },
  { layer: 'rate limit', owns: true, match: (f) => /\/toolkit\/limits\/(rate-limit|fallback-store)\.ts|\/toolkit\/stores\/(memory-store|redis-store|kv)\.ts|\/node_modules\/ioredis\//.test(f.url) },
  { layer: 'edge (client address, Host allowlist, limits, load shedding)', match: (f) => /\/toolkit\/server\/(edge|hosts|proxy|drain|node-server)\.ts|\/toolkit\/limits\//.test(f.url) },
  { layer: 'ownership', owns: true, match: (f) => f.url.includes('/policy/ownership.ts') },
  { layer: 'authentication (token cache, revocation, user state)', owns: true, match: (f) => /\/toolkit\/auth\/|\/app\/identity\.ts|\/node_modules\/jose\//.test(f.url) },
  { layer: 'policy (scopes, principal, no-store)', match: (f) => /\/toolkit\/policy\//.test(f.url) },
  { layer: 'metrics', owns: true, match: (f) => /\/toolkit\/metrics\/|\/node_modules\/prom-client\//.test(f.url) },
  { layer: 'query (Kysely, node:sqlite)', match: (f) => /\/node_modules\/kysely\/|\/toolkit\/stores\/sqlite|\/app\/catalog\/|\/app\/money\//.test(f.url) },
  { layer: 'validation (querystring, params)', match: (f) => /\/node_modules\/ajv|\/toolkit\/validation\/|\/server\/schema-compilers\.ts/.test(f.url) },
  { layer: 'serialisation (response schema, JSON)', match: (f) => /\/node_modules\/(fast-json-stringify|@fastify\/fast-json-stringify-compiler)\//.test(f.url) || (f.url.includes('/fastify/lib/') && /serialize/i.test(f.functionName)) },
  { layer: 'route handler', match: (f) => /\/app\/routes\//.test(f.url) },
  { layer: 'errors', match: (f) => /\/toolkit\/errors\//.test(f.url) },
  { layer: 'Fastify (routing, hooks, reply)', match: (f) => /\/node_modules\/(fastify|find-my-way|avvio|@fastify\/)/.test(f.url) },
  { layer: 'node:http and sockets', match: (f) => /^node:(_http|net|stream|internal\/(streams|http|net|stream_base))/.test(f.url) || f.url.startsWith('node:internal/js_stream') },
  { layer: 'garbage collection', match: (f) => f.functionName === '(garbage collector)' },
];
const OTHER = 'other (event loop, promises, native)';

export interface LayerCost {
  layer: string;
  share: number;
  usPerRequest: number;
}

export function layerCosts(profile: CpuProfile, windows: readonly { fromUs: number; toUs: number }[], requests: number): { busyUs: number; layers: LayerCost[] } {
  const byId = new Map(profile.nodes.map((n) => [n.id, n.callFrame]));
  const parent = new Map<number, number>();
  for (const node of profile.nodes) for (const child of node.children ?? []) parent.set(child, node.id);
  const memo = new Map<number, { innermost: string | null; owner: string | null }>();
  const walk = (id: number): { innermost: string | null; owner: string | null } => {
    const known = memo.get(id);
    if (known !== undefined) return known;
    const rule = LAYERS.find((l) => l.match(byId.get(id)!));
    const up = parent.get(id);
    const above = up === undefined ? { innermost: null, owner: null } : walk(up);
    const result = { innermost: rule?.layer ?? above.innermost, owner: rule?.owns === true ? rule.layer : above.owner };
    memo.set(id, result);
    return result;
  };
  const layerOf = (id: number): string | null => {
    const { innermost, owner } = walk(id);
    return owner ?? innermost;
  };
  const totals = new Map<string, number>();
  let busyUs = 0;
  let at = profile.startTime;
  for (let i = 0; i < profile.samples.length; i++) {
    const delta = profile.timeDeltas[i] ?? 0;
    at += delta;
    if (!windows.some((w) => at >= w.fromUs && at <= w.toUs)) continue;
    const id = profile.samples[i]!;
    const frame = byId.get(id)!;
    if (frame.functionName === '(idle)') continue;
    busyUs += delta;
    const layer = layerOf(id) ?? OTHER;
    totals.set(layer, (totals.get(layer) ?? 0) + delta);
  }
  const layers = [...totals]
    .sort((a, b) => b[1] - a[1])
    .map(([layer, us]) => ({ layer, share: us / busyUs, usPerRequest: us / Math.max(1, requests) }));
  return { busyUs, layers };
}

export function formatLayers(layers: readonly LayerCost[]): string {
  return [
    '| layer | share of the request\'s CPU | µs per request |',
    '|---|---:|---:|',
    ...layers.map((l) => `| ${l.layer} | ${(l.share * 100).toFixed(1)}% | ${l.usPerRequest.toFixed(1)} |`),
  ].join('\n');
}

if (import.meta.main) {
  const args = process.argv.slice(2).filter((a) => a !== '--save');
  const [profileFile, resultsFile, route = 'orders', server = 'service'] = args;
  if (profileFile === undefined || resultsFile === undefined) throw new Error('usage: node bench/service/layers.ts <profile.cpuprofile> <results.json> [route]');
  const profile = JSON.parse(readFileSync(profileFile, 'utf8')) as CpuProfile;
  const results = JSON.parse(readFileSync(resultsFile, 'utf8')) as { cells: { route: string; server: string; runs: { requests: number; load1: number; monoStartUs?: number; monoEndUs?: number }[] }[] };
  const cell = results.cells.find((c) => c.route === route && c.server === server);
  if (cell === undefined) throw new Error(`no ${route} cell of ${server} in ${resultsFile}`);
  const windows = cell.runs.map((r) => ({ fromUs: r.monoStartUs!, toUs: r.monoEndUs! }));
  const requests = cell.runs.reduce((sum, r) => sum + r.requests, 0);
  const { busyUs, layers } = layerCosts(profile, windows, requests);
  console.log(`${requests.toLocaleString('en-US')} requests, ${(busyUs / 1000).toFixed(0)} ms of profiled CPU: ${(busyUs / requests).toFixed(1)} µs per request (the profiler adds its own share)\n`);
  const table = formatLayers(layers);
  console.log(table);
  if (process.argv.includes('--save')) {
    const out = join(dirname(fileURLToPath(import.meta.url)), `../results/layers-${route}-${server}.json`);
    const run = JSON.parse(readFileSync(resultsFile, 'utf8')) as { date: string; machine: unknown };
    writeFileSync(out, `${JSON.stringify({ date: run.date, machine: run.machine, results: basename(resultsFile), route, server, requests, load1: cell.runs.map((r) => r.load1), profiledUsPerRequest: busyUs / requests, layers, table }, null, 2)}\n`);
    console.log(`Wrote ${out}`);
  }
}
