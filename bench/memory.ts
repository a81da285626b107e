// Memory under attack: a Rampart server with the default rate limit (100 per 60 s, at most
// 100,000 client counters) receives requests from many distinct client addresses, sent in
// X-Forwarded-For from loopback, which the server trusts as a proxy — what address spraying
// through a load balancer looks like. RSS and heap (after a full GC) are read before, halfway
// and after; the halves hit the same addresses, so a bounded server stops growing after the
// first. A last phase sprays fresh addresses past the counter bound, forcing evictions.
import { join } from 'node:path';
import { startServer, type ProbeReport } from './server-process.ts';
import { ORDER_PATH } from './servers/common.ts';
import { non2xx, runWrk, type WrkResult } from './wrk.ts';

export interface MemoryOptions {
  root: string;
  nodePath: string;
  requests: number;
  addresses: number;
  /** Requests from fresh addresses after the main attack (0 skips the phase). */
  beyondRequests: number;
  connections: number;
}

export interface MemorySample {
  phase: string;
  requests: number;
  rssBytes: number;
  heapUsedBytes: number;
}

export interface MemoryPhase {
  phase: string;
  requests: number;
  distinctAddresses: number;
  requestsPerSecond: number;
  non2xx: number;
  eventLoopP99Ms: number;
}

export interface MemoryResult {
  requests: number;
  addresses: number;
  samples: MemorySample[];
  phases: MemoryPhase[];
  /** Growth in the second half, when every address was already counted. */
  secondHalfRssGrowthBytes: number;
  secondHalfHeapGrowthBytes: number;
  bounded: boolean;
}

const MB = 1024 * 1024;
/** Heap growth tolerated in the second half: JIT code, pools and the like, not per-client data. */
const BOUND_SLACK_BYTES = 8 * MB;

export async function memoryUnderAttack(options: MemoryOptions): Promise<MemoryResult> {
  const server = await startServer({
    name: 'rampart-public (memory)',
    command: options.nodePath,
    args: ['--expose-gc', join(options.root, 'bench/servers/rampart-public.ts')],
    env: {},
    cwd: options.root,
  });
  try {
    const url = `http://127.0.0.1:${server.port}${ORDER_PATH}`;
    const script = join(options.root, 'bench/lua/xff.lua');
    const samples: MemorySample[] = [];
    const phases: MemoryPhase[] = [];
    let sent = 0;
    const sample = (phase: string, probe: ProbeReport): void => {
      samples.push({ phase, requests: sent, rssBytes: probe.rssBytes, heapUsedBytes: probe.heapUsedBytes });
    };
    const attack = async (phase: string, requests: number, addresses: number, firstOctet: number): Promise<ProbeReport> => {
      await server.probe();
      const result: WrkResult = await runWrk({
        url,
        seconds: 600,
        connections: options.connections,
        threads: 1,
        script,
        scriptArgs: [String(addresses), String(requests), String(firstOctet)],
        stopOn: (mark) => mark.startsWith('@@stop '),
      });
      const probe = await server.probe();
      sent += result.requests;
      phases.push({ phase, requests: result.requests, distinctAddresses: Math.min(addresses, result.requests), requestsPerSecond: result.requestsPerSecond, non2xx: non2xx(result), eventLoopP99Ms: probe.eldP99Ms });
      return probe;
    };

    sample('started', await server.probe());
    // Warm-up from 200 other addresses, 50 requests each (under the limit of 100).
    const warm = await attack('warm-up', 10_000, 200, 192);
    sent = 0;
    sample('warm-up (10,000 requests, 200 addresses)', warm);
    const half = Math.floor(options.requests / 2);
    const mid = await attack('first half', half, options.addresses, 10);
    sample('first half', mid);
    const end = await attack('second half', options.requests - half, options.addresses, 10);
    sample('second half', end);
    if (options.beyondRequests > 0) {
      sample('fresh addresses', await attack('fresh addresses', options.beyondRequests, Math.min(options.beyondRequests, options.addresses), 11));
    }
    const secondHalfRssGrowthBytes = end.rssBytes - mid.rssBytes;
    const secondHalfHeapGrowthBytes = end.heapUsedBytes - mid.heapUsedBytes;
    const last = samples[samples.length - 1]!;
    const bounded = secondHalfHeapGrowthBytes < BOUND_SLACK_BYTES && last.heapUsedBytes - mid.heapUsedBytes < BOUND_SLACK_BYTES;
    return { requests: options.requests, addresses: options.addresses, samples, phases, secondHalfRssGrowthBytes, secondHalfHeapGrowthBytes, bounded };
  } finally {
    await server.stop();
  }
}

export function formatMemory(result: MemoryResult): string {
  const mb = (bytes: number): string => (bytes / MB).toFixed(1);
  const lines = [
    `Memory under attack: ${result.requests.toLocaleString('en-US')} requests from ${result.addresses.toLocaleString('en-US')} distinct client addresses (X-Forwarded-For from trusted loopback), default rate limit`,
    '',
    '| after | requests | RSS MB | heap used MB (after GC) |',
    '|---|---:|---:|---:|',
    ...result.samples.map((s) => `| ${s.phase} | ${s.requests.toLocaleString('en-US')} | ${mb(s.rssBytes)} | ${mb(s.heapUsedBytes)} |`),
    '',
    '| phase | requests | distinct addresses | req/s | non-2xx | loop p99 ms |',
    '|---|---:|---:|---:|---:|---:|',
    ...result.phases.map((p) => `| ${p.phase} | ${p.requests.toLocaleString('en-US')} | ${p.distinctAddresses.toLocaleString('en-US')} | ${Math.round(p.requestsPerSecond).toLocaleString('en-US')} | ${p.non2xx.toLocaleString('en-US')} | ${p.eventLoopP99Ms.toFixed(1)} |`),
    '',
    `Second half (every address already counted): RSS ${signed(result.secondHalfRssGrowthBytes / MB)} MB, heap ${signed(result.secondHalfHeapGrowthBytes / MB)} MB → ${result.bounded ? 'bounded' : 'NOT bounded'}`,
  ];
  return lines.join('\n');
}

function signed(value: number): string {
  return `${value >= 0 ? '+' : ''}${value.toFixed(1)}`;
}
