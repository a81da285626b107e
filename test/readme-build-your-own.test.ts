// The README's "Build your own API" is examples/notes-api: every code block it shows under a
// file name is that file's code, letter for letter, and the audit command is the one
// test/examples/notes-api.test.ts runs against the example.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { README } from './helpers/readme.ts';

const root = new URL('../', import.meta.url);
const read = (path: string): string => readFileSync(new URL(path, root), 'utf8');
const section = README.slice(README.indexOf('## Build your own API'), README.indexOf('\n## ', README.indexOf('## Build your own API') + 5));

test('the section walks through the example in under 60 lines', () => {
  assert.ok(section.startsWith('## Build your own API'));
  const lines = section.trimEnd().split('\n').length;
  assert.ok(lines < 60, `${lines} lines`);
  assert.ok(section.includes('[examples/notes-api](examples/notes-api)'));
});

test('each code block named after a file of the example is that file\'s code', () => {
  const blocks = [...section.matchAll(/`(examples\/notes-api\/[\w/.-]+)`:\n```ts\n([\s\S]*?)```/g)];
  assert.equal(blocks.length, 3);
  for (const [, path, code] of blocks) assert.ok(read(path!).includes(code!), `${path} does not hold:\n${code}`);
  assert.ok(read('examples/notes-api/src/server.ts').includes('await serve(await buildApp());'));
  assert.ok(section.includes('`src/server.ts` is `await serve(await buildApp());`'));
});

test('the names on the wire the section states are the ones the example\'s tests check', () => {
  assert.ok(section.replace(/\s+/g, ' ').includes("Tokens carry the app's own names, from its package.json: here `iss` is `notes`, not `rampart`."));
  assert.ok(read('examples/notes-api/test/notes.test.ts').includes("assert.equal(claims.iss, 'notes');"));
  assert.equal((JSON.parse(read('examples/notes-api/package.json')) as { name: string }).name, 'notes-api');
});

test('the audit command shown is the one the example\'s test runs', () => {
  const command = /```sh\n([\s\S]*?)```/.exec(section)![1]!.replace(/\\\n\s*/g, ' ');
  const runner = read('test/examples/notes-api.test.ts');
  assert.match(command, /^rampart audit http:\/\/127\.0\.0\.1:3000\/ --token-url \/v1\/auth\/token /);
  assert.ok(runner.includes("'--token-url', '/v1/auth/token'"));
  const identities = [...command.matchAll(/--identity (\S+)/g)].map((match) => match[1]!);
  assert.equal(identities.length, 3);
  for (const identity of identities) assert.ok(runner.includes(`'${identity}'`), identity);
  for (const id of ['bola.read', 'bola.delete']) assert.ok(section.includes(id) && runner.includes(`'${id}'`), id);
});
