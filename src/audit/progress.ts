// A one-line progress bar on a terminal (stderr); nothing at all otherwise.

export interface Writer {
  write(chunk: string): unknown;
  isTTY?: boolean;
  columns?: number;
}

const WIDTH = 24;
const EVERY_MS = 100;

export class Progress {
  readonly #stream: Writer;
  readonly #max: number;
  readonly #active: boolean;
  #last = 0;
  #phase = '';
  #sent = 0;
  #drawn = false;

  constructor(stream: Writer, max: number) {
    this.#stream = stream;
    this.#max = max;
    this.#active = stream.isTTY === true;
  }

  phase(name: string): void {
    this.#phase = name;
    this.#draw(true);
  }

  update(sent: number): void {
    this.#sent = sent;
    this.#draw(false);
  }

  done(): void {
    if (this.#active && this.#drawn) this.#stream.write('\r\x1b[2K');
  }

  #draw(force: boolean): void {
    if (!this.#active) return;
    const now = Date.now();
    if (!force && now - this.#last < EVERY_MS) return;
    this.#last = now;
    const filled = Math.min(WIDTH, Math.round((this.#sent / this.#max) * WIDTH));
    const line = `[${'#'.repeat(filled)}${'-'.repeat(WIDTH - filled)}] ${this.#sent}/${this.#max} requests  ${this.#phase}`;
    const columns = this.#stream.columns ?? 80;
    this.#stream.write(`\r\x1b[2K${line.slice(0, Math.max(10, columns - 1))}`);
    this.#drawn = true;
  }
}
