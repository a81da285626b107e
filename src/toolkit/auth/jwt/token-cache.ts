// Verified-token cache: the whole token string is the key, so a token altered by one byte
// misses and goes through full verification. Bounded; entries expire with the token.

export class VerifiedTokenCache<T> {
  readonly #entries = new Map<string, { value: T; expiresAt: number }>();
  readonly #max: number;

  constructor(max: number) {
    this.#max = max;
  }

  get(token: string, now: number): T | undefined {
    const entry = this.#entries.get(token);
    if (entry === undefined) return undefined;
    if (entry.expiresAt <= now) {
      this.#entries.delete(token);
      return undefined;
    }
    return entry.value;
  }

  set(token: string, value: T, expiresAt: number): void {
    if (this.#entries.size >= this.#max) {
      const oldest = this.#entries.keys().next();
      if (oldest.done !== true) this.#entries.delete(oldest.value);
    }
    this.#entries.set(token, { value, expiresAt });
  }
}
