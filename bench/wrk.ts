// Runs Debian's wrk and reads its results: the JSON line printed by bench/lua/report.lua's
// done() (exact counts, latency percentiles in microseconds) cross-checked against wrk's own
// text ("Requests/sec", "Non-2xx or 3xx responses", "Socket errors").
import { spawn, spawnSync } from 'node:child_process';
import { createInterface } from 'node:readline';

export interface WrkErrors {
  connect: number;
  read: number;
  write: number;
  /** Answers with a status above 399 (wrk's "Non-2xx or 3xx responses" counts exactly these). */
  status: number;
  timeout: number;
}

export interface WrkResult {
  requests: number;
  seconds: number;
  requestsPerSecond: number;
  latencyMs: { p50: number; p90: number; p99: number; p999: number; max: number; mean: number };
  errors: WrkErrors;
  /** wrk's own "Requests/sec" line, for the cross-check. */
  reportedRequestsPerSecond: number | undefined;
  /** wrk's own "Non-2xx or 3xx responses" line (absent when there were none). */
  reportedNon2xx: number;
  /** Lines starting with `@@` other than the summary, in order (scripts' own reports). */
  marks: string[];
}

export interface WrkRun {
  url: string;
  seconds: number;
  connections: number;
  threads: number;
  script: string;
  scriptArgs?: readonly string[];
  /** Called for each `@@` line as it arrives; return true to interrupt wrk (SIGINT) now. */
  stopOn?: (mark: string) => boolean;
}

interface RawSummary {
  requests: number;
  durationUs: number;
  errors: WrkErrors;
  latencyUs: { p50: number; p90: number; p99: number; p999: number; max: number; mean: number };
}

/** wrk's version line, or undefined when wrk is not installed. */
export function wrkVersion(): string | undefined {
  const probe = spawnSync('wrk', ['-v'], { encoding: 'utf8' });
  if (probe.error) return undefined;
  return /wrk\s+(\S+)/.exec(`${probe.stdout}${probe.stderr}`)?.[1] ?? 'unknown';
}

export async function runWrk(run: WrkRun): Promise<WrkResult> {
  const args = ['-t', String(run.threads), '-c', String(run.connections), '-d', `${run.seconds}s`, '--latency', '-s', run.script, run.url];
  if (run.scriptArgs && run.scriptArgs.length > 0) args.push('--', ...run.scriptArgs);
  const child = spawn('wrk', args, { stdio: ['ignore', 'pipe', 'pipe'] });
  const lines: string[] = [];
  const marks: string[] = [];
  let stderr = '';
  child.stderr.setEncoding('utf8').on('data', (chunk: string) => (stderr += chunk));
  const reading = (async () => {
    for await (const line of createInterface({ input: child.stdout })) {
      lines.push(line);
      if (line.startsWith('@@') && !line.startsWith('@@wrk ')) {
        marks.push(line);
        if (run.stopOn?.(line) === true && child.pid !== undefined) child.kill('SIGINT');
      }
    }
  })();
  const code = await new Promise<number | null>((resolve, reject) => {
    child.once('error', reject);
    child.once('close', resolve);
  });
  await reading;
  if (code !== 0) throw new Error(`wrk exited with ${String(code)}: ${stderr.trim() || lines.join('\n')}`);
  return parseWrk(lines.join('\n'), marks, stderr);
}

export function parseWrk(text: string, marks: string[] = [], stderr = ''): WrkResult {
  const json = /^@@wrk (\{.*\})$/m.exec(text)?.[1];
  if (json === undefined) throw new Error(`wrk printed no summary (is bench/lua/report.lua loaded?):\n${text}\n${stderr}`);
  const raw = JSON.parse(json) as RawSummary;
  const seconds = raw.durationUs / 1e6;
  const ms = (us: number): number => us / 1000;
  const reported = /^Requests\/sec:\s+([\d.]+)/m.exec(text)?.[1];
  const non2xx = /Non-2xx or 3xx responses:\s+(\d+)/.exec(text)?.[1];
  return {
    requests: raw.requests,
    seconds,
    requestsPerSecond: seconds > 0 ? raw.requests / seconds : 0,
    latencyMs: {
      p50: ms(raw.latencyUs.p50),
      p90: ms(raw.latencyUs.p90),
      p99: ms(raw.latencyUs.p99),
      p999: ms(raw.latencyUs.p999),
      max: ms(raw.latencyUs.max),
      mean: ms(raw.latencyUs.mean),
    },
    errors: raw.errors,
    reportedRequestsPerSecond: reported === undefined ? undefined : Number(reported),
    reportedNon2xx: non2xx === undefined ? 0 : Number(non2xx),
    marks,
  };
}

/** Answers that were not 2xx, by either count wrk keeps. */
export function non2xx(result: WrkResult): number {
  return Math.max(result.errors.status, result.reportedNon2xx);
}

export function socketErrors(result: WrkResult): number {
  const e = result.errors;
  return e.connect + e.read + e.write + e.timeout;
}
