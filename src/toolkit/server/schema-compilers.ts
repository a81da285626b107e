// Validation that rejects, never repairs. Bodies: no type coercion and no stripping of
// unknown properties (Fastify's default `removeAdditional` is off), so `{"qty":"5"}` or an
// extra field is a 400. Query strings, path parameters and headers arrive as text, so they
// may be coerced to the declared number/boolean types.
import { Ajv, type Options } from 'ajv';
import addFormatsModule from 'ajv-formats';
import type { FastifySchemaCompiler } from 'fastify';

const addFormats = addFormatsModule as unknown as (ajv: Ajv) => Ajv;

const COMMON: Options = {
  removeAdditional: false,
  useDefaults: true,
  allErrors: true,
  allowUnionTypes: true,
  // TypeBox adds non-standard keywords only as symbols; anything else unknown is a mistake.
  strict: true,
  strictRequired: false,
  ownProperties: true,
};

export function createValidatorCompiler(): FastifySchemaCompiler<unknown> {
  const bodyAjv = addFormats(new Ajv({ ...COMMON, coerceTypes: false }));
  const textAjv = addFormats(new Ajv({ ...COMMON, coerceTypes: 'array' }));
  return ({ schema, httpPart }) => (httpPart === 'body' ? bodyAjv : textAjv).compile(schema as object);
}
