// What operator commands share: configuration, the database (migrated in development),
// the key-value store and the identity, closed when the command is done.
import { pino } from 'pino';
import { loadConfig, migrateSchema, openDatabase, openIdentity, openKeyValueStore, type Identity } from '../toolkit/index.ts';
import { cliApp } from './app-target.ts';

export async function withIdentity<T>(work: (identity: Identity) => Promise<T>): Promise<T> {
  const config = loadConfig();
  const target = await cliApp();
  const database = openDatabase<unknown>({ databaseUrl: config.databaseUrl, dataDir: config.dataDir });
  const store = openKeyValueStore({ redisUrl: config.redisUrl, maxKeys: 1000 });
  try {
    if (config.mode === 'development') await migrateSchema(config, target.schema, { database });
    // Security events are also logged: to stderr, so stdout stays the command's own output.
    const logger = pino({ level: config.server.logLevel }, pino.destination(2));
    return await work(await openIdentity(config, database, store, logger));
  } finally {
    await store.close();
    await database.close();
  }
}

/** Reads a secret from standard input (never from argv, which other users can see in ps). */
export async function readStdinSecret(): Promise<string> {
  if (process.stdin.isTTY) process.stderr.write('password (input is not echoed when piped; end with Enter): ');
  const chunks: Buffer[] = [];
  for await (const chunk of process.stdin) {
    chunks.push(chunk as Buffer);
    if (Buffer.concat(chunks).length > 4096) throw new Error('the password on standard input is too long');
    if (process.stdin.isTTY && Buffer.concat(chunks).includes(10)) break;
  }
  return Buffer.concat(chunks).toString('utf8').replace(/\r?\n$/, '');
}
