// Fastify gives every request a pino child logger bound to its request id. Creating it cost
// more than any security layer (a few µs of a ~20 µs request, bench/), and most requests
// never log through it: the summary line is written directly. This child is made on first
// use; a class, so each request allocates one small object and no closures.
import type { FastifyBaseLogger } from 'fastify';
import type { Bindings, ChildLoggerOptions } from 'pino';

type Args = [obj: unknown, msg?: string, ...rest: unknown[]];

class LazyChildLogger {
  readonly #parent: FastifyBaseLogger;
  readonly #bindings: Bindings;
  readonly #options: ChildLoggerOptions;
  #child: FastifyBaseLogger | undefined;

  constructor(parent: FastifyBaseLogger, bindings: Bindings, options: ChildLoggerOptions) {
    this.#parent = parent;
    this.#bindings = bindings;
    this.#options = options;
  }

  #real(): FastifyBaseLogger {
    return (this.#child ??= this.#parent.child(this.#bindings, this.#options));
  }

  get level(): string {
    return this.#child?.level ?? this.#parent.level;
  }

  set level(value: string) {
    this.#real().level = value;
  }

  fatal(...args: Args): void {
    this.#real().fatal(...(args as [unknown]));
  }
  error(...args: Args): void {
    this.#real().error(...(args as [unknown]));
  }
  warn(...args: Args): void {
    this.#real().warn(...(args as [unknown]));
  }
  info(...args: Args): void {
    this.#real().info(...(args as [unknown]));
  }
  debug(...args: Args): void {
    this.#real().debug(...(args as [unknown]));
  }
  trace(...args: Args): void {
    this.#real().trace(...(args as [unknown]));
  }
  silent(): void {
    // Nothing is logged at level silent.
  }
  child(bindings: Bindings, options?: ChildLoggerOptions): FastifyBaseLogger {
    return this.#real().child(bindings, options);
  }
}

/** Fastify's `childLoggerFactory`: the request's child logger, made on first use. */
export function lazyChildLogger(parent: FastifyBaseLogger, bindings: Bindings, options: ChildLoggerOptions): FastifyBaseLogger {
  return new LazyChildLogger(parent, bindings, options);
}
