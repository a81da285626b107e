import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, test } from 'node:test';
import { AuditError } from '../../src/audit/errors.ts';
import { buildSpec, loadSpecFile, matchTemplate, parseSpecText, requiresAuth } from '../../src/audit/spec/load.ts';
import { RequestPlanner } from '../../src/audit/spec/request.ts';
import { passwordFields, synthesize } from '../../src/audit/spec/synth.ts';
import { ValueBank } from '../../src/audit/spec/values.ts';
import { Target } from '../../src/audit/target.ts';
import { SPEC_PATH } from './helpers.ts';
import { closeAll } from '../helpers/close-all.ts';

const dir = mkdtempSync(join(tmpdir(), 'rampart-spec-'));
after(() => closeAll(() => rmSync(dir, { recursive: true, force: true })));

function write(name: string, text: string): string {
  const path = join(dir, name);
  writeFileSync(path, text);
  return path;
}

async function rejects(promise: Promise<unknown>, code: string, message: RegExp): Promise<void> {
  await assert.rejects(promise, (error: unknown) => {
    assert.ok(error instanceof AuditError);
    assert.equal(error.code, code);
    assert.match(error.message, message);
    return true;
  });
}

const SPEC_30 = {
  openapi: '3.0.3',
  info: { title: 'pets', version: '1' },
  security: [{ bearer: [] }],
  paths: {
    '/pets/{petId}': {
      parameters: [{ $ref: '#/components/parameters/PetId' }],
      get: {
        parameters: [{ name: 'fields', in: 'query', schema: { type: 'string', enum: ['name', 'age'] } }],
        responses: { '200': { description: 'ok' } },
      },
      put: {
        security: [],
        requestBody: { $ref: '#/components/requestBodies/Pet' },
        responses: { '200': { description: 'ok' } },
      },
    },
    '/public': { get: { security: [{}, { bearer: [] }], responses: { '200': { description: 'ok' } } } },
  },
  components: {
    parameters: { PetId: { name: 'petId', in: 'path', required: true, schema: { type: 'integer', minimum: 10 } } },
    requestBodies: { Pet: { content: { 'application/json': { schema: { $ref: '#/components/schemas/Pet' } } } } },
    securitySchemes: { bearer: { type: 'http', scheme: 'Bearer' } },
    schemas: {
      Pet: {
        allOf: [{ $ref: '#/components/schemas/Named' }],
        type: 'object',
        required: ['age', 'owner'],
        properties: { age: { type: 'integer', minimum: 1 }, owner: { $ref: '#/components/schemas/Owner' }, id: { type: 'integer', readOnly: true } },
      },
      Named: { type: 'object', required: ['name'], properties: { name: { type: 'string', minLength: 8 } } },
      Owner: { type: 'object', required: ['email', 'friend'], properties: { email: { type: 'string', format: 'email' }, friend: { $ref: '#/components/schemas/Owner' } } },
    },
  },
};

describe('spec loading', () => {
  test('reads the fixture spec (YAML, OpenAPI 3.1) with its operations, security and servers', async () => {
    const spec = await loadSpecFile(SPEC_PATH);
    assert.equal(spec.openapi, '3.1.0');
    // The fixture grows as flaws are planted in it: the Auditor I operations are the first 15.
    assert.ok(spec.operations.length >= 15);
    assert.equal(spec.securitySchemes.oauth2?.passwordTokenUrl, '/auth/token', 'the OAuth2 password flow gives the token URL');
    assert.deepEqual(spec.securitySchemes.oauth2.scopes, ['admin']);
    const invoices = spec.operations.find((o) => o.path === '/invoices')!;
    assert.deepEqual(invoices.security, [{ bearerAuth: ['invoices:read'] }]);
    assert.equal(requiresAuth(invoices), true);
    assert.equal(requiresAuth(spec.operations.find((o) => o.path === '/items')!), false);
    assert.deepEqual(spec.securitySchemes.apiKeyAuth, { name: 'apiKeyAuth', type: 'apiKey', in: 'header', paramName: 'X-API-Key' });
    assert.deepEqual(spec.servers, ['https://api.example.com/v1']);
    const items = spec.operations.find((o) => o.path === '/items')!;
    assert.deepEqual(items.parameters.map((p) => [p.name, p.schema?.maximum]), [['limit', 100], ['offset', undefined]]);
  });

  test('reads JSON OpenAPI 3.0: path-level parameters, $ref parameters and bodies, effective security', async () => {
    const spec = await loadSpecFile(write('pets.json', JSON.stringify(SPEC_30)));
    const get = spec.operations.find((o) => o.method === 'GET' && o.path === '/pets/{petId}')!;
    assert.deepEqual(get.parameters.map((p) => `${p.in}:${p.name}`), ['path:petId', 'query:fields']);
    assert.deepEqual(get.security, [{ bearer: [] }], 'inherits the document security');
    const put = spec.operations.find((o) => o.method === 'PUT')!;
    assert.deepEqual(put.security, [], 'an empty list turns authentication off');
    assert.equal(put.requestBody?.contentType, 'application/json');
    assert.equal(requiresAuth(spec.operations.find((o) => o.path === '/public')!), false, '{} makes credentials optional');
  });

  test('refuses what it cannot read, saying why and where', async () => {
    await rejects(loadSpecFile(join(dir, 'missing.yaml')), 'SPEC_UNREADABLE', /no such file/);
    await rejects(loadSpecFile(write('bad.yaml', 'openapi: 3.1.0\npaths:\n  /a: [unclosed\n')), 'SPEC_INVALID', /not valid YAML|neither JSON nor valid YAML.*line/);
    await rejects(loadSpecFile(write('bad.json', '{"openapi": "3.0.0", ')), 'SPEC_INVALID', /not valid JSON/);
    await rejects(loadSpecFile(write('swagger.json', '{"swagger": "2.0", "paths": {}}')), 'SPEC_INVALID', /Swagger 2\.0.*OpenAPI 3/);
    await rejects(loadSpecFile(write('v4.yaml', 'openapi: 4.0.0\npaths: {}\n')), 'SPEC_INVALID', /3\.0\.x or 3\.1\.x/);
    await rejects(
      loadSpecFile(write('dangling.yaml', "openapi: 3.0.0\npaths:\n  /a:\n    get:\n      parameters:\n        - $ref: '#/components/parameters/Nope'\n")),
      'SPEC_INVALID',
      /#\/components\/parameters\/Nope/,
    );
  });

  test('a YAML alias bomb is refused instead of expanded', () => {
    const bomb = ['a: &a [x, x, x, x, x, x, x, x, x, x]', ...Array.from({ length: 8 }, (_, i) => `${String.fromCharCode(98 + i)}: &${String.fromCharCode(98 + i)} [${Array(10).fill(`*${String.fromCharCode(97 + i)}`).join(', ')}]`)].join('\n');
    assert.throws(() => parseSpecText(bomb, 'bomb.yaml'), AuditError);
  });
});

describe('value synthesis', () => {
  const doc = SPEC_30 as never;

  test('builds a body the schema accepts: allOf merged, refs followed, formats and bounds honoured, readOnly left out', () => {
    const body = synthesize(doc, { $ref: '#/components/schemas/Pet' }) as Record<string, unknown>;
    assert.equal(body.age, 1);
    assert.equal((body.name as string).length, 8);
    assert.equal(body.id, undefined);
    const owner = body.owner as Record<string, unknown>;
    assert.equal(owner.email, 'audit@example.com');
  });

  test('stops on recursive schemas', () => {
    assert.doesNotThrow(() => synthesize(doc, { $ref: '#/components/schemas/Owner' }));
  });

  test('prefers examples, then defaults, then enums', () => {
    assert.equal(synthesize(doc, { type: 'integer', example: 7, default: 3 }), 7);
    assert.equal(synthesize(doc, { type: 'integer', default: 3 }), 3);
    assert.equal(synthesize(doc, { type: 'string', enum: ['b', 'c'] }), 'b');
    assert.equal(synthesize(doc, { type: ['null', 'string'], format: 'uuid' }), '3f2504e0-4f89-41d3-9a0c-0305e82c3301');
    assert.equal(synthesize(doc, { type: 'integer', exclusiveMinimum: 5 }), 6);
  });

  test('finds password fields', () => {
    assert.deepEqual(passwordFields(doc, { type: 'object', properties: { user: { type: 'string' }, password: { type: 'string', format: 'password' } } }), ['password']);
    assert.deepEqual(passwordFields(doc, { $ref: '#/components/schemas/Pet' }), []);
  });
});

describe('requests from the spec', () => {
  test('fills path values from what a listing revealed, falling back to the spec', () => {
    const spec = buildSpec(SPEC_30 as never, 'pets.json');
    const values = new ValueBank();
    const planner = new RequestPlanner(spec, new Target(new URL('http://127.0.0.1:9/api/')), values);
    const get = spec.operations.find((o) => o.method === 'GET' && o.path === '/pets/{petId}')!;
    assert.equal(planner.plan(get).url.href, 'http://127.0.0.1:9/api/pets/10');
    values.learn('/pets', [{ petId: 42 }, { petId: 43 }]);
    assert.equal(planner.plan(get).url.href, 'http://127.0.0.1:9/api/pets/42');
    const probe = planner.plan(get, { values: { petId: "1' OR '1'='1", fields: 'age' } });
    assert.equal(probe.url.href, "http://127.0.0.1:9/api/pets/1'%20OR%20'1'%3D'1?fields=age");
    assert.equal(planner.plan(get, { rawPath: { petId: '%E0%A4%A' } }).url.pathname, '/api/pets/%E0%A4%A');
  });

  test('uses the spec server path when the base URL has none', () => {
    const spec = buildSpec({ ...SPEC_30, servers: [{ url: 'https://api.example.com/v2' }] } as never, 'pets.json');
    const target = new Target(new URL('http://127.0.0.1:9/'), spec);
    assert.equal(target.url('/pets/1').href, 'http://127.0.0.1:9/v2/pets/1');
    assert.equal(target.routeOf(new URL('http://127.0.0.1:9/v2/pets/1')), '/pets/1');
  });

  test('matches concrete paths to templates', () => {
    assert.ok(matchTemplate('/items/{id}', '/items/12'));
    assert.ok(matchTemplate('/items/{id}', '/items/12/'));
    assert.ok(!matchTemplate('/items/{id}', '/items/12/parts'));
    assert.ok(!matchTemplate('/items', '/items-legacy'));
  });
});
