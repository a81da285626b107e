// Concrete requests for spec operations: parameter values from what responses revealed, else
// from the spec's examples, else synthesised from the schema.
import type { Target } from '../target.ts';
import type { ApiSpec, Operation, Parameter } from './load.ts';
import { deref, isObject } from './refs.ts';
import type { Json } from './refs.ts';
import { schemaType, synthesize } from './synth.ts';
import type { ValueBank } from './values.ts';

export interface PlannedRequest {
  operation: Operation;
  method: string;
  url: URL;
  headers: Record<string, string>;
  body?: string;
  /** The value used for each parameter, keyed `in:name`. */
  values: Map<string, string>;
}

export interface RequestOverrides {
  /** Replace a path or query value (already a string); `null` leaves a query parameter out. */
  values?: Record<string, string | null>;
  /** Path values inserted without percent-encoding (for malformed-encoding probes). */
  rawPath?: Record<string, string>;
  headers?: Record<string, string>;
  /** A body to send as is, instead of the synthesised one. */
  body?: string;
  contentType?: string;
  /** Fill every query parameter, not only the required ones and those with examples. */
  allQuery?: boolean;
}

export function stringify(value: Json | undefined): string {
  if (value === undefined || value === null) return '';
  if (Array.isArray(value)) return value.map((v) => stringify(v)).join(',');
  if (typeof value === 'object') return JSON.stringify(value);
  return String(value);
}

/** A value the schema itself names (example, default, enum, const), if any. */
function declaredValue(document: Json, schemaValue: Json | undefined): Json | undefined {
  const schema = deref(document, schemaValue);
  if (!isObject(schema)) return undefined;
  if (schema.example !== undefined) return schema.example;
  if (Array.isArray(schema.examples) && schema.examples.length > 0) return schema.examples[0];
  if (schema.default !== undefined) return schema.default;
  if (schema.const !== undefined) return schema.const;
  if (Array.isArray(schema.enum) && schema.enum.length > 0) return schema.enum[0];
  return undefined;
}

export class RequestPlanner {
  readonly #spec: ApiSpec;
  readonly #target: Target;
  readonly #values: ValueBank;

  constructor(spec: ApiSpec, target: Target, values: ValueBank) {
    this.#spec = spec;
    this.#target = target;
    this.#values = values;
  }

  /** The value this planner would send for a parameter. */
  valueFor(operation: Operation, parameter: Parameter): string {
    // What the same collection revealed, then what the spec says, then any field of that name.
    const type = schemaType(this.#spec.document, parameter.schema);
    const own = this.#values.suggest(operation.path, parameter, type, 'own');
    if (own !== undefined) return own;
    if (parameter.example !== undefined) return stringify(parameter.example);
    const declared = declaredValue(this.#spec.document, parameter.schema);
    if (declared !== undefined) return stringify(declared);
    const any = this.#values.suggest(operation.path, parameter, type, 'any');
    if (any !== undefined) return any;
    return stringify(synthesize(this.#spec.document, parameter.schema) ?? 'audit');
  }

  /** The body this planner would send (JSON or form), or undefined. */
  bodyFor(operation: Operation): { body: string; contentType: string } | undefined {
    const requestBody = operation.requestBody;
    if (requestBody === undefined) return undefined;
    const value = requestBody.example ?? synthesize(this.#spec.document, requestBody.schema) ?? {};
    if (/json/i.test(requestBody.contentType)) return { body: JSON.stringify(value), contentType: 'application/json' };
    if (requestBody.contentType === 'application/x-www-form-urlencoded' && isObject(value)) {
      const form = new URLSearchParams();
      for (const [key, item] of Object.entries(value)) form.set(key, stringify(item));
      return { body: form.toString(), contentType: requestBody.contentType };
    }
    return undefined;
  }

  plan(operation: Operation, overrides: RequestOverrides = {}): PlannedRequest {
    const values = new Map<string, string>();
    const query = new URLSearchParams();
    const headers: Record<string, string> = {};
    let path = '';
    for (const part of operation.path.split(/(\{[^}]+\})/)) {
      if (!part.startsWith('{')) {
        path += part;
        continue;
      }
      const name = part.slice(1, -1);
      const raw = overrides.rawPath?.[name];
      if (raw !== undefined) {
        values.set(`path:${name}`, raw);
        path += raw;
        continue;
      }
      const parameter = operation.parameters.find((p) => p.in === 'path' && p.name === name);
      const value = overrides.values?.[name] ?? (parameter ? this.valueFor(operation, parameter) : 'audit');
      values.set(`path:${name}`, value);
      path += encodeURIComponent(value);
    }
    for (const parameter of operation.parameters) {
      if (parameter.in === 'query') {
        const override = overrides.values?.[parameter.name];
        if (override === null) continue;
        const wanted = override !== undefined || parameter.required || parameter.example !== undefined || overrides.allQuery === true;
        if (!wanted) continue;
        const value = override ?? this.valueFor(operation, parameter);
        values.set(`query:${parameter.name}`, value);
        query.set(parameter.name, value);
      } else if (parameter.in === 'header' && parameter.required) {
        const lower = parameter.name.toLowerCase();
        if (lower === 'authorization' || lower === 'cookie' || lower === 'content-type' || lower === 'accept') continue;
        headers[lower] = this.valueFor(operation, parameter);
      }
    }
    // Query values named in overrides but not declared by the operation (probes for undeclared inputs).
    for (const [name, value] of Object.entries(overrides.values ?? {})) {
      if (value === null || values.has(`query:${name}`) || values.has(`path:${name}`)) continue;
      query.set(name, value);
      values.set(`query:${name}`, value);
    }
    const url = this.#target.url(path);
    const search = query.toString();
    if (search !== '') url.search = search;
    let body: string | undefined;
    if (overrides.body !== undefined) {
      body = overrides.body;
      headers['content-type'] = overrides.contentType ?? 'application/json';
    } else if (operation.method !== 'GET' && operation.method !== 'HEAD') {
      const planned = this.bodyFor(operation);
      if (planned) {
        body = planned.body;
        headers['content-type'] = planned.contentType;
      }
    }
    Object.assign(headers, overrides.headers ?? {});
    return { operation, method: operation.method, url, headers, ...(body === undefined ? {} : { body }), values };
  }
}
