// Reads an OpenAPI 3.0 or 3.1 document (JSON or YAML) into the operations the checks work
// from. Routes, parameters and bodies come only from here and from what responses reveal.
import { readFile } from 'node:fs/promises';
import { parse as parseYaml, YAMLParseError } from 'yaml';
import { AuditError, errorCode } from '../errors.ts';
import { collectRefs, deref, escapeToken, isObject, resolvePointer } from './refs.ts';
import type { Json, JsonObject } from './refs.ts';

export const METHODS = ['get', 'put', 'post', 'delete', 'options', 'head', 'patch', 'trace'] as const;

export type ParameterLocation = 'path' | 'query' | 'header' | 'cookie';

export interface Parameter {
  name: string;
  in: ParameterLocation;
  required: boolean;
  schema?: JsonObject;
  example?: Json;
}

export interface RequestBody {
  required: boolean;
  contentType: string;
  schema?: JsonObject;
  example?: Json;
}

/** One alternative of a security requirement: scheme name → scopes. */
export type SecurityRequirement = Record<string, string[]>;

export interface SecurityScheme {
  name: string;
  type: string;
  /** For apiKey: where the key goes and under which name. */
  in?: string;
  paramName?: string;
  /** For http: basic, bearer, ... */
  scheme?: string;
  /** For oauth2: the password flow's token URL, as written. */
  passwordTokenUrl?: string;
  /** For oauth2: every scope its flows declare. */
  scopes?: string[];
}

export interface Operation {
  method: string;
  /** The path template as written in the spec, e.g. `/items/{id}`. */
  path: string;
  operationId?: string;
  summary?: string;
  tags?: string[];
  parameters: Parameter[];
  requestBody?: RequestBody;
  /** Effective requirements (operation's, else the document's). Empty: no authentication. */
  security: SecurityRequirement[];
  /** Status codes the operation documents. */
  responses: string[];
}

export interface ApiSpec {
  /** Where it was read from: a file path or a URL. */
  source: string;
  openapi: string;
  title?: string;
  document: JsonObject;
  operations: Operation[];
  securitySchemes: Record<string, SecurityScheme>;
  /** URLs of the document's `servers`, as written. */
  servers: string[];
  /** Problems that did not stop loading (external references, unknown parameter kinds). */
  warnings: string[];
}

/** Parses JSON or YAML text. Throws AuditError SPEC_INVALID with the position of a syntax error. */
export function parseSpecText(text: string, source: string): Json {
  const trimmed = text.trimStart();
  if (trimmed.startsWith('{') || trimmed.startsWith('[')) {
    try {
      return JSON.parse(text) as Json;
    } catch (error) {
      const detail = error instanceof Error ? error.message : 'syntax error';
      throw new AuditError('SPEC_INVALID', `the OpenAPI document ${source} is not valid JSON: ${detail}`);
    }
  }
  try {
    // Aliases are capped so that a hostile document cannot expand into gigabytes.
    return parseYaml(text, { maxAliasCount: 100, prettyErrors: true }) as Json;
  } catch (error) {
    const detail =
      error instanceof YAMLParseError
        ? `${error.code} at line ${error.linePos?.[0].line ?? '?'}, column ${error.linePos?.[0].col ?? '?'}`
        : 'syntax error';
    throw new AuditError('SPEC_INVALID', `the OpenAPI document ${source} is neither JSON nor valid YAML: ${detail}`);
  }
}

function fail(source: string, problem: string): never {
  throw new AuditError('SPEC_INVALID', `the OpenAPI document ${source} ${problem}`);
}

function schemaOf(document: JsonObject, value: Json | undefined): JsonObject | undefined {
  const resolved = deref(document, value);
  return isObject(resolved) ? resolved : undefined;
}

function readParameters(
  document: JsonObject,
  list: Json | undefined,
  at: string,
  source: string,
  warnings: string[],
): Parameter[] {
  if (list === undefined) return [];
  if (!Array.isArray(list)) fail(source, `has \`parameters\` that is not a list at ${at}`);
  const out: Parameter[] = [];
  list.forEach((raw, index) => {
    const parameter = deref(document, raw);
    if (!isObject(parameter) || typeof parameter.name !== 'string' || typeof parameter.in !== 'string') {
      fail(source, `has a parameter without \`name\` and \`in\` at ${at}/${index}`);
    }
    const location = parameter.in;
    if (location !== 'path' && location !== 'query' && location !== 'header' && location !== 'cookie') {
      warnings.push(`parameter ${parameter.name} at ${at}/${index} has unknown location \`${location}\`; ignored`);
      return;
    }
    let schema = schemaOf(document, parameter.schema);
    if (schema === undefined && isObject(parameter.content)) {
      const first = Object.values(parameter.content)[0];
      if (isObject(first)) schema = schemaOf(document, first.schema);
    }
    let example: Json | undefined = parameter.example;
    if (example === undefined && isObject(parameter.examples)) {
      const first = deref(document, Object.values(parameter.examples)[0]);
      if (isObject(first)) example = first.value;
    }
    out.push({
      name: parameter.name,
      in: location,
      required: location === 'path' || parameter.required === true,
      ...(schema === undefined ? {} : { schema }),
      ...(example === undefined ? {} : { example }),
    });
  });
  return out;
}

function readRequestBody(document: JsonObject, raw: Json | undefined): RequestBody | undefined {
  const body = deref(document, raw);
  if (!isObject(body) || !isObject(body.content)) return undefined;
  const types = Object.keys(body.content);
  const contentType =
    types.find((type) => /^application\/(?:[\w.+-]+\+)?json\b/i.test(type)) ??
    types.find((type) => type === 'application/x-www-form-urlencoded') ??
    types[0];
  if (contentType === undefined) return undefined;
  const media = body.content[contentType];
  const schema = isObject(media) ? schemaOf(document, media.schema) : undefined;
  let example: Json | undefined = isObject(media) ? media.example : undefined;
  if (example === undefined && isObject(media) && isObject(media.examples)) {
    const first = deref(document, Object.values(media.examples)[0]);
    if (isObject(first)) example = first.value;
  }
  return {
    required: body.required === true,
    contentType,
    ...(schema === undefined ? {} : { schema }),
    ...(example === undefined ? {} : { example }),
  };
}

function readSecurity(value: Json | undefined): SecurityRequirement[] | undefined {
  if (!Array.isArray(value)) return undefined;
  return value.filter(isObject).map((requirement) => {
    const out: SecurityRequirement = {};
    for (const [name, scopes] of Object.entries(requirement)) {
      out[name] = Array.isArray(scopes) ? scopes.filter((s): s is string => typeof s === 'string') : [];
    }
    return out;
  });
}

function oauthFlows(scheme: JsonObject): Pick<SecurityScheme, 'passwordTokenUrl' | 'scopes'> {
  if (scheme.type !== 'oauth2' || !isObject(scheme.flows)) return {};
  const flows = scheme.flows;
  const password = isObject(flows.password) ? flows.password : undefined;
  const scopes = new Set<string>();
  for (const flow of Object.values(flows)) {
    if (isObject(flow) && isObject(flow.scopes)) for (const name of Object.keys(flow.scopes)) scopes.add(name);
  }
  return {
    ...(password !== undefined && typeof password.tokenUrl === 'string' ? { passwordTokenUrl: password.tokenUrl } : {}),
    scopes: [...scopes],
  };
}

function readSecuritySchemes(document: JsonObject): Record<string, SecurityScheme> {
  const components = isObject(document.components) ? document.components : {};
  const schemes = isObject(components.securitySchemes) ? components.securitySchemes : {};
  const out: Record<string, SecurityScheme> = {};
  for (const [name, raw] of Object.entries(schemes)) {
    const scheme = deref(document, raw);
    if (!isObject(scheme) || typeof scheme.type !== 'string') continue;
    out[name] = {
      name,
      type: scheme.type,
      ...(typeof scheme.in === 'string' ? { in: scheme.in } : {}),
      ...(typeof scheme.name === 'string' ? { paramName: scheme.name } : {}),
      ...(typeof scheme.scheme === 'string' ? { scheme: scheme.scheme.toLowerCase() } : {}),
      ...oauthFlows(scheme),
    };
  }
  return out;
}

/** Validates a parsed document and extracts its operations. */
export function buildSpec(parsed: Json, source: string): ApiSpec {
  if (!isObject(parsed)) fail(source, 'is not an object');
  if (typeof parsed.swagger === 'string') {
    fail(source, `is Swagger ${parsed.swagger}; only OpenAPI 3.0 and 3.1 are read. Convert it to OpenAPI 3 first.`);
  }
  const version = parsed.openapi;
  if (typeof version !== 'string' || !/^3\.[01]\.\d+/.test(version)) {
    fail(source, `has no supported \`openapi\` version (found ${JSON.stringify(version ?? null)}; expected 3.0.x or 3.1.x)`);
  }
  if (parsed.paths !== undefined && !isObject(parsed.paths)) fail(source, 'has `paths` that is not an object');

  const warnings: string[] = [];
  const unresolved: string[] = [];
  for (const { at, ref } of collectRefs(parsed)) {
    if (!ref.startsWith('#')) {
      warnings.push(`external reference ${ref} at ${at} is not followed`);
    } else if (resolvePointer(parsed, ref) === undefined) {
      unresolved.push(`${ref} (at ${at})`);
    }
  }
  if (unresolved.length > 0) {
    fail(source, `has references that point nowhere: ${unresolved.slice(0, 5).join(', ')}${unresolved.length > 5 ? ', ...' : ''}`);
  }

  const rootSecurity = readSecurity(parsed.security) ?? [];
  const operations: Operation[] = [];
  const paths = isObject(parsed.paths) ? parsed.paths : {};
  for (const [path, rawItem] of Object.entries(paths)) {
    const at = `#/paths/${escapeToken(path)}`;
    if (!path.startsWith('/')) fail(source, `has a path that does not start with "/": ${path}`);
    const item = deref(parsed, rawItem);
    if (!isObject(item)) fail(source, `has a path item that is not an object at ${at}`);
    const shared = readParameters(parsed, item.parameters, `${at}/parameters`, source, warnings);
    for (const method of METHODS) {
      const rawOperation = item[method];
      if (rawOperation === undefined) continue;
      if (!isObject(rawOperation)) fail(source, `has an operation that is not an object at ${at}/${method}`);
      const own = readParameters(parsed, rawOperation.parameters, `${at}/${method}/parameters`, source, warnings);
      const merged = new Map<string, Parameter>();
      for (const parameter of [...shared, ...own]) merged.set(`${parameter.in}:${parameter.name}`, parameter);
      for (const match of path.matchAll(/\{([^}]+)\}/g)) {
        const name = match[1]!;
        if (!merged.has(`path:${name}`)) {
          warnings.push(`path parameter {${name}} of ${method.toUpperCase()} ${path} is not declared; treated as a string`);
          merged.set(`path:${name}`, { name, in: 'path', required: true, schema: { type: 'string' } });
        }
      }
      const requestBody = readRequestBody(parsed, rawOperation.requestBody);
      operations.push({
        method: method.toUpperCase(),
        path,
        ...(typeof rawOperation.operationId === 'string' ? { operationId: rawOperation.operationId } : {}),
        ...(typeof rawOperation.summary === 'string' ? { summary: rawOperation.summary } : {}),
        ...(Array.isArray(rawOperation.tags) ? { tags: rawOperation.tags.filter((t): t is string => typeof t === 'string') } : {}),
        parameters: [...merged.values()],
        ...(requestBody === undefined ? {} : { requestBody }),
        security: readSecurity(rawOperation.security) ?? rootSecurity,
        responses: isObject(rawOperation.responses) ? Object.keys(rawOperation.responses) : [],
      });
    }
  }

  const info = isObject(parsed.info) ? parsed.info : {};
  const servers = Array.isArray(parsed.servers)
    ? parsed.servers.filter(isObject).flatMap((server) => (typeof server.url === 'string' ? [server.url] : []))
    : [];
  return {
    source,
    openapi: version,
    ...(typeof info.title === 'string' ? { title: info.title } : {}),
    document: parsed,
    operations,
    securitySchemes: readSecuritySchemes(parsed),
    servers,
    warnings,
  };
}

/** Reads and validates a spec file. */
export async function loadSpecFile(path: string): Promise<ApiSpec> {
  let text: string;
  try {
    text = await readFile(path, 'utf8');
  } catch (error) {
    const code = errorCode(error);
    const why = code === 'ENOENT' ? 'no such file' : code === 'EACCES' ? 'permission denied' : (code ?? 'unreadable');
    throw new AuditError('SPEC_UNREADABLE', `cannot read the OpenAPI document ${path}: ${why}`);
  }
  return buildSpec(parseSpecText(text, path), path);
}

/** Does the operation require authentication (no alternative without credentials)? */
export function requiresAuth(operation: Operation): boolean {
  return operation.security.length > 0 && operation.security.every((requirement) => Object.keys(requirement).length > 0);
}

/** Does `template` (e.g. `/items/{id}`) match a concrete path? */
export function matchTemplate(template: string, path: string): boolean {
  const pattern = template
    .split(/(\{[^}]+\})/)
    .map((part) => (part.startsWith('{') ? '[^/]+' : part.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')))
    .join('');
  return new RegExp(`^${pattern}/?$`).test(path);
}
