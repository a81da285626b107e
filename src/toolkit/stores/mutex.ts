// A FIFO lock with a deadline. SQLite has one connection; this lock is what gives a
// transaction that connection alone. The deadline turns a self-deadlock (code inside a
// transaction querying through `db` instead of `trx`) into an error instead of a hang.
import { StoreError } from './errors.ts';

export class Mutex {
  #locked = false;
  readonly #waiters: (() => void)[] = [];

  lock(timeoutMs: number): Promise<void> {
    if (!this.#locked) {
      this.#locked = true;
      return Promise.resolve();
    }
    return new Promise((resolve, reject) => {
      const grant = (): void => {
        clearTimeout(timer);
        resolve();
      };
      const timer = setTimeout(() => {
        const at = this.#waiters.indexOf(grant);
        if (at !== -1) this.#waiters.splice(at, 1);
        reject(new StoreError('ERR_STORE_BUSY', `database connection stayed busy for ${timeoutMs} ms`, { dependency: 'database' }));
      }, timeoutMs);
      this.#waiters.push(grant);
    });
  }

  /** Hands the lock straight to the next waiter, so no newcomer can jump the queue. */
  unlock(): void {
    const next = this.#waiters.shift();
    if (next === undefined) this.#locked = false;
    else next();
  }
}
