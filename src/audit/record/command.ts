// `rampart audit record --listen 127.0.0.1:PORT --target URL --out spec.json`: a loopback proxy
// that writes an OpenAPI 3.1 document of the traffic passing through it, rewritten after every
// exchange (atomically) and once more on Ctrl-C. The document names where credentials travelled,
// never their values; `rampart audit <target> --openapi spec.json` then audits what was recorded.
import { readFile, rename, writeFile } from 'node:fs/promises';
import { Command, InvalidArgumentError } from 'commander';
import { buildDocument } from '../imports/openapi.ts';
import type { Writer } from '../progress.ts';
import { startRecorder } from './proxy.ts';
import type { Recorder } from './proxy.ts';

export interface RecordIo {
  stdout?: Writer;
  stderr?: Writer;
  exit?: (code: number) => void;
  /** Resolves when the recording should stop (default: SIGINT or SIGTERM). */
  stopped?: Promise<void>;
}

function listenAddress(value: string): { host: string; port: number } {
  const match = /^(?:\[([^\]]+)\]|([^:]+)):(\d{1,5})$/.exec(value);
  const port = Number(match?.[3]);
  if (match === null || port > 65535) throw new InvalidArgumentError('expected HOST:PORT, e.g. 127.0.0.1:8080 (port 0 picks a free one)');
  return { host: match[1] ?? match[2]!, port };
}

function targetUrl(value: string): URL {
  let url: URL;
  try {
    url = new URL(value);
  } catch {
    throw new InvalidArgumentError('expected the API\'s base URL, e.g. http://127.0.0.1:3000');
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:') throw new InvalidArgumentError('expected an http:// or https:// URL');
  return url;
}

function signalled(): Promise<void> {
  return new Promise((resolve) => {
    process.once('SIGINT', () => resolve());
    process.once('SIGTERM', () => resolve());
  });
}

export function recordCommand(io: RecordIo = {}): Command {
  const stdout = io.stdout ?? process.stdout;
  const stderr = io.stderr ?? process.stderr;
  const exit = io.exit ?? ((code: number): void => void (process.exitCode = code));
  return new Command('record')
    .description('Record the traffic of a browser, test suite or script through a loopback proxy into an OpenAPI document to audit')
    .requiredOption('--listen <host:port>', 'where the proxy listens: loopback only (127.0.0.1, [::1] or localhost)', listenAddress)
    .requiredOption('--target <url>', 'the API the proxy forwards to; its path is the prefix the document\'s paths are relative to', targetUrl)
    .requiredOption('--out <file>', 'the OpenAPI 3.1 document to write (mode 0600, rewritten after every exchange)')
    .option('--ca <file>', 'extra certificate authority (PEM) for an https target')
    .action(async (options: { listen: { host: string; port: number }; target: URL; out: string; ca?: string }) => {
      const prefix = options.target.pathname.replace(/\/+$/, '');
      let pending: Promise<void> = Promise.resolve();
      let recorder: Recorder | undefined;
      let failed = false;
      /** Paths in the document last written. */
      let written = 0;
      const save = (): Promise<void> => {
        // One write at a time, each from every observation so far; the rename makes it atomic.
        pending = pending.catch(() => undefined).then(async () => {
          const built = buildDocument(recorder?.observed ?? [], { origin: options.target.origin, prefix, source: 'record' }, `recorded from ${options.target.origin}${prefix}`);
          written = Object.keys(built.document.paths as object).length;
          const temporary = `${options.out}.${process.pid}.tmp`;
          await writeFile(temporary, `${JSON.stringify(built.document, null, 2)}\n`, { mode: 0o600 });
          await rename(temporary, options.out);
        });
        return pending;
      };
      const saveQuietly = (): void => {
        // A write that fails mid-recording is said once; the final save says it again.
        pending = save().catch((error: unknown) => {
          if (!failed) stderr.write(`rampart audit record: cannot write ${options.out}: ${error instanceof Error ? error.message : String(error)}\n`);
          failed = true;
        });
      };
      try {
        const ca = options.ca === undefined ? undefined : await readFile(options.ca, 'utf8');
        recorder = await startRecorder({ ...options.listen, target: options.target, ...(ca === undefined ? {} : { ca }), onObserved: saveQuietly });
        await save();
      } catch (error) {
        await recorder?.close();
        stderr.write(`rampart audit record: ${error instanceof Error ? error.message : String(error)}\n`);
        exit(2);
        return;
      }
      stdout.write(`recording: send requests to ${recorder.url}/ (forwarded to ${options.target.origin}); writing ${options.out}; Ctrl-C to stop\n`);
      await (io.stopped ?? signalled());
      await recorder.close();
      try {
        await save();
      } catch (error) {
        stderr.write(`rampart audit record: cannot write ${options.out}: ${error instanceof Error ? error.message : String(error)}\n`);
        exit(1);
        return;
      }
      stdout.write(`recorded ${recorder.observed.length} request(s), ${written} path(s), in ${options.out}; audit it with: rampart audit ${options.target.href} --openapi ${options.out}\n`);
      exit(0);
    });
}
