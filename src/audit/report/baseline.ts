// Baselines: findings a team has accepted, by fingerprint, so a CI run fails only on new ones.
// The file is JSON a person can review in a pull request: each entry names its rule and route.
import { readFile, writeFile } from 'node:fs/promises';
import type { AuditResult } from '../engine.ts';
import { AuditError, errorCode } from '../errors.ts';
import type { Finding } from '../finding.ts';
import { describeLocation as where } from './summary.ts';

export const BASELINE_VERSION = 1;

export interface BaselineEntry {
  fingerprint: string;
  rule: string;
  /** `GET /route` as the report shows it (for people; matching uses the fingerprint only). */
  location: string;
  /** Why it was accepted. */
  note?: string;
}

export interface Baseline {
  version: typeof BASELINE_VERSION;
  fingerprints: BaselineEntry[];
}

/** The result after a baseline: `findings` are the new ones, `suppressed` the accepted ones. */
export type Reported = AuditResult & { suppressed?: Finding[] };

export function baselineOf(findings: readonly Finding[], notes: ReadonlyMap<string, string> = new Map()): Baseline {
  const entries = new Map<string, BaselineEntry>();
  for (const finding of findings) {
    const note = notes.get(finding.fingerprint);
    entries.set(finding.fingerprint, {
      fingerprint: finding.fingerprint,
      rule: finding.id,
      location: where(finding.location),
      ...(note === undefined ? {} : { note }),
    });
  }
  return { version: BASELINE_VERSION, fingerprints: [...entries.values()].sort((a, b) => a.rule.localeCompare(b.rule) || a.location.localeCompare(b.location)) };
}

function invalid(path: string, why: string): never {
  throw new AuditError('CONFIG_INVALID', `the baseline ${path} is not usable: ${why}. Write one with --write-baseline <file>.`);
}

/** Checks a parsed baseline; every problem is named so a hand-edited file can be fixed. */
export function parseBaseline(value: unknown, path: string): Baseline {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) invalid(path, 'it must be a JSON object');
  const { version, fingerprints } = value as { version?: unknown; fingerprints?: unknown };
  if (version !== BASELINE_VERSION) invalid(path, `\`version\` must be ${BASELINE_VERSION} (got ${version === undefined ? 'nothing' : JSON.stringify(version)})`);
  if (!Array.isArray(fingerprints)) invalid(path, '`fingerprints` must be a list');
  const entries = (fingerprints as unknown[]).map((entry, index): BaselineEntry => {
    const e = (typeof entry === 'object' && entry !== null ? entry : {}) as Record<string, unknown>;
    if (typeof e.fingerprint !== 'string' || !/^[0-9a-f]{64}$/.test(e.fingerprint)) {
      invalid(path, `entry ${index} needs a \`fingerprint\` of 64 hex digits`);
    }
    if (typeof e.rule !== 'string' || typeof e.location !== 'string') invalid(path, `entry ${index} needs \`rule\` and \`location\` strings`);
    if (e.note !== undefined && typeof e.note !== 'string') invalid(path, `entry ${index}: \`note\` must be a string`);
    return { fingerprint: e.fingerprint, rule: e.rule, location: e.location, ...(typeof e.note === 'string' ? { note: e.note } : {}) };
  });
  return { version: BASELINE_VERSION, fingerprints: entries };
}

export async function readBaseline(path: string): Promise<Baseline> {
  let text: string;
  try {
    text = await readFile(path, 'utf8');
  } catch (error) {
    const code = errorCode(error);
    throw new AuditError('CONFIG_INVALID', `cannot read the baseline ${path}: ${code === 'ENOENT' ? 'no such file' : (code ?? 'unreadable')}`);
  }
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch {
    invalid(path, 'it is not valid JSON');
  }
  return parseBaseline(parsed, path);
}

export async function writeBaseline(path: string, baseline: Baseline): Promise<void> {
  try {
    await writeFile(path, `${JSON.stringify(baseline, null, 2)}\n`);
  } catch (error) {
    throw new AuditError('OUTPUT_UNWRITABLE', `cannot write the baseline to ${path}: ${errorCode(error) ?? 'error'}`);
  }
}

/** Splits the findings into new ones and those the baseline accepted. */
export function applyBaseline(result: AuditResult, baseline: Baseline): Reported {
  const accepted = new Set(baseline.fingerprints.map((e) => e.fingerprint));
  return {
    ...result,
    findings: result.findings.filter((f) => !accepted.has(f.fingerprint)),
    suppressed: result.findings.filter((f) => accepted.has(f.fingerprint)),
  };
}
