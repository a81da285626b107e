// What every Node row shares: the resource it serves, the settings the harness passes in,
// and the probe that reports event-loop delay and memory to the harness.
//
// The probe answers SIGUSR2 with one line on stderr (`@@bench {...}`) and then resets its
// histogram, so the harness signals once before a measured run and once after it. Signals
// are handled between events on the loop and never touch the measured route or its sockets.
import { monitorEventLoopDelay } from 'node:perf_hooks';
import type { AddressInfo } from 'node:net';

export const ORDER_ID = 'ord_1001';
export const ORDER_PATH = `/v1/orders/${ORDER_ID}`;
/** The one CORS origin every row allows (requests carry no Origin, as server-to-server calls). */
export const ALLOWED_ORIGIN = 'https://app.example.com';
/** Claims the bearer-protected rows require; bench/tokens.ts issues tokens with them. */
export const TOKEN_ISSUER = 'https://auth.bench.example';
export const TOKEN_AUDIENCE = 'orders-api';
export const REQUIRED_ROLE = 'customer';

export interface Order {
  id: string;
  customerId: string;
  status: string;
  currency: string;
  totalCents: number;
  items: number;
  createdAt: string;
}

/** The small JSON resource every row serves, field for field the same (see bench/peers/fastapi_app.py). */
export function order(id: string): Order {
  return { id, customerId: 'cus_4242', status: 'paid', currency: 'EUR', totalCents: 12999, items: 3, createdAt: '2025-01-15T10:30:00Z' };
}

/** JSON Schema of Order, properties in serialization order, nothing else allowed. */
export const ORDER_JSON_SCHEMA = {
  type: 'object',
  additionalProperties: false,
  required: ['id', 'customerId', 'status', 'currency', 'totalCents', 'items', 'createdAt'],
  properties: {
    id: { type: 'string' },
    customerId: { type: 'string' },
    status: { type: 'string' },
    currency: { type: 'string' },
    totalCents: { type: 'integer' },
    items: { type: 'integer' },
    createdAt: { type: 'string' },
  },
} as const;

export function env(name: string): string {
  const value = process.env[name];
  if (value === undefined || value === '') throw new Error(`bench server: ${name} is not set (run through npm run bench)`);
  return value;
}

const RESOLUTION_MS = 10;
const MARK = '@@bench ';

export interface ProbeReport {
  /** Event-loop delay beyond the sampling interval, in milliseconds. */
  eldP50Ms: number;
  eldP99Ms: number;
  eldMaxMs: number;
  rssBytes: number;
  heapUsedBytes: number;
  /** CPU time (user + system) this process has used since it started, in microseconds. */
  cpuUs: number;
}

/** Installs the SIGUSR2 probe and tells the harness the port: call once the server listens. */
export function ready(address: AddressInfo | string | null): void {
  const port = typeof address === 'object' && address !== null ? address.port : Number.NaN;
  // monitorEventLoopDelay records whole timer intervals (≈ the resolution when idle);
  // the delay is what exceeds the resolution.
  const histogram = monitorEventLoopDelay({ resolution: RESOLUTION_MS });
  histogram.enable();
  const beyond = (ns: number): number => Math.max(0, ns / 1e6 - RESOLUTION_MS);
  process.on('SIGUSR2', () => {
    const gc = (globalThis as { gc?: () => void }).gc;
    gc?.();
    const memory = process.memoryUsage();
    const cpu = process.cpuUsage();
    const report: ProbeReport = {
      eldP50Ms: beyond(histogram.percentile(50)),
      eldP99Ms: beyond(histogram.percentile(99)),
      eldMaxMs: beyond(histogram.max),
      rssBytes: memory.rss,
      heapUsedBytes: memory.heapUsed,
      cpuUs: cpu.user + cpu.system,
    };
    histogram.reset();
    process.stderr.write(`${MARK}${JSON.stringify({ probe: report })}\n`);
  });
  // Exit normally on the harness's SIGTERM, so that `node --cpu-prof` writes its profile.
  process.once('SIGTERM', () => process.exit(0));
  process.stderr.write(`${MARK}${JSON.stringify({ port })}\n`);
}
