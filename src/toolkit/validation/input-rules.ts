// Rules every value in a request meets, whatever its schema says, in every part (body, query
// string, path, headers). They are added to each schema as it is compiled — not to the
// route's schema, so the OpenAPI document shows what the route declared:
//
// - Numbers are finite. Query strings, paths and headers are text that the validator coerces
//   to the declared type, and JavaScript's number syntax turns `Infinity`, `+Infinity`,
//   ` Infinity` and `1e400` into Infinity (JSON bodies turn `1e400` into Infinity too). Ajv
//   skips `minimum`/`maximum` for a value that is not finite, so `{ type: 'integer',
//   maximum: 100 }` let Infinity through to the handler and its SQL.
// - Text carries no bidirectional embedding, override or isolate controls (U+202A–U+202E,
//   U+2066–U+2069): they make stored text display in another order than it reads (names,
//   payment references, "Trojan Source"). The implicit marks U+200E, U+200F and U+061C are
//   allowed: right-to-left writers type them, and they cannot reorder a run of text. A string
//   schema with `'x-allow-bidi-controls': true` opts out (e.g. passwords, where any character
//   is allowed and nothing is displayed).
import type { Ajv, KeywordCxt } from 'ajv';
import { _ } from 'ajv';
import { rewriteSchema, typesOf, type SchemaNode } from './walk.ts';

export const BIDI_CONTROLS = /[\u202A-\u202E\u2066-\u2069]/;
export const ALLOW_BIDI = 'x-allow-bidi-controls';

/** Keyword names used only in compiled copies; validation errors name them. */
export const FINITE = 'rampartFinite';
export const PLAIN_TEXT = 'rampartPlainText';
export const PLAIN_KEYS = 'rampartPlainKeys';
export const PLAIN_VALUE = 'rampartPlainValue';

/** Any number or string inside a value (an untyped schema accepts anything). */
function plainValue(value: unknown): boolean {
  const stack = [value];
  while (stack.length > 0) {
    const item = stack.pop();
    if (typeof item === 'number') {
      if (!Number.isFinite(item)) return false;
    } else if (typeof item === 'string') {
      if (BIDI_CONTROLS.test(item)) return false;
    } else if (typeof item === 'object' && item !== null) {
      for (const [key, inner] of Object.entries(item)) {
        if (BIDI_CONTROLS.test(key)) return false;
        stack.push(inner);
      }
    }
  }
  return true;
}

export function addInputRuleKeywords(ajv: Pick<Ajv, 'addKeyword'>): void {
  ajv.addKeyword({ keyword: ALLOW_BIDI, schemaType: 'boolean' });
  // No `type` on these keywords: Ajv guards typed keywords with `isFinite`, which is exactly
  // the check that must not be skipped.
  ajv.addKeyword({
    keyword: FINITE,
    schemaType: 'boolean',
    code: (cxt: KeywordCxt) => cxt.fail(_`typeof ${cxt.data} == "number" && !isFinite(${cxt.data})`),
    error: { message: 'must be a finite number' },
  });
  ajv.addKeyword({
    keyword: PLAIN_TEXT,
    schemaType: 'boolean',
    code: (cxt: KeywordCxt) => {
      const pattern = cxt.gen.scopeValue('pattern', { ref: BIDI_CONTROLS });
      cxt.fail(_`typeof ${cxt.data} == "string" && ${pattern}.test(${cxt.data})`);
    },
    error: { message: 'must not contain bidirectional control characters' },
  });
  ajv.addKeyword({
    keyword: PLAIN_KEYS,
    schemaType: 'boolean',
    validate: (_schema: boolean, data: unknown) => typeof data !== 'object' || data === null || Object.keys(data).every((key) => !BIDI_CONTROLS.test(key)),
    error: { message: 'must not have property names with bidirectional control characters' },
  });
  ajv.addKeyword({
    keyword: PLAIN_VALUE,
    schemaType: 'boolean',
    validate: (_schema: boolean, data: unknown) => plainValue(data),
    error: { message: 'must hold only finite numbers and text without bidirectional control characters' },
  });
}

/** A node with none of these accepts any value (TypeBox's Unknown and Any, `{}`). */
const SHAPING = ['type', 'const', 'enum', '$ref', 'allOf', 'anyOf', 'oneOf', 'not', 'if', 'properties', 'patternProperties', 'additionalProperties', 'items', 'prefixItems'];

function addRules(node: SchemaNode): void {
  const types = typesOf(node);
  if (types.includes('number') || types.includes('integer')) node[FINITE] = true;
  if (types.includes('string') && node[ALLOW_BIDI] !== true) node[PLAIN_TEXT] = true;
  // Free property names (records, open objects) are text from the client too.
  if (types.includes('object') && (node.additionalProperties !== false || node.patternProperties !== undefined)) node[PLAIN_KEYS] = true;
  if (!SHAPING.some((keyword) => keyword in node)) node[PLAIN_VALUE] = true;
  // `additionalProperties: true` (an open object) still holds values that must be plain.
  if (node.additionalProperties === true) node.additionalProperties = { [PLAIN_VALUE]: true };
}

/** The copy of a request-part schema that is compiled: the same schema plus the input rules. */
export function withInputRules(schema: unknown): unknown {
  if (schema === true) return { [PLAIN_VALUE]: true };
  return rewriteSchema(schema, undefined, addRules, () => undefined);
}
