// Validation failures as JSON pointers with our own wording (stable, and free of library
// text): `{ in: 'body', pointer: '/items/0/qty', detail: 'must be at most 100' }`.
import type { FastifySchemaValidationError } from 'fastify';
import { HttpProblem } from './problem.ts';
import { FINITE, PLAIN_KEYS, PLAIN_TEXT, PLAIN_VALUE } from '../validation/input-rules.ts';

const MAX_LISTED = 20;

export interface FieldError {
  in: string;
  pointer: string;
  detail: string;
}

const PARTS: Record<string, string> = { body: 'body', querystring: 'query', params: 'path', headers: 'header' };

export function validationProblem(errors: readonly FastifySchemaValidationError[], context: string | undefined): HttpProblem {
  const where = PARTS[context ?? 'body'] ?? 'body';
  const fields = listed(errors.map((error) => fieldError(error, where)));
  return new HttpProblem(400, {
    slug: 'validation-failed',
    title: 'Validation failed',
    detail: `The request ${where} does not match the schema: ${fields.map((f) => `${f.pointer || '(root)'} ${f.detail}`).join('; ')}.`,
    extensions: { errors: fields },
  });
}

/**
 * Each (pointer, detail) once: a union reports every branch's complaint, often the same one
 * several times. Past the cap, the deepest pointers are kept first: they name the exact field
 * (an undeclared key inside a nested object), where the shallow ones are branches not taken.
 */
function listed(all: FieldError[]): FieldError[] {
  const seen = new Set<string>();
  const unique = all.filter((field) => {
    const key = `${field.pointer}\u0000${field.detail}`;
    if (seen.has(key)) return false;
    seen.add(key);
    return true;
  });
  if (unique.length <= MAX_LISTED) return unique;
  const depth = (field: FieldError): number => field.pointer.split('/').length;
  return unique.toSorted((a, b) => depth(b) - depth(a)).slice(0, MAX_LISTED);
}

function fieldError(error: FastifySchemaValidationError, where: string): FieldError {
  const params = error.params;
  const path = error.instancePath;
  const text = (name: string): string => String(params[name]);
  switch (error.keyword) {
    case 'required':
      return { in: where, pointer: `${path}/${escape(text('missingProperty'))}`, detail: 'is required' };
    case 'additionalProperties':
      return { in: where, pointer: `${path}/${escape(text('additionalProperty'))}`, detail: 'is not an allowed property' };
    case 'unevaluatedProperties':
      return { in: where, pointer: `${path}/${escape(text('unevaluatedProperty'))}`, detail: 'is not an allowed property' };
    default:
      return { in: where, pointer: path, detail: describe(error.keyword, params) };
  }
}

function describe(keyword: string, params: Record<string, unknown>): string {
  const n = (name: string): string => String(params[name]);
  switch (keyword) {
    case 'type': return `must be ${n('type')}`;
    case 'minLength': return `must be at least ${n('limit')} characters`;
    case 'maxLength': return `must be at most ${n('limit')} characters`;
    case 'minimum': return `must be at least ${n('limit')}`;
    case 'maximum': return `must be at most ${n('limit')}`;
    case 'exclusiveMinimum': return `must be more than ${n('limit')}`;
    case 'exclusiveMaximum': return `must be less than ${n('limit')}`;
    case 'minItems': return `must have at least ${n('limit')} items`;
    case 'maxItems': return `must have at most ${n('limit')} items`;
    case 'minProperties': return `must have at least ${n('limit')} properties`;
    case 'maxProperties': return `must have at most ${n('limit')} properties`;
    case 'uniqueItems': return 'must not contain duplicates';
    case 'enum': return `must be one of the allowed values`;
    case 'const': return 'must be the fixed allowed value';
    case 'format': return `must be a valid ${n('format')}`;
    case 'pattern': return 'does not have the expected form';
    case 'multipleOf': return `must be a multiple of ${n('multipleOf')}`;
    case FINITE: return 'must be a finite number';
    case PLAIN_TEXT: return 'must not contain bidirectional control characters';
    case PLAIN_KEYS: return 'must not have property names with bidirectional control characters';
    case PLAIN_VALUE: return 'must hold only finite numbers and text without bidirectional control characters';
    default: return 'is invalid';
  }
}

/** RFC 6901: `~` → `~0`, `/` → `~1` inside a reference token. */
function escape(token: string): string {
  return token.replaceAll('~', '~0').replaceAll('/', '~1');
}
