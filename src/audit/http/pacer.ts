// Spaces requests at a fixed rate, measured from the last request actually let through (so a
// stalled event loop never releases a burst), and lets a throttled answer pause everyone: a 429
// is about this client, not about one request.

function sleep(ms: number): Promise<void> {
  return ms <= 0 ? Promise.resolve() : new Promise((resolve) => setTimeout(resolve, ms));
}

export class Pacer {
  readonly #intervalMs: number;
  #last = -Infinity;
  #pausedUntil = 0;
  #queue: Promise<void> = Promise.resolve();

  constructor(ratePerSecond: number) {
    if (!(ratePerSecond > 0)) throw new RangeError('rate must be a positive number of requests per second');
    this.#intervalMs = 1000 / ratePerSecond;
  }

  /** Resolves when the caller may send its next request; callers go one at a time, in order. */
  acquire(): Promise<void> {
    const turn = this.#queue.then(async () => {
      for (;;) {
        const wait = Math.max(this.#last + this.#intervalMs, this.#pausedUntil) - performance.timeOrigin - performance.now();
        if (wait <= 0) break;
        await sleep(Math.ceil(wait));
      }
      this.#last = performance.timeOrigin + performance.now();
    });
    this.#queue = turn;
    return turn;
  }

  /** Nobody sends before `until` (epoch ms). */
  pauseUntil(until: number): void {
    this.#pausedUntil = Math.max(this.#pausedUntil, until);
  }
}

/** At most `limit` holders at once. */
export class Semaphore {
  readonly #limit: number;
  #active = 0;
  readonly #waiting: (() => void)[] = [];

  constructor(limit: number) {
    this.#limit = limit;
  }

  async acquire(): Promise<void> {
    if (this.#active < this.#limit) {
      this.#active++;
      return;
    }
    await new Promise<void>((resolve) => this.#waiting.push(resolve));
  }

  release(): void {
    const next = this.#waiting.shift();
    if (next) next();
    else this.#active--;
  }
}

export { sleep };
