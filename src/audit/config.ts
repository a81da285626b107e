// Settings for one audit, from the command line and an optional config file (JSON or YAML, the
// same names as the long options in camelCase). The command line wins. Every value is checked
// once, here, with a message that says what was expected.
import { readFile } from 'node:fs/promises';
import { dirname, resolve } from 'node:path';
import { parse as parseYaml } from 'yaml';
import { AuditError, didYouMean, errorCode } from './errors.ts';
import { isSeverity, SEVERITIES } from './finding.ts';
import type { Severity } from './finding.ts';
import { checkIdentities, parseIdentity, parseIdentityEntry } from './identities/config.ts';
import type { IdentitySpec } from './identities/config.ts';

export type FailOn = Severity | 'none';
export const FORMATS = ['text', 'json', 'sarif', 'html', 'junit'] as const;
export type Format = (typeof FORMATS)[number];

export interface Settings {
  target: string;
  openapi?: string;
  format: Format;
  /** Accepted findings (a file from --write-baseline); they are reported as suppressed. */
  baseline?: string;
  /** Write a baseline of this run's findings to this file. */
  writeBaseline?: string;
  output?: string;
  /** Every report to write: each --format with its --output (none: standard output). `format` and `output` are the first. */
  reports: { format: Format; output?: string }[];
  /** Record every exchange to this JSON Lines file (mode 0600, credentials redacted). */
  logRequests?: string;
  failOn: FailOn;
  rate: number;
  maxRequests: number;
  only: string[];
  skip: string[];
  dryRun: boolean;
  /** Seconds. */
  timeout: number;
  /** Seconds. */
  maxRetryWait: number;
  insecure: boolean;
  ca?: string;
  /** Who the audit acts as; [] when none. */
  identities: IdentitySpec[];
  tokenUrl?: string;
  intensive: boolean;
  callbackUrl?: string;
  /** Operations the safety policy may call although their names say they destroy or change state. */
  unsafe: string[];
  /** A HAR file and a Postman collection whose requests become operations. */
  har?: string;
  postman?: string;
  /** No discovery beside the spec. */
  specOnly: boolean;
  /** Where to write the operation list the audit used, as OpenAPI. */
  saveDiscovered?: string;
}

export const DEFAULTS = {
  format: 'text',
  failOn: 'high',
  rate: 50,
  maxRequests: 3000,
  timeout: 10,
  maxRetryWait: 30,
} as const;

/** What may be given, from either source, before validation. */
export interface RawSettings {
  target?: unknown;
  openapi?: unknown;
  format?: unknown;
  baseline?: unknown;
  writeBaseline?: unknown;
  output?: unknown;
  logRequests?: unknown;
  failOn?: unknown;
  rate?: unknown;
  maxRequests?: unknown;
  only?: unknown;
  skip?: unknown;
  dryRun?: unknown;
  timeout?: unknown;
  maxRetryWait?: unknown;
  insecure?: unknown;
  ca?: unknown;
  /** Command line: `--identity` strings; config file: a list of objects or strings. */
  identities?: unknown;
  tokenUrl?: unknown;
  intensive?: unknown;
  callbackUrl?: unknown;
  unsafe?: unknown;
  har?: unknown;
  postman?: unknown;
  specOnly?: unknown;
  saveDiscovered?: unknown;
}

const KEYS = ['target', 'openapi', 'format', 'output', 'logRequests', 'failOn', 'rate', 'maxRequests', 'only', 'skip', 'dryRun', 'timeout', 'maxRetryWait', 'insecure', 'ca', 'identities', 'tokenUrl', 'intensive', 'callbackUrl', 'unsafe', 'baseline', 'writeBaseline', 'har', 'postman', 'specOnly', 'saveDiscovered'] as const;
const PATH_KEYS = new Set(['openapi', 'output', 'logRequests', 'ca', 'baseline', 'writeBaseline', 'har', 'postman', 'saveDiscovered']);

function invalid(source: string, message: string): never {
  throw new AuditError(source === 'command line' ? 'USAGE' : 'CONFIG_INVALID', `${source}: ${message}`);
}

/** Reads a config file; relative paths in it are taken relative to the file. */
export async function loadConfigFile(path: string): Promise<RawSettings> {
  let text: string;
  try {
    text = await readFile(path, 'utf8');
  } catch (error) {
    const code = errorCode(error);
    throw new AuditError('CONFIG_INVALID', `cannot read the config file ${path}: ${code === 'ENOENT' ? 'no such file' : (code ?? 'unreadable')}`);
  }
  let parsed: unknown;
  try {
    parsed = /\.json$/i.test(path) ? JSON.parse(text) : parseYaml(text, { maxAliasCount: 10 });
  } catch (error) {
    const detail = error instanceof Error ? error.message.split('\n')[0]! : 'syntax error';
    throw new AuditError('CONFIG_INVALID', `the config file ${path} cannot be parsed: ${detail}`);
  }
  if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed)) {
    throw new AuditError('CONFIG_INVALID', `the config file ${path} must hold an object of settings`);
  }
  const out: Record<string, unknown> = {};
  const base = dirname(resolve(path));
  for (const [key, value] of Object.entries(parsed)) {
    if (!(KEYS as readonly string[]).includes(key)) {
      throw new AuditError('CONFIG_INVALID', `the config file ${path} has an unknown setting \`${key}\`.${didYouMean(key, KEYS)}`);
    }
    const local = (item: unknown): unknown => (typeof item === 'string' && !/^https?:\/\//i.test(item) ? resolve(base, item) : item);
    out[key] = PATH_KEYS.has(key) ? (Array.isArray(value) ? value.map(local) : local(value)) : value;
  }
  return out;
}

function list(source: string, name: string, value: unknown, what = 'check ids'): string[] {
  if (value === undefined) return [];
  const items = typeof value === 'string' ? value.split(',') : Array.isArray(value) ? value : invalid(source, `\`${name}\` must be a list of ${what}`);
  return items.map((item) => {
    if (typeof item !== 'string') invalid(source, `\`${name}\` must be a list of ${what}`);
    return item.trim();
  }).filter((item) => item !== '');
}

function positive(source: string, name: string, value: unknown, integer: boolean, max: number): number | undefined {
  if (value === undefined) return undefined;
  const number = typeof value === 'string' && value.trim() !== '' ? Number(value) : value;
  if (typeof number !== 'number' || !Number.isFinite(number) || number <= 0 || (integer && !Number.isInteger(number)) || number > max) {
    invalid(source, `\`${name}\` must be a positive ${integer ? 'whole ' : ''}number up to ${max} (got ${JSON.stringify(value)})`);
  }
  return number;
}

function text(source: string, name: string, value: unknown): string | undefined {
  if (value === undefined) return undefined;
  if (typeof value !== 'string' || value.trim() === '') invalid(source, `\`${name}\` must be a non-empty string`);
  return value;
}

function flag(source: string, name: string, value: unknown): boolean | undefined {
  if (value === undefined) return undefined;
  if (typeof value !== 'boolean') invalid(source, `\`${name}\` must be true or false`);
  return value;
}

/** Checks one source's values; returns only those it gave. */
export function validate(raw: RawSettings, source: string): Partial<Settings> {
  const out: Partial<Settings> = {};
  const target = text(source, 'target', raw.target);
  if (target !== undefined) out.target = target;
  const openapi = text(source, 'openapi', raw.openapi);
  if (openapi !== undefined) out.openapi = openapi;
  if (raw.format !== undefined) {
    const formats: unknown[] = Array.isArray(raw.format) ? raw.format : [raw.format];
    for (const format of formats) {
      if (typeof format !== 'string' || !(FORMATS as readonly string[]).includes(format)) {
        invalid(source, `\`format\` must be one of ${FORMATS.join(', ')} (got ${JSON.stringify(format)})`);
      }
    }
    out.reports = (formats as Format[]).map((format) => ({ format }));
  }
  const baseline = text(source, 'baseline', raw.baseline);
  if (baseline !== undefined) out.baseline = baseline;
  const writeBaseline = text(source, 'writeBaseline', raw.writeBaseline);
  if (writeBaseline !== undefined) out.writeBaseline = writeBaseline;
  if (raw.output !== undefined) {
    const outputs: unknown[] = Array.isArray(raw.output) ? raw.output : [raw.output];
    const files = outputs.map((item) => text(source, 'output', item)!);
    if (new Set(files).size !== files.length) invalid(source, '`output` names the same file twice');
    out.output = files.join('\0');
  }
  const logRequests = text(source, 'logRequests', raw.logRequests);
  if (logRequests !== undefined) out.logRequests = logRequests;
  if (raw.failOn !== undefined) {
    if (typeof raw.failOn !== 'string' || (raw.failOn !== 'none' && !isSeverity(raw.failOn))) {
      invalid(source, `\`failOn\` must be one of ${[...SEVERITIES, 'none'].join(', ')} (got ${JSON.stringify(raw.failOn)})`);
    }
    out.failOn = raw.failOn;
  }
  const rate = positive(source, 'rate', raw.rate, false, 10_000);
  if (rate !== undefined) out.rate = rate;
  const maxRequests = positive(source, 'maxRequests', raw.maxRequests, true, 1_000_000);
  if (maxRequests !== undefined) out.maxRequests = maxRequests;
  if (raw.only !== undefined) out.only = list(source, 'only', raw.only);
  if (raw.skip !== undefined) out.skip = list(source, 'skip', raw.skip);
  if (raw.unsafe !== undefined) out.unsafe = list(source, 'unsafe', raw.unsafe, 'operation names (operationId, path, `METHOD path` or a word)');
  const dryRun = flag(source, 'dryRun', raw.dryRun);
  if (dryRun !== undefined) out.dryRun = dryRun;
  const timeout = positive(source, 'timeout', raw.timeout, false, 600);
  if (timeout !== undefined) out.timeout = timeout;
  const maxRetryWait = positive(source, 'maxRetryWait', raw.maxRetryWait, false, 3600);
  if (maxRetryWait !== undefined) out.maxRetryWait = maxRetryWait;
  const insecure = flag(source, 'insecure', raw.insecure);
  if (insecure !== undefined) out.insecure = insecure;
  const ca = text(source, 'ca', raw.ca);
  if (ca !== undefined) out.ca = ca;
  if (raw.identities !== undefined) {
    if (!Array.isArray(raw.identities)) invalid(source, '`identities` must be a list');
    const entries: unknown[] = raw.identities;
    out.identities = entries.map((entry, index) =>
      source === 'command line' && typeof entry === 'string' ? parseIdentity(entry, source) : parseIdentityEntry(entry, source, index),
    );
    checkIdentities(out.identities, source);
  }
  const har = text(source, 'har', raw.har);
  if (har !== undefined) out.har = har;
  const postman = text(source, 'postman', raw.postman);
  if (postman !== undefined) out.postman = postman;
  const specOnly = flag(source, 'specOnly', raw.specOnly);
  if (specOnly !== undefined) out.specOnly = specOnly;
  const saveDiscovered = text(source, 'saveDiscovered', raw.saveDiscovered);
  if (saveDiscovered !== undefined) out.saveDiscovered = saveDiscovered;
  const tokenUrl = text(source, 'tokenUrl', raw.tokenUrl);
  if (tokenUrl !== undefined) out.tokenUrl = tokenUrl;
  const intensive = flag(source, 'intensive', raw.intensive);
  if (intensive !== undefined) out.intensive = intensive;
  const callbackUrl = text(source, 'callbackUrl', raw.callbackUrl);
  if (callbackUrl !== undefined) {
    if (!/^https?:\/\/[^/]/i.test(callbackUrl)) invalid(source, '`callbackUrl` must be an http:// or https:// URL');
    out.callbackUrl = callbackUrl;
  }
  return out;
}

/** Command line over config file over defaults. */
export function resolveSettings(cli: RawSettings, config: RawSettings | undefined, configPath?: string): Settings {
  const fromConfig = config === undefined ? {} : validate(config, `config file ${configPath ?? ''}`.trim());
  const fromCli = validate(cli, 'command line');
  const merged = { ...fromConfig, ...fromCli };
  if (merged.target === undefined) {
    throw new AuditError('USAGE', 'missing the target: rampart audit <base-url> (or `target` in the config file)');
  }
  if ((merged.only ?? []).length > 0 && (merged.skip ?? []).length > 0) {
    throw new AuditError('USAGE', 'give --only or --skip, not both');
  }
  const { output: joined, ...rest } = merged;
  const reports = pairReports(merged.reports, joined?.split('\0') ?? []);
  return {
    failOn: DEFAULTS.failOn,
    rate: DEFAULTS.rate,
    maxRequests: DEFAULTS.maxRequests,
    timeout: DEFAULTS.timeout,
    maxRetryWait: DEFAULTS.maxRetryWait,
    only: [],
    skip: [],
    dryRun: false,
    insecure: false,
    identities: [],
    intensive: false,
    unsafe: [],
    specOnly: false,
    ...rest,
    reports,
    format: reports[0]!.format,
    ...(reports[0]!.output === undefined ? {} : { output: reports[0]!.output }),
    target: merged.target,
  };
}

/**
 * Each --format with the --output at the same position; the last format may go without one, to
 * standard output. One --output without any --format writes the text report there.
 */
function pairReports(given: { format: Format }[] | undefined, outputs: string[]): { format: Format; output?: string }[] {
  const formats = given ?? [{ format: DEFAULTS.format }];
  if (given === undefined && outputs.length > 1) throw new AuditError('USAGE', 'several --output files need a --format for each, in the same order (e.g. --format json --output a.json --format sarif --output a.sarif)');
  if (outputs.length !== formats.length && outputs.length !== formats.length - 1) {
    throw new AuditError('USAGE', `give one --output per --format, in the same order (the last --format may go without one, to standard output); got ${formats.length} format(s) and ${outputs.length} output(s)`);
  }
  return formats.map(({ format }, index) => (outputs[index] === undefined ? { format } : { format, output: outputs[index] }));
}
