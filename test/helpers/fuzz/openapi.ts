// Requests for every operation of an OpenAPI 3.1 document, built from its own schemas:
// parameters in the path, query and headers, and bodies of each media type it declares
// (JSON, forms, multipart uploads) — plus the malformed variants a hostile client sends.
import { toJsonText, toText, valueFor, type Schema, type ValueSource } from './values.ts';
import type { Random } from './random.ts';

export interface Parameter {
  name: string;
  in: 'path' | 'query' | 'header' | 'cookie';
  required: boolean;
  schema: Schema;
}

export interface Operation {
  method: string;
  /** The path template, `/v1/orders/{id}`. */
  path: string;
  parameters: Parameter[];
  /** Media type → body schema. */
  bodies: [string, Schema][];
  /** No security requirement: anyone may call it. */
  public: boolean;
  /** Whether a body field is a password: such requests cost a password hash. */
  checksPassword: boolean;
}

export interface FuzzRequest {
  method: string;
  url: string;
  headers: Record<string, string>;
  payload?: string | Buffer;
}

type Document = { paths?: Record<string, Record<string, Record<string, unknown>>>; components?: { schemas?: Record<string, Schema> } };

const METHODS = ['get', 'put', 'post', 'delete', 'patch', 'head', 'options'];

/** Follows local `$ref`s (`#/components/schemas/X`). */
function resolve(document: Document, schema: unknown): Schema {
  let node = schema as Schema | undefined;
  for (let hops = 0; typeof node?.$ref === 'string' && hops < 10; hops++) {
    const path = node.$ref.replace(/^#\//, '').split('/');
    node = path.reduce<unknown>((at, step) => (at as Record<string, unknown> | undefined)?.[step], document) as Schema | undefined;
  }
  return node ?? {};
}

export function operationsOf(document: Document): Operation[] {
  const operations: Operation[] = [];
  for (const [path, item] of Object.entries(document.paths ?? {})) {
    for (const method of METHODS) {
      const operation = item[method];
      if (operation === undefined) continue;
      const parameters = ((operation.parameters ?? []) as Record<string, unknown>[]).map((p) => ({
        name: String(p.name),
        in: p.in as Parameter['in'],
        required: p.required === true,
        schema: resolve(document, p.schema),
      }));
      const content = ((operation.requestBody as { content?: Record<string, { schema?: unknown }> } | undefined)?.content ?? {});
      const bodies = Object.entries(content).map(([media, { schema }]): [string, Schema] => [media, resolve(document, schema)]);
      const security = operation.security as unknown[] | undefined;
      operations.push({
        method: method.toUpperCase(),
        path,
        parameters,
        bodies,
        public: security === undefined || security.length === 0 || security.some((requirement) => Object.keys(requirement as object).length === 0),
        checksPassword: bodies.some(([, schema]) => Object.keys((schema.properties ?? {})).some((name) => /password/i.test(name))),
      });
    }
  }
  return operations;
}

const GARBAGE_QUERY = ['%zz', 'a[b]=1', '__proto__[admin]=1', 'constructor.prototype.admin=1', '&&&', '=x', 'x', `${'q'.repeat(300)}=1`, 'limit=1&limit=2', '%00=%00'];
const WRONG_TYPES = ['text/plain', 'application/xml', 'application/json; charset=utf-16', 'application/json; charset=latin1', 'application/x-www-form-urlencoded', 'multipart/form-data', 'application/json;;', 'application/jsonx', '*/*'];

function encodePath(random: Random, raw: string): string {
  const text = raw.toWellFormed();
  return random.weighted<() => string>([
    [8, () => encodeURIComponent(text)],
    [1, () => text.replace(/[\s?#%]/g, encodeURIComponent)],
    [1, () => encodeURIComponent(encodeURIComponent(text))],
  ])();
}

export function requestFor(operation: Operation, source: ValueSource): FuzzRequest {
  const { random } = source;
  const text = { ...source, text: true };
  let url = operation.path.replace(/\{([^}]+)\}/g, (_match, name: string, offset: number) => {
    const parameter = operation.parameters.find((p) => p.in === 'path' && p.name === name);
    // `{id}` takes ids seen under the segment before it (`/v1/orders/{id}`: order ids).
    const segment = operation.path.slice(0, offset).replace(/\/$/, '').split('/').pop() ?? name;
    return encodePath(random, toText(valueFor(parameter?.schema, { ...text, ids: (hint) => source.ids(hint === name ? segment : hint) }, name)));
  });
  const query = new URLSearchParams();
  const headers: Record<string, string> = {};
  for (const parameter of operation.parameters) {
    if (parameter.in === 'path') continue;
    if (!parameter.required && !random.chance(0.6)) continue;
    const value = valueFor(parameter.schema, text, parameter.name);
    if (parameter.in === 'query') {
      for (const item of Array.isArray(value) ? value : [value]) query.append(parameter.name, toText(item));
    } else if (parameter.in === 'header') {
      const header = toText(value);
      // A client library cannot send what HTTP cannot carry; everything else goes.
      if (/^[\t\x20-\x7e\x80-\xff]*$/.test(header)) headers[parameter.name] = header;
    }
  }
  if (random.chance(0.1)) {
    // Headers every route meets, whatever it declares: a hostile client sends them anywhere.
    const [name, value] = random.pick<[string, string]>([
      ['origin', 'http://localhost'], ['origin', 'https://evil.example'], ['origin', 'null'], ['sec-fetch-site', 'same-origin'], ['sec-fetch-site', 'cross-site'],
      ['cookie', '__Host-session=not-a-session'], ['cookie', `__Host-session=${'a'.repeat(64)}; other=1`], ['x-api-key', 'rmp_notakey'], ['x-api-key', ''],
      ['x-forwarded-for', '203.0.113.9, 10.0.0.1'], ['x-forwarded-proto', 'https'], ['x-csrf-token', 'x'], ['accept', 'text/html'], ['range', 'bytes=0-1'],
      ['if-none-match', '*'], ['authorization', 'Basic bWV0cmljczp3cm9uZw=='], ['authorization', 'ApiKey rmp_x'], ['x-http-method-override', 'DELETE'],
    ]);
    if (name !== 'authorization' || headers.authorization === undefined) headers[name] = value;
  }
  let search = query.toString();
  if (random.chance(source.stray / 2)) search += `${search ? '&' : ''}${random.chance(0.5) ? random.pick(GARBAGE_QUERY) : `${random.pick(['role', 'admin', 'ownerId', 'debug', 'fields'])}=1`}`;
  if (search) url += `?${search}`;
  const request: FuzzRequest = { method: operation.method, url, headers };
  if (operation.bodies.length > 0 || random.chance(0.05)) addBody(request, operation, source);
  return request;
}

function addBody(request: FuzzRequest, operation: Operation, source: ValueSource): void {
  const { random } = source;
  const [media, schema] = operation.bodies.length > 0 ? random.pick(operation.bodies) : ['application/json', {}];
  const value = valueFor(schema, source);
  let type = media;
  let payload: string | Buffer;
  if (media === 'multipart/form-data') {
    const boundary = `----fuzz${random.string(12, 'abcdef0123456789')}`;
    type = `multipart/form-data; boundary=${boundary}`;
    payload = multipart(boundary, schema, source);
  } else if (media === 'application/x-www-form-urlencoded') {
    const form = new URLSearchParams();
    if (typeof value === 'object' && value !== null) {
      for (const [key, inner] of Object.entries(value)) for (const item of Array.isArray(inner) ? inner : [inner]) form.append(key, toText(item));
    }
    payload = form.toString();
  } else {
    payload = toJsonText(value);
  }
  if (random.chance(source.stray / 2)) {
    [type, payload] = random.weighted<() => [string, string | Buffer]>([
      [3, () => [random.pick(WRONG_TYPES), payload]],
      [2, () => [type, typeof payload === 'string' ? payload.slice(0, random.int(0, payload.length)) : payload.subarray(0, random.int(0, payload.length))]],
      [1, () => [type, '']],
      [1, () => [type, `${'['.repeat(random.int(30, 3000))}${']'.repeat(random.int(0, 30))}`]],
      [1, () => [type, `{"a":1,"a":2,"b":{"c":1,"c":2}}`]],
      [1, () => [type, Buffer.from([0xff, 0xfe, 0x7b, 0x00, 0x7d, 0x00])]],
      [0.1, () => [type, `{"pad":"${'x'.repeat(random.int(100_000, 1_200_000))}"}`]],
    ])();
    if (random.chance(0.1)) request.headers['content-encoding'] = random.pick(['gzip', 'br', 'deflate', 'identity', 'x-unknown']);
  }
  request.headers['content-type'] = type;
  request.payload = payload;
}

const SAMPLE_FILES: Readonly<Record<string, (random: Random) => Buffer>> = {
  png: (random) => Buffer.concat([Buffer.from('89504e470d0a1a0a0000000d49484452', 'hex'), random.bytes(random.int(0, 512))]),
  jpeg: (random) => Buffer.concat([Buffer.from('ffd8ffe000104a464946', 'hex'), random.bytes(random.int(0, 512))]),
  pdf: (random) => Buffer.concat([Buffer.from('%PDF-1.7\n'), random.bytes(random.int(0, 512))]),
  gif: (random) => Buffer.concat([Buffer.from('GIF89a'), random.bytes(random.int(0, 256))]),
  eicar: () => Buffer.from('X5O!P%@AP[4\\PZX54(P^)7CC)7}$EICAR-STANDARD-ANTIVIRUS-TEST-FILE!$H+H*'),
  html: () => Buffer.from('<html><script>alert(1)</script></html>'),
  svg: () => Buffer.from('<svg xmlns="http://www.w3.org/2000/svg" onload="alert(1)"/>'),
  random: (random) => random.bytes(random.int(0, 4096)),
  empty: () => Buffer.alloc(0),
  large: (random) => Buffer.concat([Buffer.from('89504e470d0a1a0a', 'hex'), Buffer.alloc(random.int(64 * 1024, 6 * 1024 * 1024))]),
};
const FILE_NAMES = ['photo.png', 'scan.pdf', 'a.jpg', 'x.gif', '../../etc/passwd', '..\\..\\boot.ini', 'invoice\u202egnp.exe', 'con', '.htaccess', 'a'.repeat(400), 'naïve café.png', '', 'with"quote.png', 'semi;colon.pdf', 'new\r\nline.png', '%00.png'];

function multipart(boundary: string, schema: Schema, source: ValueSource): Buffer {
  const { random } = source;
  const parts: Buffer[] = [];
  const properties = Object.entries((schema.properties ?? {}) as Record<string, Schema>);
  const field = (name: string): string => (random.chance(source.stray) ? random.pick(['other', 'files', 'file[]', '__proto__', '', name.toUpperCase()]) : name);
  for (const [name, inner] of properties) {
    const copies = random.chance(source.stray / 2) ? random.int(0, 3) : 1;
    for (let i = 0; i < copies; i++) {
      if (inner.contentMediaType !== undefined || inner.format === 'binary') {
        const kind = random.weighted<string>([[4, 'png'], [2, 'jpeg'], [2, 'pdf'], [1, 'gif'], [1, 'eicar'], [1, 'html'], [1, 'svg'], [2, 'random'], [1, 'empty'], [0.05, 'large']]);
        const filename = random.chance(0.7) ? random.pick(FILE_NAMES.slice(0, 4)) : random.pick(FILE_NAMES);
        const declared = random.pick(['image/png', 'application/pdf', 'application/octet-stream', 'text/html', 'image/svg+xml']);
        parts.push(Buffer.from(`--${boundary}\r\nContent-Disposition: form-data; name="${field(name)}"; filename="${filename}"\r\nContent-Type: ${declared}\r\n\r\n`), SAMPLE_FILES[kind]!(random), Buffer.from('\r\n'));
      } else {
        parts.push(Buffer.from(`--${boundary}\r\nContent-Disposition: form-data; name="${field(name)}"\r\n\r\n${toText(valueFor(inner, source, name))}\r\n`));
      }
    }
  }
  if (random.chance(source.stray / 2)) parts.push(Buffer.from(`--${boundary}\r\nContent-Disposition: form-data; name="note"\r\n\r\nextra field\r\n`));
  if (!random.chance(source.stray / 4)) parts.push(Buffer.from(`--${boundary}--\r\n`));
  return Buffer.concat(parts);
}
