// TypeBox's type provider, with one change: a response schema of exactly `Type.Null()` (the
// usual `204: Type.Null()`) is sent with no payload, so `reply.code(204).send()` type-checks as
// Fastify's documentation writes it. At run time Fastify sends no body on 204 whatever is given.
import type { FastifyTypeProvider } from 'fastify';
import type { Static, TSchema } from 'typebox';

type EmptyIfNull<T> = [T] extends [null] ? undefined : T;

export interface RampartTypeProvider extends FastifyTypeProvider {
  validator: this['schema'] extends TSchema ? Static<this['schema']> : unknown;
  serializer: this['schema'] extends TSchema ? EmptyIfNull<Static<this['schema']>> : unknown;
}
