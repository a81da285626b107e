// The storage layer's public API. Code above it sees only these interfaces, so switching from
// embedded (SQLite + memory) to scale (PostgreSQL + Redis) is a configuration change.
export { StoreError } from './errors.ts';
export type { StoreErrorCode } from './errors.ts';

export type { HitResult, KeyValueStore } from './kv.ts';
export { MAX_KEY_LENGTH } from './kv.ts';
export { createMemoryStore } from './memory-store.ts';
export type { MemoryStore, MemoryStoreOptions } from './memory-store.ts';
export { createRedisStore } from './redis-store.ts';
export type { RedisStoreOptions } from './redis-store.ts';
export { openKeyValueStore } from './open-kv.ts';
export type { OpenKeyValueStoreOptions } from './open-kv.ts';

export { bindParameters } from './bind.ts';
export { openDatabase } from './database.ts';
export type { AnyDatabase, Database, DatabaseDialect, OpenDatabaseOptions } from './database.ts';
export { openSqlite } from './sqlite.ts';
export type { SqliteOptions } from './sqlite.ts';
export { openPostgres } from './postgres.ts';
export type { PostgresOptions } from './postgres.ts';
export { NodeSqliteDialect } from './sqlite-dialect.ts';
export type { NodeSqliteDialectConfig } from './sqlite-dialect.ts';
export { runMigrations, pendingMigrations } from './migrations.ts';
export type { Migration } from './migrations.ts';
export { applyGrants } from './grants.ts';
export type { GrantsApplied, TableGrants, TablePrivilege } from './grants.ts';
export { inspectServingRole, servingRoleMessage } from './serving-role.ts';
export type { ServingRoleReport } from './serving-role.ts';
