// The README stays true: the two quick-start commands, and every setting the loader reads.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { settingsMarkdown } from '../src/toolkit/index.ts';

const readme = readFileSync(new URL('../README.md', import.meta.url), 'utf8');

test('the quick start is exactly the two commands', () => {
  assert.ok(readme.includes('```sh\nnpm install && npm start\n```'));
  assert.ok(readme.includes('```sh\nnpm test\n```'));
});

test('the configuration table is the one generated from the settings', () => {
  assert.ok(readme.includes(settingsMarkdown()), 'run `npm run rampart -- config --markdown` and paste the table into the README');
});
