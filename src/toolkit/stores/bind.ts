// A hot query compiled once and run with new values: Kysely builds and compiles a query on
// every call, a few µs on each request that reads through it. The values must come in the
// order the compiled SQL binds them (the order the builder met them).
import type { CompiledQuery } from 'kysely';

export function bindParameters<R>(compiled: CompiledQuery<R>, parameters: readonly unknown[]): CompiledQuery<R> {
  if (parameters.length !== compiled.parameters.length) throw new TypeError(`the query binds ${compiled.parameters.length} values, not ${parameters.length}`);
  return { ...compiled, parameters };
}
