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
  return ({ schema, httpPart }) => {
    if (httpPart !== 'body') return textAjv.compile(schema as object);
    const validate = bodyAjv.compile(schema as object);
    // `schema: { body: Type.Optional(X) }` means "no body, or a valid X": Ajv alone would
    // reject the absent body, so the optional marker TypeBox sets is honoured here.
    if ((schema as Record<string, unknown>)['~optional'] !== true) return validate;
    const optional = (data: unknown): boolean => {
      // Fastify passes null or undefined when the request has no body.
      const absent = data === undefined || data === null;
      const ok = absent || validate(data);
      optional.errors = absent ? null : validate.errors;
      return ok;
    };
    optional.errors = null as typeof validate.errors;
    return optional;
  };
}
