// The README and its docs/ pages stay true: the two quick-start commands, every setting the
// loader reads, and the behaviour each stated rule names (proved where the comment says).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { settingsMarkdown } from '../src/toolkit/index.ts';
import { DOCS_PAGES, DOCUMENTATION, README, docsPage } from './helpers/readme.ts';

const readme = README;

test('the quick start is exactly the two commands', () => {
  assert.ok(readme.includes('```sh\nnpm install && npm start\n```'));
  assert.ok(readme.includes('```sh\nnpm test\n```'));
});

test('the configuration table is the one generated from the settings', () => {
  assert.ok(docsPage('configuration.md').includes(settingsMarkdown()), 'run `npm run rampart -- config --markdown` and paste the table into docs/configuration.md');
});

test('npm test first runs .ci/setup, the same script .ci/run uses, then every file under the deadline runner', () => {
  const pkg = JSON.parse(readFileSync(new URL('../package.json', import.meta.url), 'utf8')) as { scripts: Record<string, string> };
  assert.equal(pkg.scripts['pretest'], 'bash .ci/setup');
  assert.match(pkg.scripts['test']!, /npm run typecheck && npm run lint && npm run test:unit/);
  assert.equal(pkg.scripts['test:unit'], 'node test/run.ts');
  const ci = readFileSync(new URL('../.ci/run', import.meta.url), 'utf8');
  assert.match(ci, /^bash \.ci\/setup$/m);
  assert.match(ci, /^npm test$/m);
  const setup = readFileSync(new URL('../.ci/setup', import.meta.url), 'utf8');
  const paragraph = readme.slice(readme.indexOf('first runs `.ci/setup`'), readme.indexOf('`.ci/run` does the same'));
  const named = [...paragraph.matchAll(/`((?:python3-|chromium|postgresql|redis-server)[a-z-]*)`/g)].map((m) => m[1]!);
  assert.ok(named.length >= 5, paragraph);
  for (const pkgName of named) assert.match(setup, new RegExp(`\\|${pkgName}\\|`), `${pkgName} is named in the README but .ci/setup does not provide it`);
  assert.match(paragraph, /RAMPART_TEST_FILE_TIMEOUT_S/);
  assert.match(readFileSync(new URL('./run.ts', import.meta.url), 'utf8'), /RAMPART_TEST_FILE_TIMEOUT_S'\] \?\? 600/);
});

test('Node 24: a development dependency of the repository, not a dependency of the published package', () => {
  const pkg = JSON.parse(readFileSync(new URL('../package.json', import.meta.url), 'utf8')) as { engines: Record<string, string>; dependencies: Record<string, string>; devDependencies: Record<string, string> };
  assert.match(readme, /the npm package `node@\^24` is a development\s+dependency/);
  assert.equal(pkg.devDependencies['node'], '^24.21.0');
  assert.equal(pkg.dependencies['node'], undefined);
  assert.equal(pkg.engines['node'], '>=24');
});

// Each phrase is behaviour proved over a raw socket in test/toolkit/edge.test.ts ('request
// line and Host, strictly'); change both together.
test('the README states the request-line and Host rules', () => {
  const flat = DOCUMENTATION.replace(/\s+/g, ' ');
  for (const phrase of [
    'HTTP/1.0 and HTTP/1.1 request lines only (`HTTP/2.0` or `HTTP/0.9` over the HTTP/1 parser: 505)',
    'exactly one `Host` line holding `host[:port]` (port 1–65535, no userinfo) that names an allowed host, else 400',
    'an absolute-form target (`GET http://host/path HTTP/1.1`) is accepted, and its authority replaces `Host` and must name an allowed host too',
    'the handler, the logs and the CSRF origin check see the path form and that host',
    'any other target (another scheme, a fragment, CONNECT\'s authority form) is 400',
  ]) assert.ok(flat.includes(phrase), `README: ${phrase}`);
});

// Proved in test/toolkit/hostile-input.test.ts (charsets, codings) and test/app/oauth.test.ts
// (form charsets); the edge refuses codings before the body is read (src/toolkit/server/edge.ts).
test('the README says request bodies are UTF-8 and never compressed, and why', () => {
  const flat = DOCUMENTATION.replace(/\s+/g, ' ');
  for (const phrase of [
    'in UTF-8 (a `charset` other than `utf-8`: 415; bytes that are not UTF-8: 400)',
    'no compressed request bodies: any `Content-Encoding` but `identity` is 415, and any `Transfer-Encoding` but `chunked` 400',
    'the server never decompresses, because a decompression bomb is small on the wire and the body limit is measured before decoding',
  ]) assert.ok(flat.includes(phrase), `README: ${phrase}`);
  for (const dir of ['toolkit', 'app']) {
    const root = new URL(`../src/${dir}/`, import.meta.url);
    for (const file of readdirSync(root, { recursive: true, encoding: 'utf8' }).filter((name) => name.endsWith('.ts'))) {
      assert.doesNotMatch(readFileSync(new URL(file, root), 'utf8'), /\b(?:create)?(?:gunzip|inflate|inflateRaw|brotliDecompress|zstdDecompress|unzip)(?:Sync)?\s*\(|DecompressionStream/i, `src/${dir}/${file}: the README says the server never decompresses`);
    }
  }
});

// Each phrase is behaviour proved in test/audit/safety-policy.test.ts (the policy, --unsafe, the
// 5xx stop), test/audit/leave-no-trace.test.ts (snapshot, changes, exit 1, the ledger, traps),
// test/audit/checks/mass-assignment.test.ts (values, given identities) and
// test/audit/checks/business-flows.test.ts (no burst of writes); change both together.
test('the README states the auditor\'s safety rules', () => {
  const flat = DOCUMENTATION.replace(/\s+/g, ' ');
  for (const phrase of [
    'Before it writes anything it reads, with GET only, every listing, profile and listed object anonymously and as each identity',
    'when anything differs the report opens with THE AUDIT LEFT THESE CHANGES and the exit status is 1 whatever `--fail-on` says (JSON `changes`; what it could not compare, `unchecked`)',
    'Every write it sends is in the report\'s ledger (JSON `writes`: method, route, identity, why, answer, restored?)',
    'resets, seeds, initialises, installs, drops, deletes, purges, flushes, clears, shuts down or logs out is never called on anything the run did not create',
    'a GET whose path or operationId names an action (`/tasks/{id}/complete`) is the write it is; `--unsafe` names exceptions',
    'Writes without credentials carry a body that cannot be accepted (truncated JSON); identities write only to new objects and to objects the run created; bursts go only to reads and logins',
    'privileged fields are sent only with values the target accepts (the spec\'s enum, its own answers) and never to a given identity; after 3 answers 5xx to writes it writes no more',
    // test/audit/leave-no-trace.test.ts (Flask's forgot-password) and safety-policy.test.ts:
    'A route that answers 2xx to a body it should have refused is named in the notes and the ledger, and gets no further write without credentials.',
    // test/audit/accounts.test.ts (a sign-up fixture with DELETE, and the Flask twins without one):
    'When the spec has a sign-up, the audit registers accounts of its own (a unique name, a strong random password, a valid value for every required field), logs in as them and uses them, never a given identity, for privileged fields',
    'Where the spec offers no DELETE on an account it registers none, since one would stay behind, unless `--unsafe` names the sign-up (the notes say so)',
    'each is deleted at the end when the spec offers a DELETE on it, else listed as left behind on purpose (JSON `accounts`), and what the after-reads show of it is listed apart (JSON `kept`), not counted as a change',
  ]) assert.ok(flat.includes(phrase), `README: ${phrase}`);
});

// Proved in test/toolkit/json-body.test.ts (any depth, escapes, a property test) and
// test/toolkit/hostile-input.test.ts (400 with the pointer; 413 first past the body limit).
test('the README says repeated property names are refused', () => {
  const flat = DOCUMENTATION.replace(/\s+/g, ' ');
  const phrase = 'a property name written twice in one object, at any depth and however escaped (`{"amount":1,"amount":-5}`, which a last-wins parser and a first-wins proxy read differently), is 400 naming its JSON pointer, after the body limit';
  assert.ok(flat.includes(phrase), `README: ${phrase}`);
});

// Proved in test/audit/imports.test.ts (converters, secrets, merge) and
// test/audit/imports-nospec.test.ts (a Postman collection written for another host audits the fixture).
test('the README says what --har and --postman import', () => {
  const flat = DOCUMENTATION.replace(/\s+/g, ' ');
  for (const phrase of [
    '`--har file.har` (HAR 1.2, saved from the browser\'s developer tools) or `--postman collection.json` (a Postman v2.1 collection, its variables resolved and a URL that starts with a variable such as `{{baseUrl}}` sent to the audited target)',
    'ids in paths (numbers, UUIDs, long hex) become `{id}` parameters with the seen values as examples',
    'Credentials in the file only name a route\'s security: their values are never written and never act as an identity',
    'With a spec as well, the operations of both are audited.',
  ]) assert.ok(flat.includes(phrase), `README: ${phrase}`);
});

// Proved in test/cli/app-module.test.ts (routes, migrate, user add, the refusals).
test('the docs say how the commands act on the user\'s own app', () => {
  const flat = DOCUMENTATION.replace(/\s+/g, ' ');
  for (const phrase of [
    '`rampart --app src/app.ts <command>`, `RAMPART_APP=src/app.ts`, or `"rampart": { "app": "src/app.ts" }` in the package.json of the directory it runs in',
    '`routes` lists your routes, `migrate` applies the toolkit\'s migrations and yours',
    'A module that is missing, does not load or exports no factory stops the command with exit 1 and one line saying which.',
  ]) assert.ok(flat.includes(phrase), `docs: ${phrase}`);
});

// Proved in test/audit/imports-har-identities.test.ts.
test('the docs say what --identities-from-har takes', () => {
  const flat = DOCUMENTATION.replace(/\s+/g, ' ');
  for (const phrase of [
    'with `--identities-from-har`, each user the HAR signed in (a POST with a user name and a password that answered 2xx) becomes a login identity, its token sent where the browser sent it next',
    'without a sign-in, a token per JWT subject, or a single opaque credential',
  ]) assert.ok(flat.includes(phrase), `docs: ${phrase}`);
});

// Proved in test/audit/discovery/merge.test.ts (the partner spec given, --spec-only, the file).
test('the docs say discovery runs beside a spec, and what --save-discovered writes', () => {
  const flat = DOCUMENTATION.replace(/\s+/g, ' ');
  for (const phrase of [
    'beside any spec, discovery reads the target for the routes it does not list (at most 250 requests, and a tenth of the budget), and audits them with it; `--spec-only` turns that off.',
    '`--save-discovered spec.json` writes the one operation list the audit used — published, discovered and imported — as an OpenAPI document (mode 0600)',
  ]) assert.ok(flat.includes(phrase), `docs: ${phrase}`);
});

// Proved in test/audit/record.test.ts (the spawned command, SIGINT, mode, no credentials, loopback).
test('the docs say what `rampart audit record` does', () => {
  const flat = DOCUMENTATION.replace(/\s+/g, ' ');
  for (const phrase of [
    'is a proxy on loopback only (it refuses any other address, since whatever reaches it is sent on with the caller\'s credentials)',
    'rewrites the OpenAPI 3.1 document after each one (mode 0600)',
    'it names the header or cookie a credential travelled in, never its value',
  ]) assert.ok(flat.includes(phrase), `docs: ${phrase}`);
});

// A newcomer reads the README in one sitting; the reference lives in docs/, every page linked.
test('the README is short, links every docs/ page, and every relative link resolves', () => {
  const lines = readme.split('\n').length;
  assert.ok(lines < 250, `README.md has ${lines} lines; move reference material to docs/`);
  assert.ok(DOCS_PAGES.size >= 5);
  for (const name of DOCS_PAGES.keys()) assert.ok(readme.includes(`](docs/${name})`), `README does not link docs/${name}`);
  const pages: [string, string][] = [['', readme], ...[...DOCS_PAGES].map(([name, text]): [string, string] => [`docs/${name}`, text])];
  for (const [from, text] of pages) {
    for (const [, target] of text.matchAll(/\]\(((?!https?:|#|mailto:)[^)\s#]+)(?:#[^)]*)?\)/g)) {
      const base = new URL(from === '' ? '../' : `../${from}`, import.meta.url);
      assert.ok(existsSync(new URL(target!, base)), `${from || 'README.md'} links ${target}, which does not exist`);
    }
  }
  const pkg = JSON.parse(readFileSync(new URL('../package.json', import.meta.url), 'utf8')) as { files: string[] };
  assert.ok(pkg.files.includes('docs/'), 'the published package ships docs/, which the README and error messages name');
});
