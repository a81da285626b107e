// Load shedding: while the event loop lags more than the limit, new requests get 503 with
// Retry-After instead of queueing behind work the server cannot finish in time. Our own
// small monitor rather than @fastify/under-pressure because the lag of boot-time work (key
// loading, dictionary warm-up) must not count: the histogram is reset when the server is
// ready, so a slow start is never answered with 503s.
import { monitorEventLoopDelay } from 'node:perf_hooks';

const RESOLUTION_MS = 10;

export interface LoadShedder {
  overloaded(): boolean;
  /** Forget what was measured so far (called when the server becomes ready). */
  reset(): void;
  close(): void;
}

export function createLoadShedder(maxDelayMs: number, sampleIntervalMs: number): LoadShedder {
  const histogram = monitorEventLoopDelay({ resolution: RESOLUTION_MS });
  histogram.enable();
  let delayMs = 0;
  let resetAt = performance.now();
  const timer = setInterval(() => {
    // The worst stall in the last interval: a loop that stalled past the limit is saturated,
    // and requests that arrive now would wait behind the same work. No sample at all means
    // the loop was stalled the whole interval — unless the histogram was only just reset.
    const worst = histogram.max / 1e6 - RESOLUTION_MS;
    const justReset = performance.now() - resetAt < sampleIntervalMs / 2;
    delayMs = histogram.count === 0 ? (justReset ? 0 : sampleIntervalMs) : Math.max(0, worst);
    histogram.reset();
    resetAt = performance.now();
  }, sampleIntervalMs);
  timer.unref();
  return {
    overloaded: () => delayMs > maxDelayMs,
    reset() {
      histogram.reset();
      resetAt = performance.now();
      delayMs = 0;
    },
    close() {
      clearInterval(timer);
      histogram.disable();
    },
  };
}
