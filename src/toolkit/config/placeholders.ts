// The committed list of placeholder secrets (wordlists/placeholder-secrets.txt), shared
// with the auditor's weak-key checks.
import { readFileSync } from 'node:fs';

let cached: readonly string[] | undefined;

export function placeholderSecrets(): readonly string[] {
  cached ??= readFileSync(new URL('../../../wordlists/placeholder-secrets.txt', import.meta.url), 'utf8')
    .split('\n')
    .map((line) => line.trim().toLowerCase())
    .filter((line) => line !== '' && !line.startsWith('#'));
  return cached;
}

/** Equal to a placeholder, or containing one long enough not to occur by chance. */
export function isPlaceholderSecret(value: string): boolean {
  const lowered = value.trim().toLowerCase();
  return placeholderSecrets().some((p) => lowered === p || (p.length >= 6 && lowered.includes(p)));
}
