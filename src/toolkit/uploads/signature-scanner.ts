// The default scanner: byte signatures from a file we ship (`signatures/malware.txt`), one
// `Name:hex` per line. It exists so the scan path — refusal, the signature in the problem,
// nothing stored — is exercised offline with the EICAR test file; it is not an antivirus.
// Configure clamd (RAMPART_CLAMD_SOCKET) for real detection.
import { createReadStream, readFileSync } from 'node:fs';
import type { Scanner, ScanResult } from './scanner.ts';

export interface Signature {
  name: string;
  bytes: Buffer;
}

export interface SignatureScannerOptions {
  /** Read size; small values exist so tests can split a signature across reads. */
  chunkBytes?: number;
}

const LINE = /^([A-Za-z0-9._-]{1,100}):((?:[0-9a-fA-F]{2}){4,4096})$/;

/** Parses a signature file; throws naming the first bad line (a typo must not disable a rule). */
export function parseSignatures(text: string): Signature[] {
  const signatures: Signature[] = [];
  text.split(/\r?\n/).forEach((line, index) => {
    const trimmed = line.trim();
    if (trimmed === '' || trimmed.startsWith('#')) return;
    const match = LINE.exec(trimmed);
    if (match === null) throw new Error(`signature file line ${index + 1}: expected Name:hex (at least 4 bytes)`);
    signatures.push({ name: match[1]!, bytes: Buffer.from(match[2]!, 'hex') });
  });
  if (signatures.length === 0) throw new Error('signature file holds no signatures');
  return signatures;
}

export function createSignatureScanner(file: string, options: SignatureScannerOptions = {}): Scanner {
  const signatures = parseSignatures(readFileSync(file, 'utf8'));
  return signatureScanner(signatures, options);
}

export function signatureScanner(signatures: readonly Signature[], options: SignatureScannerOptions = {}): Scanner {
  const overlap = Math.max(...signatures.map((s) => s.bytes.length)) - 1;
  const chunkBytes = options.chunkBytes ?? 64 * 1024;
  return {
    async scan(path: string): Promise<ScanResult> {
      // Each read is searched together with the tail of the previous one, so a signature
      // split across two reads is still found; memory stays at one read plus the overlap.
      let tail: Buffer = Buffer.alloc(0);
      for await (const chunk of createReadStream(path, { highWaterMark: chunkBytes }) as AsyncIterable<Buffer>) {
        const window = tail.length === 0 ? chunk : Buffer.concat([tail, chunk]);
        const found = signatures.find((s) => window.includes(s.bytes));
        if (found) return { clean: false, signature: found.name };
        tail = window.subarray(Math.max(0, window.length - overlap));
      }
      return { clean: true };
    },
  };
}
