// Every answer the audit received, whichever check's probe it answered. A flaw often shows in an
// answer to a probe that was looking for something else (a debug page behind a BOLA read, a
// session cookie set by a login): passive checks read this log after the active checks are done.
import type { UsableResult } from './client.ts';

export interface Answer {
  result: UsableResult;
  /** Why the request was sent (`<check>: <purpose>`), as the client was told. */
  purpose: string | undefined;
}

/** Bodies kept in total; beyond it answers are counted, not kept (a page-size probe can be megabytes). */
const KEPT_BYTES = 48 * 1024 * 1024;
/** Longest body kept whole; a longer one is kept cut (signatures sit near the start of a page). */
const KEPT_PER_ANSWER = 256 * 1024;

export class AnswerLog {
  readonly #answers: Answer[] = [];
  #bytes = 0;
  /** Answers received but not kept, once KEPT_BYTES was reached. */
  dropped = 0;

  add(result: UsableResult, purpose: string | undefined): void {
    const size = Math.min(result.response.text.length, KEPT_PER_ANSWER);
    if (this.#bytes + size > KEPT_BYTES) {
      this.dropped++;
      return;
    }
    this.#bytes += size;
    const kept =
      result.response.text.length <= KEPT_PER_ANSWER
        ? result
        : { ...result, response: { ...result.response, body: Buffer.alloc(0), text: result.response.text.slice(0, KEPT_PER_ANSWER), truncated: true } };
    this.#answers.push({ result: kept, purpose });
  }

  get all(): readonly Answer[] {
    return this.#answers;
  }
}
