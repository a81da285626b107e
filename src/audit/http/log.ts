// --log-requests <file.jsonl>: every exchange the audit sends, one JSON object a line, in a file
// only its owner may read (mode 0600). Credentials never reach it: Authorization, Cookie and
// Set-Cookie values, the identities' passwords and tokens wherever they appear, JSON fields named
// like a password, a secret or a token, and anything shaped like a JWT are replaced.
import { closeSync, fchmodSync, openSync, writeSync } from 'node:fs';
import { AuditError, errorCode } from '../errors.ts';
import { scrubText } from '../identities/redact.ts';
import type { HttpResult } from './client.ts';
import { decodeURIComponentSafe } from '../lib/decode.ts';

const MASK = '<redacted>';
const SECRET_HEADERS = new Set(['authorization', 'proxy-authorization', 'cookie', 'set-cookie', 'x-api-key', 'api-key', 'x-auth-token']);
const SECRET_FIELD = /pass(?:word|wd|phrase)?$|^pwd$|secret|token|jwt|api_?key|credential/i;
const JWT = /eyJ[\w-]{4,}\.[\w-]{4,}\.[\w-]*/g;
const BODY_CHARS = 4096;

/** Masks credentials in a text: the known secrets, JWTs, `"password": "…"` JSON fields and `password=…` form fields. */
export function redactText(text: string, secrets: readonly string[]): string {
  let out = scrubText(text, [...secrets].sort((a, b) => b.length - a.length));
  out = out.replace(JWT, MASK);
  out = out.replace(/("([^"\\]{1,60})"\s*:\s*)"(?:[^"\\]|\\.)*"/g, (whole, head: string, key: string) => (SECRET_FIELD.test(key) ? `${head}"${MASK}"` : whole));
  out = out.replace(/(^|[?&])([^=&\s]{1,60})=([^&\s]*)/g, (whole, sep: string, key: string) => (SECRET_FIELD.test(decodeURIComponentSafe(key)) ? `${sep}${key}=${MASK}` : whole));
  return out;
}


function headers(raw: Record<string, string>, secrets: readonly string[]): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [name, value] of Object.entries(raw)) out[name] = SECRET_HEADERS.has(name.toLowerCase()) ? MASK : redactText(value, secrets);
  return out;
}

export class RequestLog {
  readonly #fd: number;
  readonly #secrets: () => readonly string[];
  #open = true;

  /** Creates (or empties) the file with mode 0600, whatever the umask or its earlier mode. */
  constructor(path: string, secrets: () => readonly string[]) {
    try {
      this.#fd = openSync(path, 'w', 0o600);
      fchmodSync(this.#fd, 0o600);
    } catch (error) {
      throw new AuditError('OUTPUT_UNWRITABLE', `cannot write the request log ${path}: ${errorCode(error) ?? 'error'}`);
    }
    this.#secrets = secrets;
  }

  write(result: HttpResult, purpose: string | undefined): void {
    if (!this.#open) return;
    const secrets = this.#secrets();
    const body = result.request.body;
    const sent = body === undefined ? undefined : typeof body === 'string' ? body : body.toString('utf8');
    const line = {
      at: new Date().toISOString(),
      ...(purpose === undefined ? {} : { purpose }),
      request: {
        method: result.request.method,
        url: redactText(result.request.url, secrets),
        headers: headers(result.request.headers, secrets),
        ...(sent === undefined ? {} : { body: redactText(sent.slice(0, BODY_CHARS), secrets), bytes: Buffer.byteLength(sent) }),
      },
      outcome: result.outcome,
      ...(result.outcome === 'ok' || (result.outcome === 'throttled' && result.response !== undefined)
        ? {
            response: {
              status: result.response!.status,
              headers: headers(result.response!.headers, secrets),
              body: redactText(result.response!.text.slice(0, BODY_CHARS), secrets),
              bytes: result.response!.body.length,
              ms: Math.round(result.response!.durationMs),
            },
          }
        : {}),
      ...('error' in result ? { error: redactText(result.error, secrets) } : {}),
    };
    writeSync(this.#fd, `${JSON.stringify(line)}\n`);
  }

  close(): void {
    if (!this.#open) return;
    this.#open = false;
    closeSync(this.#fd);
  }
}
