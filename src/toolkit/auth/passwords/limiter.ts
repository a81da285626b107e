// A counting semaphore with a bounded FIFO queue. Argon2 already runs on the libuv thread
// pool, but that pool (4 threads) is shared with fs, dns and zlib: a login burst could fill it
// and stall the rest of the server. Capping hashes in flight keeps a core free, and capping
// the queue turns overload into an immediate, retryable refusal instead of unbounded memory
// and latency.

export interface Limiter {
  /** Runs `task` when a slot is free; rejects with `busy()` at once when the queue is full. */
  run<T>(task: () => Promise<T>): Promise<T>;
  readonly active: number;
  readonly waiting: number;
}

export function createLimiter(maxActive: number, maxWaiting: number, busy: () => Error): Limiter {
  let active = 0;
  const waiting: (() => void)[] = [];

  function release(): void {
    const next = waiting.shift();
    // Hand the slot straight to the next waiter, so `active` never dips and lets a newcomer jump the queue.
    if (next === undefined) active--;
    else next();
  }

  return {
    async run<T>(task: () => Promise<T>): Promise<T> {
      if (active < maxActive) active++;
      else if (waiting.length >= maxWaiting) throw busy();
      else await new Promise<void>((resolve) => waiting.push(resolve));
      try {
        return await task();
      } finally {
        release();
      }
    },
    get active() {
      return active;
    },
    get waiting() {
      return waiting.length;
    },
  };
}
