// Upload checks (OWASP file-upload guidance): one file per multipart request, a size limit
// enforced while streaming, a malware scan, the type from magic bytes against an allowlist,
// a sanitized name kept as metadata only, random names on disk in a private directory.
import { fileURLToPath } from 'node:url';
import multipart from '@fastify/multipart';
import type { FastifyRequest } from 'fastify';
import type { RampartServer } from '../server/create.ts';
import { DEFAULT_ALLOWED_TYPES, type AllowedType } from './allowlist.ts';
import { receiveUpload, type MalwareHook, type ReceivedUpload } from './receive.ts';
import type { Scanner } from './scanner.ts';
import { openFileStorage, removeStaleTempFiles, type FileStorage } from './storage.ts';

export { DEFAULT_ALLOWED_TYPES, extensionOf, type AllowedType } from './allowlist.ts';
export { contentDisposition, sanitizeFilename, MAX_NAME_LENGTH } from './filename.ts';
export { ScannerUnavailableError, type Scanner, type ScanResult } from './scanner.ts';
export { createSignatureScanner, parseSignatures, signatureScanner, type Signature } from './signature-scanner.ts';
export { createClamdScanner, type ClamdScannerOptions } from './clamd-scanner.ts';
export type { MalwareFinding, MalwareHook, ReceivedUpload } from './receive.ts';
export { removeStaleTempFiles, STALE_TEMP_AGE_MS, type FileStorage } from './storage.ts';

/** The signature file shipped with the package (the EICAR test signature). */
export const DEFAULT_SIGNATURE_FILE = fileURLToPath(new URL('../../../signatures/malware.txt', import.meta.url));

export interface UploadOptions {
  /** Storage directory, created with mode 0700; keep it outside anything served. */
  dir: string;
  /** Largest file accepted, in bytes (413 beyond). */
  maxBytes: number;
  scanner: Scanner;
  /** file-type extension → accepted type; DEFAULT_ALLOWED_TYPES when omitted. */
  allowedTypes?: Readonly<Record<string, AllowedType>>;
  /**
   * Called for each file the scanner refuses (with its signature, hash, size and detected
   * type, never its name or content), e.g. to record a security event. Without it, a warn log.
   */
  onMalware?: MalwareHook;
}

export interface Uploads {
  readonly storage: FileStorage;
  /**
   * Installs multipart parsing, and only it, in an encapsulated scope: call it inside
   * `app.register(async (scope) => …)` and declare the upload route in that scope, so no
   * other route accepts multipart bodies (and the upload route accepts nothing else).
   */
  register(scope: RampartServer): Promise<void>;
  /** Reads the request's one file and checks it; see ReceivedUpload. Throws HttpProblems. */
  receive(request: FastifyRequest): Promise<ReceivedUpload>;
}

export function createUploads(options: UploadOptions): Uploads {
  if (!Number.isSafeInteger(options.maxBytes) || options.maxBytes < 1) throw new TypeError('createUploads: maxBytes must be a positive integer');
  const allowedTypes = options.allowedTypes ?? DEFAULT_ALLOWED_TYPES;
  for (const [ext, type] of Object.entries(allowedTypes)) {
    if (/svg|html|xml/i.test(`${ext} ${type.mediaType}`)) throw new TypeError(`createUploads: ${type.mediaType} is active content and cannot be allowed`);
  }
  const storage = openFileStorage(options.dir);
  // A crash mid-upload leaves a temporary file behind; startup is when nobody of ours holds one.
  removeStaleTempFiles(storage.dir);
  const receiveOptions = { storage, maxBytes: options.maxBytes, scanner: options.scanner, allowedTypes, ...(options.onMalware ? { onMalware: options.onMalware } : {}) };
  return {
    storage,
    async register(scope) {
      scope.removeAllContentTypeParsers();
      await scope.register(multipart, {
        limits: {
          fileSize: options.maxBytes,
          files: 1,
          // No text fields at all: the first one is refused (400), not silently dropped.
          fields: 0,
          parts: 2,
          headerPairs: 20,
          fieldNameSize: 100,
          fieldSize: 1024,
        },
        throwFileSizeLimit: true,
      });
    },
    receive: (request) => receiveUpload(request, receiveOptions),
  };
}
