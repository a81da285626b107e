// The counters of the rate limiter and the enumeration limit, kept in the shared store
// (Redis) while it answers and in this process's memory while it does not
// (RAMPART_RATE_LIMIT_FALLBACK=memory). Each instance then applies the limit on its own —
// N instances allow N times the limit — which keeps the service answering through a Redis
// outage; `onFallback` makes that loud. Only the limiters get this store: revocations, login
// lockouts and sessions use the shared store directly and fail closed (503).
import { classifyFault, type Fault } from '../faults/classify.ts';
import type { KeyValueStore } from '../stores/index.ts';

export interface FallbackEvents {
  /** Every call answered from memory. */
  onFallback(fault: Fault, error: unknown): void;
  /** The first call answered from memory since the shared store last answered: once per outage. */
  onDegraded(fault: Fault): void;
  /** The shared store answers again. */
  onRestored(): void;
}

export function createFallbackStore(shared: KeyValueStore, local: KeyValueStore, events: FallbackEvents): KeyValueStore {
  let degraded = false;
  async function either<T>(use: (store: KeyValueStore) => Promise<T>): Promise<T> {
    let result: T;
    try {
      result = await use(shared);
    } catch (error) {
      const fault = classifyFault(error);
      if (fault === undefined) throw error;
      events.onFallback(fault, error);
      if (!degraded) {
        degraded = true;
        events.onDegraded(fault);
      }
      return use(local);
    }
    if (degraded) {
      degraded = false;
      events.onRestored();
    }
    return result;
  }
  return {
    hit: (key, windowMs) => either((store) => store.hit(key, windowMs)),
    get: (key) => either((store) => store.get(key)),
    set: (key, value, ttlMs) => either((store) => store.set(key, value, ttlMs)),
    setIfAbsent: (key, value, ttlMs) => either((store) => store.setIfAbsent(key, value, ttlMs)),
    take: (key) => either((store) => store.take(key)),
    delete: (key) => either((store) => store.delete(key)),
    // The stores belong to whoever opened them.
    close: () => Promise.resolve(),
  };
}
