// The names on the wire are the app's own: unset, the token issuer, audience and OAuth client
// ids come from the name in the package.json of the directory the app runs from.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { loadConfig } from '../../src/toolkit/index.ts';

function identityIn(packageJson: string | undefined, env: Record<string, string> = {}): { issuer: string; audience: string; clients: string[] } {
  const dir = mkdtempSync(join(tmpdir(), 'rampart-name-'));
  try {
    if (packageJson !== undefined) writeFileSync(join(dir, 'package.json'), packageJson);
    const { issuer, audience, clients } = loadConfig({ NODE_ENV: 'development', ...env }, dir).identity;
    return { issuer, audience, clients };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

test('from the package name, without its scope or a trailing -api', () => {
  assert.deepEqual(identityIn('{"name":"notes-api"}'), { issuer: 'notes', audience: 'notes-api', clients: ['notes-console', 'notes-cli'] });
  assert.deepEqual(identityIn('{"name":"@acme/billing"}'), { issuer: 'billing', audience: 'billing-api', clients: ['billing-console', 'billing-cli'] });
});

test('the settings win over the derived names', () => {
  const env = { RAMPART_JWT_ISSUER: 'https://notes.example', RAMPART_JWT_AUDIENCE: 'notes', RAMPART_OAUTH_CLIENTS: 'web' };
  assert.deepEqual(identityIn('{"name":"notes-api"}', env), { issuer: 'https://notes.example', audience: 'notes', clients: ['web'] });
});

test('no usable package name: the toolkit\'s (the reference service\'s package is named rampart)', () => {
  const rampart = { issuer: 'rampart', audience: 'rampart-api', clients: ['rampart-console', 'rampart-cli'] };
  for (const text of [undefined, 'not json', '{}', '{"name":42}', '{"name":"Has Spaces"}']) assert.deepEqual(identityIn(text), rampart, String(text));
  assert.deepEqual(loadConfig({ NODE_ENV: 'development' }, new URL('../..', import.meta.url).pathname).identity.issuer, 'rampart');
});
