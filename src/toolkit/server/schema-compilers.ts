// Validation that rejects, never repairs. Bodies: no type coercion and no stripping of
// unknown properties, so `{"qty":"5"}` or an extra field is a 400 (request schemas are
// closed when routes are declared: validation/closed.ts). Query strings, path parameters and
// headers arrive as text, so they may be coerced to the declared number/boolean types.
// Every part meets the input rules (validation/input-rules.ts): finite numbers, and text
// without bidirectional controls.
//
// Ajv's draft 2019-09 validator: it implements `unevaluatedProperties`, which closes
// intersections, and still reads TypeBox's draft-07 tuples (`items: [...]`), which the
// 2020-12 validator would refuse.
import type { ErrorObject, Options } from 'ajv';
import { Ajv2019 } from 'ajv/dist/2019.js';
import addFormatsModule from 'ajv-formats';
import type { FastifySchemaCompiler } from 'fastify';
import { withoutEchoes } from '../validation/closed.ts';
import { addInputRuleKeywords, withInputRules } from '../validation/input-rules.ts';

const addFormats = addFormatsModule as unknown as (ajv: Ajv2019) => Ajv2019;

const COMMON: Options = {
  removeAdditional: false,
  useDefaults: true,
  allErrors: true,
  allowUnionTypes: true,
  // TypeBox adds non-standard keywords only as non-enumerable properties; anything else
  // unknown is a mistake.
  strict: true,
  strictRequired: false,
  ownProperties: true,
};

function validator(options: Options): Ajv2019 {
  const ajv = addFormats(new Ajv2019({ ...COMMON, ...options }));
  addInputRuleKeywords(ajv);
  return ajv;
}

type Validate = ((data: unknown) => boolean) & { errors?: ErrorObject[] | null };

export function createValidatorCompiler(): FastifySchemaCompiler<unknown> {
  const bodyAjv = validator({ coerceTypes: false });
  const textAjv = validator({ coerceTypes: 'array' });
  return ({ schema, httpPart }) => {
    const ruled = withInputRules(schema) as object;
    const compiled = (httpPart === 'body' ? bodyAjv : textAjv).compile(ruled);
    const validate = JSON.stringify(ruled).includes('"unevaluatedProperties"') ? explained(compiled, ruled) : compiled;
    // `schema: { body: Type.Optional(X) }` means "no body, or a valid X": Ajv alone would
    // reject the absent body, so the optional marker TypeBox sets is honoured here.
    if (httpPart !== 'body' || (schema as Record<string, unknown>)['~optional'] !== true) return validate;
    const optional: Validate = (data) => {
      // Fastify passes null or undefined when the request has no body.
      const absent = data === undefined || data === null;
      const ok = absent || validate(data);
      optional.errors = absent ? null : validate.errors;
      return ok;
    };
    optional.errors = null;
    return optional;
  };
}

/** A validator whose errors leave out the echoes of closed intersections (see withoutEchoes). */
function explained(validate: Validate, schema: object): Validate {
  const wrapped: Validate = (data) => {
    const ok = validate(data);
    wrapped.errors = validate.errors ? withoutEchoes(validate.errors, schema) : validate.errors;
    return ok;
  };
  return wrapped;
}
