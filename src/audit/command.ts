// `rampart audit <base-url>`: the command users and CI run. It never prints a stack trace and
// exits 0 (nothing at or above --fail-on), 1 (findings at or above it, or the audit left a change it
// could see in the target's data, whatever --fail-on says) or 2 (usage, spec or
// connection problem).
import { readFile, writeFile } from 'node:fs/promises';
import { Command, CommanderError } from 'commander';
import { CHECKS } from './checks/index.ts';
import { loadConfigFile, resolveSettings } from './config.ts';
import type { FailOn, RawSettings } from './config.ts';
import { runAudit } from './engine.ts';
import type { AuditResult } from './engine.ts';
import { AuditError, errorCode } from './errors.ts';
import { severityRank } from './finding.ts';
import { Progress } from './progress.ts';
import type { Writer } from './progress.ts';
import { applyBaseline, baselineOf, readBaseline, writeBaseline } from './report/baseline.ts';
import type { Baseline, Reported } from './report/baseline.ts';
import { recordCommand } from './record/command.ts';
import { renderReport } from './report/index.ts';
import { describeCounts, timingLine } from './report/summary.ts';

export interface AuditIo {
  stdout?: Writer;
  stderr?: Writer;
  /** Receives the exit status (default: sets process.exitCode). */
  exit?: (code: number) => void;
}

export const EXIT = { ok: 0, findings: 1, usage: 2 } as const;

interface CliOptions {
  openapi?: string;
  format?: string[];
  output?: string[];
  logRequests?: string;
  failOn?: string;
  rate?: string;
  maxRequests?: string;
  only?: string;
  skip?: string;
  listChecks?: boolean;
  dryRun?: boolean;
  config?: string;
  timeout?: string;
  maxRetryWait?: string;
  ca?: string;
  insecure?: boolean;
  identity?: string[];
  tokenUrl?: string;
  intensive?: boolean;
  callbackUrl?: string;
  unsafe?: string;
  baseline?: string;
  writeBaseline?: string;
  har?: string;
  postman?: string;
  specOnly?: boolean;
  saveDiscovered?: string;
}

export function failing(result: AuditResult, failOn: FailOn): boolean {
  if (failOn === 'none') return false;
  return result.findings.some((f) => severityRank(f.severity) >= severityRank(failOn));
}

function listChecks(out: Writer): void {
  const width = Math.max(...CHECKS.map((c) => c.id.length));
  for (const check of CHECKS) {
    const needs = check.needs.length > 0 ? `  [needs ${check.needs.join(', ')}]` : '';
    out.write(`${check.id.padEnd(width)}  ${check.owasp}  CWE-${check.cwe}  ${check.summary}${needs}\n`);
    for (const rule of check.rules) {
      out.write(`${''.padEnd(width)}    ${rule.id} (${rule.severity}; ${rule.owasp}, CWE-${rule.cwe})\n`);
    }
  }
}

async function execute(baseUrl: string | undefined, options: CliOptions, stdout: Writer, stderr: Writer): Promise<number> {
  if (options.listChecks === true) {
    listChecks(stdout);
    return EXIT.ok;
  }
  const config = options.config === undefined ? undefined : await loadConfigFile(options.config);
  const cli: RawSettings = {
    target: baseUrl,
    openapi: options.openapi,
    format: options.format,
    output: options.output,
    logRequests: options.logRequests,
    failOn: options.failOn,
    rate: options.rate,
    maxRequests: options.maxRequests,
    only: options.only,
    skip: options.skip,
    timeout: options.timeout,
    maxRetryWait: options.maxRetryWait,
    ca: options.ca,
    ...(options.dryRun === true ? { dryRun: true } : {}),
    ...(options.insecure === true ? { insecure: true } : {}),
    ...(options.identity === undefined ? {} : { identities: options.identity }),
    tokenUrl: options.tokenUrl,
    callbackUrl: options.callbackUrl,
    unsafe: options.unsafe,
    baseline: options.baseline,
    writeBaseline: options.writeBaseline,
    har: options.har,
    postman: options.postman,
    saveDiscovered: options.saveDiscovered,
    ...(options.specOnly === true ? { specOnly: true } : {}),
    ...(options.intensive === true ? { intensive: true } : {}),
  };
  const settings = resolveSettings(cli, config, options.config);
  let ca: string | undefined;
  if (settings.ca !== undefined) {
    try {
      ca = await readFile(settings.ca, 'utf8');
    } catch {
      throw new AuditError('USAGE', `cannot read the certificate authority file ${settings.ca}`);
    }
  }
  // A broken baseline should fail before any request is sent.
  const accepted = settings.baseline === undefined ? undefined : await readBaseline(settings.baseline);
  const progress = new Progress(stderr, settings.maxRequests);
  const planned: string[] = [];
  let result: AuditResult;
  try {
    result = await runAudit(
      {
        target: settings.target,
        ...(settings.openapi === undefined ? {} : { openapi: settings.openapi }),
        rate: settings.rate,
        maxRequests: settings.maxRequests,
        timeoutMs: settings.timeout * 1000,
        maxRetryWaitMs: settings.maxRetryWait * 1000,
        only: settings.only,
        skip: settings.skip,
        dryRun: settings.dryRun,
        insecure: settings.insecure,
        ...(ca === undefined ? {} : { ca }),
        identities: settings.identities,
        ...(settings.tokenUrl === undefined ? {} : { tokenUrl: settings.tokenUrl }),
        intensive: settings.intensive,
        ...(settings.callbackUrl === undefined ? {} : { callbackUrl: settings.callbackUrl }),
        unsafe: settings.unsafe,
        ...(settings.logRequests === undefined ? {} : { logRequests: settings.logRequests }),
        ...(settings.har === undefined ? {} : { har: settings.har }),
        ...(settings.postman === undefined ? {} : { postman: settings.postman }),
        specOnly: settings.specOnly,
        ...(settings.saveDiscovered === undefined ? {} : { saveDiscovered: settings.saveDiscovered }),
      },
      {
        info: (message) => {
          progress.done();
          stderr.write(`${message}\n`);
        },
        onPhase: (phase) => {
          progress.phase(phase);
        },
        onRequest: (request, purpose, sent) => {
          progress.update(sent);
          if (settings.dryRun) planned.push(`${request.method} ${request.url}${purpose === undefined ? '' : `  (${purpose})`}`);
        },
      },
    );
  } finally {
    progress.done();
  }

  if (settings.dryRun) {
    stdout.write(`Planned requests for ${result.target} (first requests of each check; follow-ups depend on answers):\n`);
    for (const line of collapse(planned)) stdout.write(`  ${line}\n`);
    for (const skipped of result.checks.skipped) stdout.write(`Skipped: ${skipped.id}: ${skipped.reason}\n`);
    stdout.write(`${planned.length} requests planned; nothing was sent.\n`);
    return EXIT.ok;
  }

  const reported = await baselined(result, accepted, settings.writeBaseline, stderr);
  for (const { format, output } of settings.reports) {
    const rendered = renderReport(format, reported);
    if (output === undefined) {
      stdout.write(rendered);
      continue;
    }
    try {
      await writeFile(output, rendered);
    } catch (error) {
      throw new AuditError('OUTPUT_UNWRITABLE', `cannot write the report to ${output}: ${errorCode(error) ?? 'error'}`);
    }
    stderr.write(`Report written to ${output}${settings.reports.length > 1 ? ` (${format})` : ''}.\n`);
  }
  if (settings.logRequests !== undefined) stderr.write(`Every exchange recorded in ${settings.logRequests} (mode 0600, credentials redacted).\n`);
  stderr.write(`${describeCounts(reported)}${result.complete ? '' : ' (audit incomplete)'}.\n${timingLine(result)}\n`);
  if (result.changes.length > 0) {
    stderr.write(`THE AUDIT LEFT ${result.changes.length} CHANGE(S) in the target's data: see the top of the report.\n`);
    return EXIT.findings;
  }
  // Only new findings count: `reported.findings` holds none the baseline accepted.
  return failing(reported, settings.failOn) ? EXIT.findings : EXIT.ok;
}

/**
 * Applies --baseline, and --write-baseline: the written file accepts every finding of this run
 * (keeping the notes of entries it already had), and this run is reported against it.
 */
async function baselined(result: AuditResult, accepted: Baseline | undefined, writeTo: string | undefined, stderr: Writer): Promise<Reported> {
  let baseline = accepted;
  if (writeTo !== undefined) {
    const notes = new Map((accepted?.fingerprints ?? []).flatMap((e) => (e.note === undefined ? [] : [[e.fingerprint, e.note] as const])));
    baseline = baselineOf(result.findings, notes);
    await writeBaseline(writeTo, baseline);
    stderr.write(`Baseline of ${baseline.fingerprints.length} finding${baseline.fingerprints.length === 1 ? '' : 's'} written to ${writeTo}.\n`);
  }
  return baseline === undefined ? result : applyBaseline(result, baseline);
}

function collapse(lines: string[]): string[] {
  const out: string[] = [];
  let previous: string | undefined;
  let count = 0;
  const flush = (): void => {
    if (previous !== undefined) out.push(count > 1 ? `${previous}  ×${count}` : previous);
  };
  for (const line of lines) {
    const key = line.replace(/ \d+\/\d+\)$/, ')');
    if (key === previous) {
      count++;
      continue;
    }
    flush();
    previous = key;
    count = 1;
  }
  flush();
  return out;
}

function repeatable(value: string, previous: string[] | undefined): string[] {
  return [...(previous ?? []), value];
}

export function createAuditCommand(io: AuditIo = {}): Command {
  const stdout = io.stdout ?? process.stdout;
  const stderr = io.stderr ?? process.stderr;
  const exit =
    io.exit ??
    ((code: number): void => {
      process.exitCode = code;
    });
  const command = new Command('audit');
  command
    .description('Attack a running API for the OWASP API Security Top 10 and report only what was proven.')
    .argument('[base-url]', 'base URL of the API, e.g. http://localhost:3000')
    .option('--openapi <file|url>', 'OpenAPI 3.0/3.1 spec (JSON or YAML); without it the usual spec paths are tried')
    .option('--har <file>', 'HAR 1.2 file (browser developer tools): its requests to the target become operations; credentials in it are never used or written')
    .option('--postman <file>', 'Postman collection v2.1: its requests to the target become operations (collection variables resolved)')
    .option('--spec-only', 'audit only what the spec lists (by default discovery also reads the target for routes the spec does not list)')
    .option('--save-discovered <file>', 'write the operations the audit used (published, discovered, imported) as an OpenAPI document, to review and reuse with --openapi')
    .option('--format <format>', 'report format: text, json, sarif, html or junit (default: text); repeat it, each with its --output, for several reports', repeatable)
    .option('-o, --output <file>', 'write the report to a file instead of stdout (the i-th --output takes the i-th --format)', repeatable)
    .option('--log-requests <file.jsonl>', 'record every exchange, one JSON object a line, in a file only you may read (mode 0600); passwords, Authorization and cookies redacted')
    .option('--fail-on <severity>', 'exit 1 when a finding is at or above: info, low, medium, high, critical, none (default: high)')
    .option('--rate <req/s>', 'requests per second (default: 50)')
    .option('--max-requests <n>', 'request budget for the whole audit (default: 3000)')
    .option('--only <checks>', 'run only these checks (comma-separated ids)')
    .option('--skip <checks>', 'skip these checks (comma-separated ids)')
    .option('--list-checks', 'list the checks and their rules, then exit')
    .option('--dry-run', 'print the planned requests without sending any')
    .option('--config <file>', 'settings file (JSON or YAML) with the same names as the options, camelCased')
    .option('--timeout <seconds>', 'per-request timeout (default: 10)')
    .option('--max-retry-wait <seconds>', 'longest Retry-After to honour (default: 30)')
    .option('--ca <file>', 'extra certificate authority (PEM) for https targets')
    .option('--insecure', 'accept any TLS certificate (test targets only)')
    .option(
      '--identity <spec>',
      'act as this identity (repeatable): name=alice,role=user|admin and one of bearer=TOKEN, header=Name:value, cookie=a=b, login=user with password-env=VAR (*-env=VAR reads any secret from the environment); a login is found in the spec, or given: login-url=…,login-body=json|form,user-field=…,password-field=…,token-field=…, sent as token-header=…,token-scheme=…|none or token-cookie=…, client-id=…,client-secret-env=…,client-auth=basic|body',
      repeatable,
    )
    .option('--token-url <url>', 'OAuth2 token URL for login identities (default: the spec\'s password flow)')
    .option('--intensive', 'also run heavy and timing checks')
    .option('--callback-url <url>', 'a URL you control that the target may call (out-of-band probes)')
    .option('--unsafe <names>', 'comma-separated operations the audit may call although their names say they reset, delete, log out… or change state (operationId, path, "METHOD path", or the word)')
    .option('--baseline <file>', 'accepted findings (from --write-baseline): reported as suppressed, never failing the run')
    .option('--write-baseline <file>', "write a baseline accepting this run's findings, and report the run against it")
    .configureOutput({
      writeOut: (text) => stdout.write(text),
      writeErr: (text) => stderr.write(text),
    })
    .exitOverride((error) => {
      const code = error.exitCode === 0 ? EXIT.ok : EXIT.usage;
      exit(code);
      throw new CommanderError(code, error.code, error.message);
    })
    .action(async (baseUrl: string | undefined, options: CliOptions) => {
      let code: number;
      try {
        code = await execute(baseUrl, options, stdout, stderr);
      } catch (error) {
        if (error instanceof AuditError) {
          stderr.write(`rampart audit: ${error.message}\n`);
        } else {
          // A bug of ours: say so plainly, without a stack trace.
          stderr.write(`rampart audit: internal error: ${error instanceof Error ? error.message : String(error)}\n`);
        }
        code = EXIT.usage;
      }
      exit(code);
    });
  // `rampart audit record …`: a spec from traffic, for APIs that publish none.
  command.addCommand(recordCommand({ stdout, stderr, exit }));
  return command;
}
