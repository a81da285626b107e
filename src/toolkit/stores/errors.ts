// One error class for the storage layer. Callers branch on `code`, never on message text,
// and no message ever carries a credential, a key's value or a raw connection URL.

export type StoreErrorCode =
  | 'ERR_STORE_INVALID_ARGUMENT' // a caller passed a value the contract forbids
  | 'ERR_STORE_NOT_A_COUNTER' // hit() on a key holding a non-numeric value
  | 'ERR_STORE_UNAVAILABLE' // the backing service did not answer (Redis down, timeout)
  | 'ERR_STORE_BUSY' // the SQLite connection stayed locked longer than lockTimeoutMs
  | 'ERR_STORE_CLOSED' // used after close()
  | 'ERR_STORE_UNSUPPORTED_URL' // a database/redis URL with a scheme we do not speak
  | 'ERR_STORE_MIGRATION_FAILED'; // a migration threw; the message names it

export class StoreError extends Error {
  readonly code: StoreErrorCode;
  /** Which dependency failed (`redis`, `database`), for the 503 mapping and its outage log. */
  readonly dependency: string | undefined;

  constructor(code: StoreErrorCode, message: string, options?: { cause?: unknown; dependency?: string }) {
    super(message, options);
    this.name = 'StoreError';
    this.code = code;
    this.dependency = options?.dependency;
  }
}
