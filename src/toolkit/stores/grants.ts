// Least privilege on PostgreSQL: the role that owns the schema migrates, another role serves,
// and that one gets, table by table, exactly the DML a committed list names — nothing else.
// applyGrants runs as the owner after every migration run, so the list is the whole truth: a
// privilege removed from it is revoked, a table missing from it stops the run, and default
// privileges left by hand-written recipes (`ALTER DEFAULT PRIVILEGES … GRANT … ON TABLES`)
// cannot hand new tables to the application behind the list's back. SQLite has no roles.
import { sql, type Kysely } from 'kysely';
import type { AnyDatabase } from './database.ts';
import { StoreError } from './errors.ts';

/** Row-level statements only: never TRUNCATE, REFERENCES, TRIGGER, or anything on the schema. */
export type TablePrivilege = 'select' | 'insert' | 'update' | 'delete';

/** Every table of the schema, with what the application role may do to it (`[]`: nothing). */
export type TableGrants = Readonly<Record<string, readonly TablePrivilege[]>>;

export interface GrantsApplied {
  role: string;
  schema: string;
  /** Tables the role may use at all (some privilege listed). */
  granted: number;
  /** Tables listed with no privilege (the role cannot touch them). */
  withheld: number;
  /** Sequences of granted tables the role may draw from (serial and identity columns). */
  sequences: number;
}

const PRIVILEGES: readonly TablePrivilege[] = ['select', 'insert', 'update', 'delete'];

/**
 * Grants `role` exactly `grants` on the tables of the connection's current schema, revoking
 * everything else it held there, in one transaction. Run it as the owner (`rampart migrate`).
 */
export async function applyGrants(database: AnyDatabase, grants: TableGrants, role: string): Promise<GrantsApplied | undefined> {
  if (database.dialect !== 'postgres') return undefined;
  for (const [table, privileges] of Object.entries(grants)) {
    const unknown = privileges.filter((p) => !PRIVILEGES.includes(p));
    if (unknown.length > 0) throw new TypeError(`grants for ${table}: ${unknown.join(', ')} is not one of ${PRIVILEGES.join(', ')}`);
  }
  return database.db.transaction().execute(async (trx) => {
    const db = trx as unknown as Kysely<unknown>;
    // Two runs at once (two deploys, two development boots) would fail on the same catalog
    // rows ("tuple concurrently updated"): the second waits for the first to commit.
    await sql`select pg_advisory_xact_lock(hashtext('rampart.applyGrants'))`.execute(db);
    const { rows: about } = await sql<{ me: string; schema: string | null; exists: boolean }>`
      select current_user as me, current_schema() as schema, exists(select 1 from pg_roles where rolname = ${role}) as exists`.execute(db);
    const { me, schema, exists } = about[0]!;
    if (schema === null) throw new StoreError('ERR_STORE_INVALID_ARGUMENT', 'grants: the connection has no current schema (search_path names no existing schema)');
    if (role === me) throw new StoreError('ERR_STORE_INVALID_ARGUMENT', `grants: the application role "${role}" is the role migrating; serve as another role (docs/configuration.md, "Database roles")`);
    if (!exists) throw new StoreError('ERR_STORE_INVALID_ARGUMENT', `grants: role "${role}" does not exist; create it first: CREATE ROLE ${quoteIdent(role)} LOGIN PASSWORD '…'`);
    const { rows: tables } = await sql<{ name: string }>`
      select c.relname as name from pg_class c
      where c.relnamespace = (select oid from pg_namespace where nspname = ${schema})
        -- tables, partitioned tables, views, materialized views, foreign tables
        and c.relkind in ('r', 'p', 'v', 'm', 'f')
      order by c.relname`.execute(db);
    const present = new Set(tables.map((t) => t.name));
    const unlisted = [...present].filter((t) => !Object.hasOwn(grants, t));
    const missing = Object.keys(grants).filter((t) => !present.has(t));
    if (unlisted.length > 0 || missing.length > 0) {
      const parts = [
        unlisted.length > 0 ? `not in the grants list (add each, with [] if the application never touches it): ${unlisted.join(', ')}` : '',
        missing.length > 0 ? `listed but not in schema "${schema}": ${missing.join(', ')}` : '',
      ].filter((p) => p !== '');
      throw new StoreError('ERR_STORE_INVALID_ARGUMENT', `grants refused; nothing was granted or revoked. Tables ${parts.join('; tables ')}`);
    }
    const to = sql.id(role);
    const inSchema = sql.id(schema);
    await sql`revoke create on schema ${inSchema} from public`.execute(db);
    await sql`grant usage on schema ${inSchema} to ${to}`.execute(db);
    await sql`revoke all on all tables in schema ${inSchema} from ${to}`.execute(db);
    await sql`revoke all on all sequences in schema ${inSchema} from ${to}`.execute(db);
    await sql`revoke all on all functions in schema ${inSchema} from ${to}`.execute(db);
    for (const kind of [sql`tables`, sql`sequences`, sql`functions`]) {
      await sql`alter default privileges in schema ${inSchema} revoke all on ${kind} from ${to}`.execute(db);
      await sql`alter default privileges revoke all on ${kind} from ${to}`.execute(db);
    }
    let granted = 0;
    let sequences = 0;
    for (const [table, privileges] of Object.entries(grants)) {
      if (privileges.length === 0) continue;
      granted += 1;
      const list = sql.raw(privileges.join(', '));
      await sql`grant ${list} on table ${sql.id(schema, table)} to ${to}`.execute(db);
      if (!privileges.includes('insert')) continue;
      // Serial and identity columns draw from sequences the table owns: inserting needs them.
      const { rows: owned } = await sql<{ name: string }>`
        select s.relname as name from pg_depend d
        join pg_class s on s.oid = d.objid and s.relkind = 'S'
        where d.refobjid = ${`${quoteIdent(schema)}.${quoteIdent(table)}`}::regclass and d.deptype in ('a', 'i')`.execute(db);
      for (const sequence of owned) {
        await sql`grant usage on sequence ${sql.id(schema, sequence.name)} to ${to}`.execute(db);
        sequences += 1;
      }
    }
    return { role, schema, granted, withheld: Object.keys(grants).length - granted, sequences };
  });
}

function quoteIdent(name: string): string {
  return `"${name.replaceAll('"', '""')}"`;
}
