// The request budget shared out per check (issue 19 item 8): what is left after the survey is
// split evenly among the checks that run, so one check that could use it all (bursts, forged
// tokens on every route) cannot starve the others. A check that finishes hands what it did not
// use to a common pool the others may draw from. Where a share ran out is reported.

export class CheckBudget {
  readonly #allowance = new Map<string, number>();
  readonly #share = new Map<string, number>();
  readonly #refused = new Map<string, number>();
  #pool = 0;

  /** Splits `total` requests among `checks`. */
  constructor(total: number, checks: readonly string[]) {
    const each = checks.length === 0 ? 0 : Math.floor(total / checks.length);
    for (const id of checks) {
      this.#allowance.set(id, each);
      this.#share.set(id, each);
    }
    this.#pool = total - each * checks.length;
  }

  /** Takes one request for a check: from its share, else from what finished checks left; false when both are spent. */
  take(id: string): boolean {
    const left = this.#allowance.get(id);
    if (left === undefined) return true; // not a check (survey, logins, clean-up)
    if (left > 0) {
      this.#allowance.set(id, left - 1);
      return true;
    }
    if (this.#pool > 0) {
      this.#pool--;
      return true;
    }
    this.#refused.set(id, (this.#refused.get(id) ?? 0) + 1);
    return false;
  }

  /** Requests the check may still send. */
  remaining(id: string): number {
    return (this.#allowance.get(id) ?? 0) + this.#pool;
  }

  /** The check is done: what it did not use goes to the others. */
  release(id: string): void {
    this.#pool += this.#allowance.get(id) ?? 0;
    this.#allowance.set(id, 0);
  }

  /** Where the budget ran out: `check: N probes not sent`. */
  ranOut(id: string): string | undefined {
    const refused = this.#refused.get(id);
    if (refused === undefined) return undefined;
    return `its share of the request budget (${this.#share.get(id) ?? 0} requests, and what other checks left) ran out: ${refused} probe${refused === 1 ? ' was' : 's were'} not sent (raise --max-requests)`;
  }
}
