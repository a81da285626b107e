// The "Database roles" section (docs/configuration.md) stays true: its SQL is the SQL test/app/database-roles.test.ts
// runs, and its numbers and rules are read from the grants list and the code that applies it.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { SETTINGS, servingRoleMessage } from '../src/toolkit/index.ts';
import { grants } from '../src/app/migrations/grants.ts';
import { migrateCommand } from '../src/cli/migrate.ts';
import { docsPage, readmeRoleSql } from './helpers/readme.ts';

const readme = docsPage('configuration.md');

test('Database roles: the SQL, the numbers and the rules the section states (test/app/database-roles.test.ts runs them)', () => {
  const section = readme.slice(readme.indexOf('## Database roles'), readme.indexOf('## Configuration'));
  assert.ok(section.length > 0);
  // The two roles and the database, exactly as database-roles.test.ts creates them.
  assert.deepEqual(readmeRoleSql(), [
    "CREATE ROLE rampart_owner LOGIN PASSWORD '…'",
    "CREATE ROLE rampart_app LOGIN PASSWORD '…'",
    'CREATE DATABASE rampart OWNER rampart_owner',
  ]);
  assert.match(section, /export DATABASE_URL=postgres:\/\/rampart_app:…@db\.internal\/rampart\nRAMPART_MIGRATE_DATABASE_URL=postgres:\/\/rampart_owner:…@db\.internal\/rampart rampart migrate\nrampart serve\n/);
  assert.ok(SETTINGS.some((s) => s.name === 'RAMPART_MIGRATE_DATABASE_URL'));
  // "18 of the 19 tables", "row statements only", the append-only tables.
  const tables = Object.keys(grants);
  const used = tables.filter((t) => grants[t]!.length > 0);
  assert.match(section, new RegExp(`exactly what \`src/app/migrations/grants\\.ts\` lists, table by table: ${used.length} of the ${tables.length}\\s+tables, row statements only`));
  for (const table of ['deposits', 'transfers', 'ledger_entries']) assert.deepEqual([...grants[table]!].sort(), ['insert', 'select'], table);
  assert.match(section, /deposits, transfers and the ledger are insert-only, security\s+events are never updated/);
  assert.ok(!grants['security_events']!.includes('update'));
  assert.ok(Object.values(grants).every((privileges) => privileges.every((p) => ['select', 'insert', 'update', 'delete'].includes(p))));
  // The warning, as the service logs it (database-roles.test.ts checks the log).
  assert.match(section, /Production logs a warning when\s+`RAMPART_MIGRATE_DATABASE_URL` is set where the service runs/);
  assert.match(readFileSync(new URL('../src/app/app.ts', import.meta.url), 'utf8'), /RAMPART_MIGRATE_DATABASE_URL is set where the service runs/);
  // The flag, and the refusal's pointer back to this section.
  assert.ok(migrateCommand().options.some((o) => o.long === '--app-role'));
  assert.match(section, /`rampart migrate --app-role <role>` grants to another role than the user in\s+`DATABASE_URL`/);
  assert.match(servingRoleMessage({ role: 'r', problems: ['is a superuser'] }), /docs\/configuration.md, "Database roles"/);
  for (const right of ['superuser', '`CREATEROLE`', '`CREATEDB`', '`BYPASSRLS`', 'owns the schema or any of its tables', 'can create\ntables or schemas', 'member\nof a role that owns the tables']) {
    assert.ok(section.includes(right), right);
  }
});
