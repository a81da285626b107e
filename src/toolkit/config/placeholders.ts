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

/**
 * Equal to a placeholder, or containing one long enough not to occur by chance. A placeholder
 * made only of hex digits (`123456`, `abc123`) must be 8 characters or more to count inside a
 * longer value: 6 of them turn up in about 1 of 140,000 random `openssl rand -hex 32` secrets,
 * 8 in about 1 of 70 million.
 */
export function isPlaceholderSecret(value: string): boolean {
  const lowered = value.trim().toLowerCase();
  return placeholderSecrets().some((p) => lowered === p || (p.length >= (/^[0-9a-f]+$/.test(p) ? 8 : 6) && lowered.includes(p)));
}
