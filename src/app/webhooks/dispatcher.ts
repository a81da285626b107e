// Delivers queued webhook events. Each round claims due rows with one conditional UPDATE
// (status 'pending', due now) that also pushes them a lease into the future, so two
// processes never send the same row at once and a process that dies mid-attempt only delays
// it. Every attempt goes through the SSRF-safe client (no redirects, deadline, size cap) and
// is signed afresh; failures back off exponentially with jitter until `maxAttempts`, then the
// row is `failed`. Completion is conditional on the lease, so a stale attempt cannot
// overwrite a newer one. Delivery is at least once: receivers dedupe on Rampart-Delivery-Id.
import { randomUUID } from 'node:crypto';
import type { Kysely } from 'kysely';
import { createOutboundClient, OutboundError, OutboundRefused, signWebhook, type Connector, type FastifyBaseLoggerLike, type FieldCipher, type Resolver } from '../../toolkit/index.ts';
import { SECRET_FIELD } from './store.ts';
import { WEBHOOK_PORTS } from './target.ts';
import type { WebhookTables } from './tables.ts';

export interface DispatcherOptions {
  /** Time between polls when the queue is idle (default 1000 ms). */
  pollIntervalMs: number;
  /** Rows claimed per round (default 10). */
  batchSize: number;
  /** Deadline of one delivery attempt (default 10 000 ms). */
  timeoutMs: number;
  /** First retry delay; doubles per attempt (default 10 000 ms). Tests make it small. */
  backoffBaseMs: number;
  /** Longest retry delay (default 1 hour). */
  backoffMaxMs: number;
  /** Attempts before a delivery is marked `failed` (default 8). */
  maxAttempts: number;
  /** Plain-HTTP loopback targets (the loudly named development setting). */
  allowInsecureLoopback: boolean;
  /** Injection points for tests: name resolution and socket opening. */
  resolver?: Resolver;
  connector?: Connector;
  now?: () => number;
}

export const DEFAULT_DISPATCHER: Omit<DispatcherOptions, 'allowInsecureLoopback'> = {
  pollIntervalMs: 1000,
  batchSize: 10,
  timeoutMs: 10_000,
  backoffBaseMs: 10_000,
  backoffMaxMs: 3_600_000,
  maxAttempts: 8,
};

const MAX_RESPONSE_BYTES = 64 * 1024;
const EXCERPT_CHARS = 200;

export interface Dispatcher {
  /** One claim-and-deliver round; the number of rows it handled. */
  runOnce(): Promise<number>;
  start(): void;
  /** Stops polling and waits for the attempts in flight. */
  stop(): Promise<void>;
}

/** Exponential back-off with "equal jitter": half fixed, half random, so retries spread out. */
export function backoffDelay(attempts: number, baseMs: number, maxMs: number, random: () => number = Math.random): number {
  const ceiling = Math.min(maxMs, baseMs * 2 ** Math.max(0, attempts - 1));
  return Math.round(ceiling / 2 + random() * (ceiling / 2));
}

/** Printable ASCII only, shortened: a receiver's response is shown to the owner, never interpreted. */
export function excerpt(body: Buffer): string {
  return body.subarray(0, EXCERPT_CHARS * 4).toString('utf8').replace(/[^\x20-\x7e]/g, '?').slice(0, EXCERPT_CHARS);
}

export function createDispatcher(db: Kysely<WebhookTables>, cipher: FieldCipher, options: DispatcherOptions, log: FastifyBaseLoggerLike): Dispatcher {
  const now = options.now ?? Date.now;
  const leaseMs = options.timeoutMs + 30_000;
  const client = createOutboundClient({
    allowLoopbackHttp: options.allowInsecureLoopback,
    // Also at delivery: a target stored before the port rule (or written to the table by hand) is refused here.
    allowedPorts: WEBHOOK_PORTS,
    timeoutMs: options.timeoutMs,
    maxResponseBytes: MAX_RESPONSE_BYTES,
    maxRedirects: 0,
    ...(options.resolver && { resolver: options.resolver }),
    ...(options.connector && { connector: options.connector }),
  });
  let timer: NodeJS.Timeout | undefined;
  let running: Promise<unknown> | undefined;
  let stopped = false;

  async function claim(): Promise<WebhookTables['webhook_deliveries'][]> {
    const t = now();
    const lease = randomUUID();
    const due = db.selectFrom('webhook_deliveries').select('id').where('status', '=', 'pending').where('next_attempt_at', '<=', t).orderBy('next_attempt_at').limit(options.batchSize);
    return db
      .updateTable('webhook_deliveries')
      .set((eb) => ({ next_attempt_at: t + leaseMs, lease_owner: lease, attempts: eb('attempts', '+', 1) }))
      .where('id', 'in', due)
      .where('status', '=', 'pending')
      .where('next_attempt_at', '<=', t)
      .returningAll()
      .execute();
  }

  async function attempt(row: WebhookTables['webhook_deliveries']): Promise<{ ok: boolean; status: number | null; error: string | null; excerpt: string | null }> {
    const hook = await db.selectFrom('webhooks').select(['id', 'url', 'secret']).where('id', '=', row.webhook_id).executeTakeFirst();
    if (hook === undefined) return { ok: false, status: null, error: 'webhook deleted', excerpt: null };
    const secret = await cipher.decrypt(hook.secret, { ...SECRET_FIELD, rowId: hook.id });
    const timestamp = Math.floor(now() / 1000);
    try {
      const response = await client.request(hook.url, {
        method: 'POST',
        body: row.payload,
        headers: {
          'content-type': 'application/json',
          'user-agent': 'Rampart-Webhooks/1',
          'rampart-signature': signWebhook(secret, row.payload, timestamp),
          'rampart-webhook-id': hook.id,
          'rampart-delivery-id': row.id,
          'rampart-event': row.event,
        },
      });
      const ok = response.status >= 200 && response.status < 300;
      return { ok, status: response.status, error: ok ? null : `HTTP ${response.status}`, excerpt: excerpt(response.body) };
    } catch (error) {
      if (error instanceof OutboundRefused) return { ok: false, status: null, error: `refused: ${error.reason}${error.range === undefined ? '' : ` (${error.range})`}`, excerpt: null };
      if (error instanceof OutboundError) return { ok: false, status: null, error: error.code, excerpt: null };
      throw error;
    }
  }

  async function deliver(row: WebhookTables['webhook_deliveries']): Promise<void> {
    let outcome;
    try {
      outcome = await attempt(row);
    } catch (error) {
      log.error({ err: error, deliveryId: row.id }, 'webhook delivery failed unexpectedly');
      outcome = { ok: false, status: null, error: 'internal error', excerpt: null };
    }
    const t = now();
    const mine = (q: ReturnType<typeof update>) => q.where('id', '=', row.id).where('lease_owner', '=', row.lease_owner);
    const update = () => db.updateTable('webhook_deliveries');
    if (outcome.ok) {
      await mine(update().set({ status: 'delivered', delivered_at: t, lease_owner: null, last_status: outcome.status, last_error: null, response_excerpt: outcome.excerpt })).execute();
      return;
    }
    const exhausted = row.attempts >= options.maxAttempts;
    await mine(
      update().set({
        status: exhausted ? 'failed' : 'pending',
        next_attempt_at: exhausted ? t : t + backoffDelay(row.attempts, options.backoffBaseMs, options.backoffMaxMs),
        lease_owner: null,
        last_status: outcome.status,
        last_error: outcome.error,
        response_excerpt: outcome.excerpt,
      }),
    ).execute();
  }

  async function runOnce(): Promise<number> {
    const rows = await claim();
    await Promise.all(rows.map(deliver));
    return rows.length;
  }

  function schedule(delayMs: number): void {
    if (stopped) return;
    timer = setTimeout(() => {
      running = runOnce().then(
        (count) => schedule(count === options.batchSize ? 0 : options.pollIntervalMs),
        (error: unknown) => {
          log.warn({ err: error }, 'webhook dispatcher round failed; retrying');
          schedule(options.pollIntervalMs);
        },
      );
    }, delayMs);
    timer.unref();
  }

  return {
    runOnce,
    start() {
      stopped = false;
      schedule(0);
    },
    async stop() {
      stopped = true;
      clearTimeout(timer);
      await running;
      await client.close();
    },
  };
}
