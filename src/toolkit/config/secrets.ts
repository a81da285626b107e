// Secrets: from the environment or `<NAME>_FILE`, checked for entropy and placeholders,
// and in development generated once into `<dataDir>/secrets.json` (mode 0600) and reused.
// No function here ever puts a secret value into a message.
import { randomBytes } from 'node:crypto';
import { chmodSync, existsSync, mkdirSync, readFileSync, renameSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { deflateRawSync } from 'node:zlib';
import { isPlaceholderSecret } from './placeholders.ts';
import { SETTINGS } from './settings.ts';

export const MIN_SECRET_BYTES = 32;
export const SECRET_NAMES: readonly string[] = SETTINGS.filter((s) => s.secret).map((s) => s.name);
export const OPTIONAL_SECRETS: ReadonlySet<string> = new Set(SETTINGS.filter((s) => s.secret && s.optional).map((s) => s.name));

type Env = Readonly<Record<string, string | undefined>>;

/** The raw value of a secret from NAME or NAME_FILE, or a problem. */
export function readSecret(env: Env, name: string, problems: string[]): string | undefined {
  const direct = env[name];
  const file = env[`${name}_FILE`];
  if (direct !== undefined && file !== undefined) {
    problems.push(`${name} and ${name}_FILE are both set; set one`);
    return undefined;
  }
  if (file === undefined) return direct === '' ? undefined : direct;
  try {
    return readFileSync(file, 'utf8').replace(/\r?\n$/, '');
  } catch {
    problems.push(`${name}_FILE: cannot read ${file}`);
    return undefined;
  }
}

/** Decodes hex, base64 or base64url; undefined when the text is none of them. */
export function decodeSecret(value: string): Buffer | undefined {
  if (/^(?:[0-9a-f]{2})+$/i.test(value)) return Buffer.from(value, 'hex');
  if (/^[A-Za-z0-9+/]+={0,2}$/.test(value) || /^[A-Za-z0-9_-]+$/.test(value)) return Buffer.from(value, value.includes('-') || value.includes('_') ? 'base64url' : 'base64');
  return undefined;
}

/** Why this value cannot be a secret; undefined when it can. */
export function secretProblem(name: string, value: string): string | undefined {
  if (isPlaceholderSecret(value)) return `${name} is a known placeholder secret from guides and samples; generate one with \`openssl rand -base64 32\``;
  const bytes = decodeSecret(value);
  if (bytes === undefined) return `${name} must be random bytes encoded as base64, base64url or hex (\`openssl rand -base64 32\`)`;
  if (bytes.length < MIN_SECRET_BYTES) return `${name} holds ${bytes.length} bytes; at least ${MIN_SECRET_BYTES} random bytes are required`;
  const pattern = nonRandomPattern(bytes);
  if (pattern !== undefined) return `${name} does not look random: ${pattern}; generate one with \`openssl rand -base64 32\``;
  return undefined;
}

/**
 * The randomness test, on the decoded bytes (n of them, n ≥ 32). Each rule names a shape that
 * secrets typed or derived by people take, and each is set far beyond where random bytes fall,
 * so `openssl rand` output is never refused (measured: 0 refusals in 10^6 random secrets each
 * of 32, 48 and 64 bytes; the nearest random value of each measure is listed in the README):
 * - distinct bytes: fewer than half of min(n, 256) (random 32 bytes have about 30 distinct);
 * - runs: more than a quarter of the byte triples continue an arithmetic run — counting
 *   (0, 1, 2 … — base64 of bytes 0..31), stepping or repeating (random: 1 in 256 each);
 * - compression: raw DEFLATE (level 9) makes them 10% or more smaller (repeated parts;
 *   random bytes never shrink);
 * - text: every byte is printable ASCII, so a password or phrase was encoded (random bytes:
 *   (95/256)^32, about 10^-14).
 */
export function nonRandomPattern(bytes: Uint8Array): string | undefined {
  const n = bytes.length;
  const distinct = new Set(bytes).size;
  if (distinct < Math.min(n, 256) / 2) return `only ${distinct} distinct byte values in ${n} bytes`;
  let inRuns = 0;
  for (let i = 2; i < n; i++) if (((bytes[i]! - bytes[i - 1]! - (bytes[i - 1]! - bytes[i - 2]!)) & 0xff) === 0) inRuns++;
  if (inRuns * 4 > n - 2) return `${inRuns} of its ${n - 2} byte triples continue a run (counting, stepping or repeating)`;
  const compressed = deflateRawSync(bytes, { level: 9 }).length;
  if (compressed * 10 <= n * 9) return `it compresses from ${n} to ${compressed} bytes (repeated parts)`;
  if (bytes.every((byte) => byte >= 0x20 && byte <= 0x7e)) return 'its bytes are all printable text: a password or phrase was encoded, not random bytes';
  return undefined;
}

/**
 * Development only: returns stored generated secrets for every name missing from `present`,
 * generating and storing the ones that do not exist yet.
 */
export function developmentSecrets(dataDir: string, missing: readonly string[]): Record<string, string> {
  const file = join(dataDir, 'secrets.json');
  const stored: Record<string, string> = existsSync(file) ? (JSON.parse(readFileSync(file, 'utf8')) as Record<string, string>) : {};
  if (existsSync(file) && (statSync(file).mode & 0o077) !== 0) chmodSync(file, 0o600);
  const toCreate = missing.filter((name) => typeof stored[name] !== 'string');
  if (toCreate.length > 0) {
    for (const name of toCreate) stored[name] = randomBytes(MIN_SECRET_BYTES).toString('base64url');
    mkdirSync(dataDir, { recursive: true, mode: 0o700 });
    const temp = `${file}.${process.pid}.tmp`;
    writeFileSync(temp, `${JSON.stringify(stored, null, 2)}\n`, { mode: 0o600, flag: 'wx' });
    renameSync(temp, file);
  }
  return Object.fromEntries(missing.map((name) => [name, stored[name]!]));
}
