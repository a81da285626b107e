// `rampart rotate-keys`: adds a new data key and re-encrypts every sealed column of the
// reference service under it, row by row, while the service keeps running (SQLite in WAL mode
// or PostgreSQL). Running instances start sealing with the new key within seconds; the command
// waits that long before re-encrypting, so nothing sealed meanwhile is left under the old key.
import { Command } from 'commander';
import { setTimeout as sleep } from 'node:timers/promises';
import { loadConfig, migrateOrCheck, openDatabase, openServiceFieldKeyring, rotateFieldKeys, type RotationCount } from '../toolkit/index.ts';
import { cliApp } from './app-target.ts';

/** Longer than the interval at which a running keyring re-reads the newest key (3 s). */
const CONVERGE_MS = 4000;

function describe(count: RotationCount, verb: string): string {
  const failed = count.failed === 0 ? '' : `; ${count.failed} do not decrypt (left unchanged)`;
  return `${count.table}.${count.column}: ${verb} ${count.rotated}${failed}`;
}

export function rotateKeysCommand(): Command {
  return new Command('rotate-keys')
    .description('add a new data key and re-encrypt every encrypted column under it (safe while the service runs)')
    .option('--dry-run', 'count what would be re-encrypted; change nothing')
    .action(async (options: { dryRun?: boolean }) => {
      const config = loadConfig();
      const target = await cliApp();
      const { encryptedColumns } = target;
      const database = openDatabase<unknown>({ databaseUrl: config.databaseUrl, dataDir: config.dataDir });
      try {
        await migrateOrCheck(config, database, target.schema);
        const keyring = await openServiceFieldKeyring(config, database);
        let counts: RotationCount[];
        if (options.dryRun === true) {
          // Under a new key every existing ciphertext would be re-encrypted.
          counts = await rotateFieldKeys(database, { ...keyring, needsRotation: () => true }, encryptedColumns, { dryRun: true });
          console.log(`dry run: a new data key would replace ${keyring.currentKid()}`);
          for (const count of counts) console.log(describe(count, 'would re-encrypt'));
        } else {
          const { kid } = await keyring.rotate();
          console.log(`new data key: ${kid}`);
          await sleep(CONVERGE_MS);
          counts = await rotateFieldKeys(database, keyring, encryptedColumns);
          for (const count of counts) console.log(describe(count, 're-encrypted'));
        }
        if (counts.some((count) => count.failed > 0)) process.exitCode = 1;
      } finally {
        await database.close();
      }
    });
}
