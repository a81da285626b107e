// The malware-scan step: one interface, two implementations (a signature file we ship, and
// ClamAV's clamd). A scanner that cannot answer throws ScannerUnavailableError and the upload
// is refused with 503: an unscanned file is never stored (fail closed).

export type ScanResult = { clean: true } | { clean: false; signature: string };

export interface Scanner {
  /** Scans the file at `path` (a complete file the scanner may read, never modify). */
  scan(path: string): Promise<ScanResult>;
}

export class ScannerUnavailableError extends Error {
  readonly code = 'ERR_SCANNER_UNAVAILABLE';
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'ScannerUnavailableError';
  }
}
