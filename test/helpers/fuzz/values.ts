// Values for a JSON Schema, as a fuzzer needs them: valid ones (to reach the code behind the
// validator), boundary ones (limits, one past them, awkward text and numbers) and invalid
// ones (wrong types). Each field decides on its own, with the chance the caller gives, whether
// to stray from valid, so most requests are valid except for one or two fields.
import { randomUUID } from 'node:crypto';
import type { Random } from './random.ts';

export type Schema = Record<string, unknown>;

/** A number written as given into JSON text (`1e400`, `-0`), which JSON.stringify cannot spell. */
export class RawNumber {
  readonly text: string;
  constructor(text: string) {
    this.text = text;
  }
}

export interface ValueSource {
  random: Random;
  /** The chance that a field strays from valid (0: a fully valid value). */
  stray: number;
  /** Ids seen in the service's answers, for a field or path segment (`productId`, `orders`). */
  ids: (hint: string) => readonly string[];
  /** Strings worth trying first (scopes, role names, grant types…), then ones seen in answers. */
  words: readonly string[];
  seen: readonly string[];
  /** An account the fuzzer may log in as: used for fields named like user names and passwords. */
  account?: { username: string; password: string };
  /** Whether the value is sent as text (query, path, header), where numbers are spelled. */
  text: boolean;
}

const ALNUM = 'abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789';
const NASTY_TEXT = [
  '', ' ', '\t', '\u00a0', "'; DROP TABLE users;--", '" OR "1"="1', "' OR 1=1 --", '%', '_', '\\', '%00', '\u0000', 'a\u0000b',
  '<script>alert(1)</script>', '<img src=x onerror=alert(1)>', '../../../../etc/passwd', '..%2F..%2Fetc', '{{7*7}}', '${7*7}',
  '\r\nX-Injected: 1', 'ＡＤＭＩＮ', 'admin\u200d', ' admin', 'ADMIN', '\ud800', '\udfff', '😀'.repeat(40), 'null', 'undefined',
  'NaN', 'Infinity', '-Infinity', '1e400', '-0', '0x10', '__proto__', 'constructor', 'prototype', 'a\u202eexe.txt', 'x\u2066y',
  '\u200f\u061c', 'true', '[]', '{}', '$where', '{"$gt":""}', '*', '?', '#', '/', '//', 'a/b', '%2e%2e%2f', 'é', 'e\u0301', 'ß', 'İ', 'ﬁ',
];
const NASTY_NUMBER_TEXT = ['Infinity', '-Infinity', '+Infinity', ' Infinity', '1e400', '-1e400', 'NaN', '0x10', '0b1', '0o7', '1_000', ' 5', '5 ', '+5', '-0', '1e2', '.5', '5.', '١٢', '５', '9007199254740993', '1e-400', ''];
/** Names of fields a client must never set (mass assignment), tried as extra properties. */
const PRIVILEGED = ['id', 'ownerId', 'owner_id', 'userId', 'role', 'isAdmin', 'admin', 'balance', 'price', 'status', 'createdAt', 'verified', 'scopes', 'disabled', '__proto__'];
const URL_FIELD = /url|uri|href|link|callback/i;

export function valueFor(schema: Schema | boolean | undefined, source: ValueSource, name = ''): unknown {
  if (schema === undefined || typeof schema === 'boolean') return anyValue(source);
  const { random } = source;
  if (random.chance(source.stray)) return random.chance(0.7) ? boundary(schema, source, name) : invalid(schema, source);
  return valid(schema, source, name);
}

function typeOf(schema: Schema, random: Random): string | undefined {
  if (Array.isArray(schema.type)) return random.pick(schema.type as string[]);
  if (typeof schema.type === 'string') return schema.type;
  if (schema.properties !== undefined || schema.additionalProperties !== undefined || schema.patternProperties !== undefined) return 'object';
  if (schema.items !== undefined) return 'array';
  return undefined;
}

function valid(schema: Schema, source: ValueSource, name: string): unknown {
  const { random } = source;
  if ('const' in schema) return schema.const;
  if (Array.isArray(schema.enum)) return random.pick(schema.enum);
  const alternatives = (schema.anyOf ?? schema.oneOf) as Schema[] | undefined;
  if (Array.isArray(alternatives)) return valueFor(random.pick(alternatives), { ...source, stray: 0 }, name);
  if (Array.isArray(schema.allOf)) return Object.assign({}, ...(schema.allOf as Schema[]).map((member) => valid(member, source, name)) as object[]);
  switch (typeOf(schema, random)) {
    case 'string': return validString(schema, source, name);
    case 'integer': return validNumber(schema, random, true);
    case 'number': return validNumber(schema, random, false);
    case 'boolean': return random.chance(0.5);
    case 'null': return null;
    case 'array': return validArray(schema, source, name);
    case 'object': return validObject(schema, source);
    default: return anyValue(source);
  }
}

function limits(schema: Schema, integer: boolean): [number, number] {
  let min = typeof schema.minimum === 'number' ? schema.minimum : -1_000_000;
  let max = typeof schema.maximum === 'number' ? schema.maximum : 1_000_000;
  if (typeof schema.exclusiveMinimum === 'number') min = schema.exclusiveMinimum + (integer ? 1 : 1e-6);
  if (typeof schema.exclusiveMaximum === 'number') max = schema.exclusiveMaximum - (integer ? 1 : 1e-6);
  return [min, max];
}

function validNumber(schema: Schema, random: Random, integer: boolean): number {
  const [min, max] = limits(schema, integer);
  // Small values more often: they are the ones that find rows and fit quotas.
  const top = random.chance(0.7) ? Math.min(max, min + 100) : max;
  if (integer) return random.int(Math.ceil(min), Math.floor(top));
  return Math.round((min + random.next() * (top - min)) * 100) / 100;
}

function validString(schema: Schema, source: ValueSource, name: string): string {
  const { random } = source;
  const minLength = typeof schema.minLength === 'number' ? schema.minLength : 0;
  const maxLength = typeof schema.maxLength === 'number' ? schema.maxLength : 64;
  const pattern = typeof schema.pattern === 'string' ? new RegExp(schema.pattern, 'u') : undefined;
  const fits = (text: string): boolean => codePoints(text) >= minLength && codePoints(text) <= maxLength && (pattern === undefined || pattern.test(text));
  const ids = source.ids(name);
  const fromIds = (): string => (ids.length > 0 ? random.pick(ids) : randomUUID());
  const fromWords = (): string => (source.words.length > 0 && random.chance(0.7) ? random.pick(source.words) : source.seen.length > 0 ? random.pick(source.seen) : 'word');
  const candidates: (() => string)[] = [
    fromIds,
    fromWords,
    () => randomUUID(),
    () => random.string(random.int(Math.max(minLength, 1), Math.max(minLength, Math.min(maxLength, 24))), ALNUM),
    () => random.string(random.int(8, 24), 'abcdef0123456789'),
    () => `Fuzz ${random.string(6, ALNUM)} ${random.pick(['shirt', 'Mug', 'Kaffee', 'thé', 'شاي', 'чай', '茶', '100% off', "O'Brien"])}`,
  ];
  // What the field most likely wants is tried first: by format, by name, ids for id-like
  // fields, else the words (grant types, roles, scopes…).
  let preferred = /(^|[a-z_])(id|Id|ID)$/.test(name) ? fromIds : fromWords;
  if (schema.format === 'email') preferred = () => `fuzz${random.int(0, 1_000_000)}@example.com`;
  if (schema.format === 'date-time') preferred = () => new Date(Date.now() + random.int(-86_400_000, 86_400_000 * 30)).toISOString();
  if (URL_FIELD.test(name)) preferred = () => `https://${random.pick(['203.0.113.7', '93.184.216.34', 'hooks.example.com', '[2606:4700::1111]'])}/${random.string(6, ALNUM)}`;
  const account = source.account;
  if (account !== undefined && random.chance(0.5)) {
    if (/user(name)?$|login/i.test(name)) preferred = () => account.username;
    if (/password/i.test(name)) preferred = () => account.password;
  }
  for (let attempt = 0; attempt < 12; attempt++) {
    const candidate = (attempt < 2 ? preferred : random.pick(candidates))();
    if (fits(candidate)) return candidate;
  }
  for (const candidate of [...ids, ...source.words]) if (fits(candidate)) return candidate;
  return random.string(Math.max(minLength, 1), ALNUM);
}

/** JSON Schema counts string lengths in code points. */
function codePoints(text: string): number {
  return text.length - (text.match(/[\uD800-\uDBFF][\uDC00-\uDFFF]/g)?.length ?? 0);
}

function validArray(schema: Schema, source: ValueSource, name: string): unknown[] {
  const { random } = source;
  const min = typeof schema.minItems === 'number' ? schema.minItems : 0;
  const max = Math.min(typeof schema.maxItems === 'number' ? schema.maxItems : 4, min + 4);
  const items: unknown[] = [];
  const wanted = random.int(min, max);
  for (let attempt = 0; items.length < wanted && attempt < wanted * 4; attempt++) {
    const item = valueFor(schema.items as Schema | undefined, source, name);
    if (schema.uniqueItems === true && items.some((other) => JSON.stringify(other) === JSON.stringify(item))) continue;
    items.push(item);
  }
  return items;
}

function validObject(schema: Schema, source: ValueSource): Record<string, unknown> {
  const { random } = source;
  const properties = (schema.properties ?? {}) as Record<string, Schema>;
  const required = new Set((schema.required ?? []) as string[]);
  const value: Record<string, unknown> = {};
  for (const [key, inner] of Object.entries(properties)) {
    if (required.has(key) || random.chance(0.5)) value[key] = valueFor(inner, source, key);
  }
  const extra = typeof schema.additionalProperties === 'object' ? (schema.additionalProperties as Schema) : schema.patternProperties ? (Object.values(schema.patternProperties)[0] as Schema) : undefined;
  if (extra !== undefined) for (let i = random.int(0, 3); i > 0; i--) value[random.string(random.int(1, 8), ALNUM)] = valueFor(extra, source);
  if (typeof schema.minProperties === 'number' && Object.keys(value).length < schema.minProperties) {
    for (const [key, inner] of Object.entries(properties)) if (!(key in value)) value[key] = valueFor(inner, { ...source, stray: 0 }, key);
  }
  return value;
}

function boundary(schema: Schema, source: ValueSource, name: string): unknown {
  const { random } = source;
  switch (typeOf(schema, random)) {
    case 'string': {
      const min = typeof schema.minLength === 'number' ? schema.minLength : 0;
      const max = typeof schema.maxLength === 'number' ? schema.maxLength : 256;
      return random.weighted<() => string>([
        [4, () => random.pick(NASTY_TEXT)],
        [1, () => 'a'.repeat(max)],
        [1, () => 'a'.repeat(max + 1)],
        [1, () => 'a'.repeat(Math.max(0, min - 1))],
        [1, () => '\u00e9'.repeat(max)],
        [1, () => `${validString(schema, source, name)}${random.pick(NASTY_TEXT)}`],
        [0.2, () => 'x'.repeat(random.int(5000, 20000))],
      ])();
    }
    case 'integer':
    case 'number': {
      const [min, max] = limits(schema, typeOf(schema, random) === 'integer');
      if (source.text && random.chance(0.6)) return random.pick(NASTY_NUMBER_TEXT);
      return random.pick<unknown>([min, max, min - 1, max + 1, 0, -1, 0.5, 2 ** 31, 2 ** 53 + 2, -(2 ** 63), 1e308, Number.MIN_VALUE, new RawNumber('1e400'), new RawNumber('-1e400'), new RawNumber('-0'), new RawNumber('1E2')]);
    }
    case 'array': {
      const max = typeof schema.maxItems === 'number' ? schema.maxItems : 20;
      const item = (): unknown => valueFor(schema.items as Schema | undefined, { ...source, stray: 0 }, name);
      return random.pick<() => unknown[]>([() => [], () => Array.from({ length: max + 1 }, item), () => { const one = item(); return [one, one]; }, () => Array.from({ length: 300 }, item)])();
    }
    case 'object': {
      const value = validObject(schema, { ...source, stray: 0 });
      const keys = Object.keys(value);
      return random.pick<() => unknown>([
        () => ({ ...value, [random.pick(PRIVILEGED)]: random.pick<unknown>(['admin', true, 1e9, 'u_other', null]) }),
        () => (keys.length > 0 ? Object.fromEntries(Object.entries(value).filter(([key]) => key !== random.pick(keys))) : {}),
        () => ({}),
        () => Object.fromEntries(Object.entries(value).map(([key, inner]) => [key, typeof inner === 'string' ? random.pick(NASTY_TEXT) : inner])),
      ])();
    }
    case 'boolean':
      return source.text ? random.pick(['true', 'false', '1', '0', 'yes', 'TRUE', '']) : random.pick<unknown>(['true', 1, 0, null]);
    default:
      if (Array.isArray(schema.enum) || 'const' in schema) {
        const choice = String('const' in schema ? schema.const : random.pick(schema.enum as unknown[]));
        return random.pick([choice.toUpperCase(), ` ${choice}`, `${choice}\u0000`, `${choice}x`, '']);
      }
      return invalid(schema, source);
  }
}

function invalid(schema: Schema, source: ValueSource): unknown {
  const { random } = source;
  const type = typeOf(schema, random);
  const others: unknown[] = [random.pick(NASTY_TEXT), 42, -1.5, true, false, null, {}, [], { nested: { deep: [1, 'x'] } }, [null, 'x']];
  return random.pick(others.filter((value) => (type === 'string' ? typeof value !== 'string' : type === 'array' ? !Array.isArray(value) : true)));
}

function anyValue(source: ValueSource): unknown {
  return source.random.pick<unknown>(['x', 1, true, null, {}, [], { a: [1, { b: 'c' }] }, source.random.pick(NASTY_TEXT)]);
}

/** JSON text of a value; RawNumber instances are written as given. */
export function toJsonText(value: unknown): string {
  const raw: string[] = [];
  const text = JSON.stringify(value, (_key, inner: unknown): unknown => {
    if (!(inner instanceof RawNumber)) return inner;
    raw.push(inner.text);
    return `\u0000raw${raw.length - 1}\u0000`;
  });
  if ((text as string | undefined) === undefined) return 'null';
  return raw.length === 0 ? text : text.replace(/"\\u0000raw(\d+)\\u0000"/g, (_match, index: string) => raw[Number(index)]!);
}

/** The text form of a value in a query string, path or header. */
export function toText(value: unknown): string {
  if (value instanceof RawNumber) return value.text;
  if (typeof value === 'string') return value;
  if (value === null || value === undefined) return '';
  if (typeof value === 'object') return toJsonText(value);
  return typeof value === 'number' || typeof value === 'boolean' || typeof value === 'bigint' ? String(value) : '';
}
