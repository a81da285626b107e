// What the PostgreSQL role a server connects as could do beyond reading and writing rows. An
// injection or a compromised process acts with this role's rights: it must not own the schema
// or a table (owners DROP, ALTER, TRUNCATE and GRANT), create tables, be a superuser, create
// roles or databases, bypass row-level security, or be able to become a role that can. SQLite
// has no roles: nothing to check.
import { sql } from 'kysely';
import type { AnyDatabase } from './database.ts';

export interface ServingRoleReport {
  role: string;
  /** One short phrase per right the role should not have; empty when it may serve. */
  problems: string[];
}

// Predefined roles that read or write the server's files or run programs on it (COPY … PROGRAM).
const DANGEROUS_PREDEFINED = ['pg_execute_server_program', 'pg_read_server_files', 'pg_write_server_files'];

interface RoleRow {
  role: string;
  schema: string | null;
  rolsuper: boolean;
  rolcreaterole: boolean;
  rolcreatedb: boolean;
  rolbypassrls: boolean;
  schema_owner: string | null;
  owns_schema: boolean;
  create_in: string[];
  create_database: boolean;
}

export async function inspectServingRole(database: AnyDatabase): Promise<ServingRoleReport | undefined> {
  if (database.dialect !== 'postgres') return undefined;
  const db = database.db;
  const { rows } = await sql<RoleRow>`
    select current_user as role, current_schema() as schema,
      r.rolsuper, r.rolcreaterole, r.rolcreatedb, r.rolbypassrls,
      pg_get_userbyid(n.nspowner) as schema_owner,
      coalesce(pg_has_role(current_user, n.nspowner, 'MEMBER'), false) as owns_schema,
      array(select s.nspname::text from pg_namespace s
            where s.nspname not like 'pg\\_%' and s.nspname <> 'information_schema'
              and has_schema_privilege(s.oid, 'CREATE') order by 1) as create_in,
      has_database_privilege(current_database(), 'CREATE') as create_database
    from pg_roles r left join pg_namespace n on n.nspname = current_schema()
    where r.rolname = current_user`.execute(db);
  const me = rows[0]!;
  const problems: string[] = [];
  if (me.rolsuper) {
    // A superuser can do everything below and more; the rest would only repeat it.
    return { role: me.role, problems: ['is a superuser'] };
  }
  if (me.rolcreaterole) problems.push('has CREATEROLE');
  if (me.rolcreatedb) problems.push('has CREATEDB');
  if (me.rolbypassrls) problems.push('has BYPASSRLS');
  if (me.owns_schema && me.schema !== null) {
    const owner = me.schema_owner ?? '?';
    // PostgreSQL 15 gives schema public to pg_database_owner: the database's owner owns it.
    if (owner === me.role) problems.push(`owns schema "${me.schema}"`);
    else if (owner === 'pg_database_owner') problems.push(`owns schema "${me.schema}" (as the owner of the database, or a member of its owner)`);
    else problems.push(`is a member of "${owner}", which owns schema "${me.schema}"`);
  }
  if (me.create_in.length > 0) problems.push(`can create tables (CREATE on schema ${me.create_in.map((s) => `"${s}"`).join(', ')})`);
  if (me.create_database) problems.push('can create schemas (CREATE on the database)');
  if (me.schema !== null) {
    const { rows: owned } = await sql<{ owner: string; tables: string[] }>`
      select pg_get_userbyid(c.relowner) as owner, array_agg(c.relname::text order by c.relname) as tables
      from pg_class c join pg_namespace n on n.oid = c.relnamespace
      where n.nspname = ${me.schema} and c.relkind in ('r', 'p', 'v', 'm', 'f', 'S')
        and pg_has_role(current_user, c.relowner, 'MEMBER')
      group by c.relowner order by 1`.execute(db);
    for (const { owner, tables } of owned) {
      const which = tables.length <= 3 ? tables.join(', ') : `${tables.slice(0, 3).join(', ')} and ${tables.length - 3} more`;
      problems.push(owner === me.role ? `owns tables (${which})` : `is a member of "${owner}", which owns tables (${which})`);
    }
  }
  const { rows: powerful } = await sql<{ name: string; rights: string[] }>`
    select r.rolname::text as name, array_remove(array[
        case when r.rolsuper then 'superuser' end, case when r.rolcreaterole then 'CREATEROLE' end,
        case when r.rolcreatedb then 'CREATEDB' end, case when r.rolbypassrls then 'BYPASSRLS' end,
        case when r.rolname = any(${DANGEROUS_PREDEFINED}::text[]) then 'server files and programs' end], null) as rights
    from pg_roles r
    where r.rolname <> current_user and pg_has_role(current_user, r.oid, 'MEMBER')
      and (r.rolsuper or r.rolcreaterole or r.rolcreatedb or r.rolbypassrls or r.rolname = any(${DANGEROUS_PREDEFINED}::text[]))
    order by 1`.execute(db);
  for (const { name, rights } of powerful) problems.push(`is a member of "${name}" (${rights.join(', ')}), which it can SET ROLE to`);
  return { role: me.role, problems };
}

/** The one message for a role that must not serve: what it can do, and how to fix it. */
export function servingRoleMessage(report: ServingRoleReport): string {
  return (
    `the database role "${report.role}" may not serve in production: it ${report.problems.join('; it ')}. ` +
    'Serve as a role that only reads and writes rows (CREATE ROLE rampart_app LOGIN: no SUPERUSER, CREATEDB, CREATEROLE or BYPASSRLS, ' +
    'a member of no other role, owning nothing), point DATABASE_URL at it, and run `rampart migrate` with ' +
    'RAMPART_MIGRATE_DATABASE_URL naming the owner role, which grants it what each table needs (docs/configuration.md, "Database roles")'
  );
}
