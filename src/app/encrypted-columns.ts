// Every column the reference service keeps sealed with the field keyring: `rampart rotate-keys`
// re-encrypts exactly these. A feature that seals a column declares it here (one line), so a
// rotation never leaves a column behind under an old key.
import { identityEncryptedColumns, type EncryptedColumn } from '../toolkit/index.ts';

export const encryptedColumns: readonly EncryptedColumn[] = [
  ...identityEncryptedColumns,
  { table: 'webhooks', idColumn: 'id', column: 'secret' },
];
