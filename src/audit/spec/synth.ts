// Values that a schema accepts, made from what the schema says: examples and defaults first,
// then enums and consts, then a value built from type, format and bounds. Deterministic, so a
// run can be repeated and its requests compared.
import { deref, isObject } from './refs.ts';
import type { Json, JsonObject } from './refs.ts';

const MAX_DEPTH = 6;

function firstType(schema: JsonObject): string | undefined {
  const type = schema.type;
  if (typeof type === 'string') return type;
  if (Array.isArray(type)) {
    const concrete = type.find((t) => typeof t === 'string' && t !== 'null');
    return typeof concrete === 'string' ? concrete : undefined;
  }
  if (isObject(schema.properties)) return 'object';
  if (schema.items !== undefined) return 'array';
  return undefined;
}

function synthString(schema: JsonObject): string {
  const format = typeof schema.format === 'string' ? schema.format : '';
  let value: string;
  switch (format) {
    case 'uuid':
      value = '3f2504e0-4f89-41d3-9a0c-0305e82c3301';
      break;
    case 'email':
      value = 'audit@example.com';
      break;
    case 'date-time':
      value = '2024-01-01T00:00:00Z';
      break;
    case 'date':
      value = '2024-01-01';
      break;
    case 'time':
      value = '12:00:00Z';
      break;
    case 'uri':
    case 'url':
    case 'iri':
      value = 'https://example.com/';
      break;
    case 'hostname':
      value = 'example.com';
      break;
    case 'ipv4':
      value = '192.0.2.1';
      break;
    case 'ipv6':
      value = '2001:db8::1';
      break;
    case 'password':
      value = 'Audit-Passw0rd!';
      break;
    case 'byte':
      value = 'YXVkaXQ=';
      break;
    default:
      value = 'audit';
  }
  const min = typeof schema.minLength === 'number' ? schema.minLength : 0;
  const max = typeof schema.maxLength === 'number' ? schema.maxLength : Infinity;
  if (value.length < min) value = value.padEnd(min, 'x');
  if (value.length > max) value = value.slice(0, Math.max(max, 0));
  return value;
}

function synthNumber(schema: JsonObject, integer: boolean): number {
  const min =
    typeof schema.minimum === 'number'
      ? schema.minimum
      : typeof schema.exclusiveMinimum === 'number'
        ? schema.exclusiveMinimum + (integer ? 1 : 0.5)
        : undefined;
  const max =
    typeof schema.maximum === 'number'
      ? schema.maximum
      : typeof schema.exclusiveMaximum === 'number'
        ? schema.exclusiveMaximum - (integer ? 1 : 0.5)
        : undefined;
  let value = min ?? (max !== undefined && max < 1 ? max : 1);
  if (integer) value = Math.ceil(value);
  return value;
}

function merged(document: Json, parts: Json[]): JsonObject {
  const out: JsonObject = {};
  const properties: JsonObject = {};
  const required: string[] = [];
  for (const raw of parts) {
    const part = deref(document, raw);
    if (!isObject(part)) continue;
    Object.assign(out, part);
    if (isObject(part.properties)) Object.assign(properties, part.properties);
    if (Array.isArray(part.required)) required.push(...part.required.filter((r): r is string => typeof r === 'string'));
  }
  delete out.allOf;
  if (Object.keys(properties).length > 0) out.properties = properties;
  if (required.length > 0) out.required = required;
  return out;
}

/**
 * A value the schema accepts, or undefined when none can be made (e.g. a `not` schema).
 * `all` fills optional object properties too (default: required ones and those with examples).
 */
export function synthesize(document: Json, schemaValue: Json | undefined, options: { all?: boolean } = {}, depth = 0): Json | undefined {
  const resolved = deref(document, schemaValue);
  if (!isObject(resolved) || depth > MAX_DEPTH) return undefined;
  let schema = resolved;
  if (Array.isArray(schema.allOf)) schema = merged(document, [schema, ...schema.allOf]);
  if (schema.example !== undefined) return schema.example;
  if (Array.isArray(schema.examples) && schema.examples.length > 0) return schema.examples[0];
  if (schema.default !== undefined) return schema.default;
  if (schema.const !== undefined) return schema.const;
  if (Array.isArray(schema.enum) && schema.enum.length > 0) return schema.enum.find((v) => v !== null) ?? schema.enum[0];
  for (const key of ['oneOf', 'anyOf'] as const) {
    const choices = schema[key];
    if (Array.isArray(choices)) {
      for (const choice of choices) {
        const value = synthesize(document, choice, options, depth + 1);
        if (value !== undefined && value !== null) return value;
      }
    }
  }
  switch (firstType(schema)) {
    case 'string':
      return synthString(schema);
    case 'integer':
      return synthNumber(schema, true);
    case 'number':
      return synthNumber(schema, false);
    case 'boolean':
      return true;
    case 'null':
      return null;
    case 'array': {
      const item = synthesize(document, schema.items, options, depth + 1);
      const count = typeof schema.minItems === 'number' ? Math.max(1, schema.minItems) : 1;
      return item === undefined ? [] : Array.from({ length: count }, () => item);
    }
    case 'object': {
      const out: JsonObject = {};
      const properties = isObject(schema.properties) ? schema.properties : {};
      const required = new Set(Array.isArray(schema.required) ? schema.required : []);
      for (const [name, propertySchema] of Object.entries(properties)) {
        const property = deref(document, propertySchema);
        if (isObject(property) && (property.readOnly === true)) continue;
        const wanted =
          options.all === true ||
          required.has(name) ||
          (isObject(property) && (property.example !== undefined || property.default !== undefined));
        if (!wanted) continue;
        const value = synthesize(document, propertySchema, options, depth + 1);
        if (value !== undefined) out[name] = value;
      }
      return out;
    }
    default:
      return 'audit';
  }
}

/** The JSON Schema type a parameter's schema declares (first non-null type). */
export function schemaType(document: Json, schemaValue: Json | undefined): string | undefined {
  const schema = deref(document, schemaValue);
  return isObject(schema) ? firstType(schema) : undefined;
}

/** Every property path in a schema whose format is `password` (e.g. `['password']`). */
export function passwordFields(document: Json, schemaValue: Json | undefined, depth = 0): string[] {
  const schema = deref(document, schemaValue);
  if (!isObject(schema) || depth > MAX_DEPTH) return [];
  if (schema.format === 'password') return [''];
  const out: string[] = [];
  const parts = Array.isArray(schema.allOf) ? [schema, ...schema.allOf] : [schema];
  for (const part of parts) {
    const resolved = deref(document, part);
    if (!isObject(resolved) || !isObject(resolved.properties)) continue;
    for (const [name, child] of Object.entries(resolved.properties)) {
      for (const inner of passwordFields(document, child, depth + 1)) out.push(inner === '' ? name : `${name}.${inner}`);
    }
  }
  return out;
}
