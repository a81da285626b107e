export { createRampart } from './create.ts';
export { serve } from './serve.ts';
export type { RampartApp, RampartOptions } from './create.ts';
export type { DocsInfo } from './routes/docs.ts';
export { openIdentity, openServiceFieldKeyring, serviceAuthenticator } from './identity.ts';
export { migrateSchema, migrateOrCheck, checkServingRole, DatabaseRoleError } from './migrate.ts';
export type { Schema, MigrateOptions, MigrateResult } from './migrate.ts';
