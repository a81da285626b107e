// Option and argument checks shared by every store: invalid values throw at once with a code,
// never fall back to a default silently.
import { StoreError } from './errors.ts';

/** Durations, sizes and counts: a positive safe integer, or ERR_STORE_INVALID_ARGUMENT. */
export function assertPositiveInteger(value: number, name: string): void {
  if (!Number.isSafeInteger(value) || value <= 0) {
    throw new StoreError('ERR_STORE_INVALID_ARGUMENT', `${name} must be a positive integer`);
  }
}
