// Receiving one uploaded file: the multipart part is streamed to a temporary file while its
// bytes are counted and hashed, so memory stays at one chunk plus the head kept for type
// detection, whatever the size sent. Then, in order: size, malware scan, type by magic bytes
// against the allowlist, extension against that type. Any failure removes the temporary file;
// only the caller's keep() gives the file its final name.
import { createHash } from 'node:crypto';
import { createWriteStream } from 'node:fs';
import { Transform } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import type { FastifyRequest } from 'fastify';
import type { MultipartFile } from '@fastify/multipart';
import { fileTypeFromBuffer } from 'file-type';
import { extensionOf, type AllowedType } from './allowlist.ts';
import { sanitizeFilename } from './filename.ts';
import { EMPTY_FILE, extensionMismatch, FILE_MISSING, malwareFound, multipartProblem, NOT_MULTIPART, ONE_FILE_ONLY, SCANNER_UNAVAILABLE, tooLarge, UNEXPECTED_FIELD, unsupportedType, wrongFileField } from './problems.ts';
import { ScannerUnavailableError, type Scanner } from './scanner.ts';
import type { FileStorage } from './storage.ts';

/** Bytes kept for type detection; file-type needs at most this many for the allowed types. */
const HEAD_BYTES = 4100;

export interface ReceiveOptions {
  storage: FileStorage;
  maxBytes: number;
  scanner: Scanner;
  allowedTypes: Readonly<Record<string, AllowedType>>;
  onMalware?: MalwareHook;
}

/** What is known about a file the scanner refused: never its name, never its content. */
export interface MalwareFinding {
  signature: string;
  sha256: string;
  size: number;
  /** The media type its magic bytes claim, when they claim one. */
  detectedType?: string;
}

/** Called once per refused file, before the 422 is sent (e.g. to record a security event). */
export type MalwareHook = (request: FastifyRequest, finding: MalwareFinding) => Promise<void> | void;

/** A file that passed every check and waits, under a temporary name, for keep() or discard(). */
export interface ReceivedUpload {
  /** The client's name, sanitized; metadata only. */
  name: string;
  /** The detected media type (never the one the client declared). */
  mediaType: string;
  size: number;
  /** Hex SHA-256 of the content. */
  sha256: string;
  /** Gives the file its final random name and returns it. */
  keep(): Promise<string>;
  /** Removes the temporary file. */
  discard(): Promise<void>;
}

interface TempFile {
  path: string;
  name: string;
  size: number;
  sha256: string;
  head: Buffer;
}

export async function receiveUpload(request: FastifyRequest, options: ReceiveOptions): Promise<ReceivedUpload> {
  if (!request.isMultipart()) throw NOT_MULTIPART;
  let temp: TempFile | undefined;
  try {
    // The whole body is read, so a second file or a field after the first file is refused
    // rather than ignored.
    const field = fileFieldOf(request);
    for await (const part of request.parts()) {
      if (part.type !== 'file') throw UNEXPECTED_FIELD;
      if (temp !== undefined) throw ONE_FILE_ONLY;
      // Checked before a byte is written: a part under another name is refused, not stored.
      if (part.fieldname !== field) throw wrongFileField(field);
      temp = await writeTemp(part, options);
    }
  } catch (error) {
    if (temp) await options.storage.remove(temp.path);
    throw multipartProblem(error, options.maxBytes);
  }
  if (temp === undefined) throw FILE_MISSING;
  const file = temp;
  let type: AllowedType;
  try {
    type = await check(file, options, request);
  } catch (error) {
    await options.storage.remove(file.path);
    throw error;
  }
  return {
    name: file.name,
    mediaType: type.mediaType,
    size: file.size,
    sha256: file.sha256,
    keep: () => options.storage.keep(file.path),
    discard: () => options.storage.remove(file.path),
  };
}

/**
 * The form field the file must come in: the one the route documents (`schema.upload.field`,
 * which the OpenAPI document states), `file` when the route documents none. One source, so
 * the document and the check cannot disagree.
 */
function fileFieldOf(request: FastifyRequest): string {
  return request.routeOptions.schema?.upload?.field ?? DEFAULT_FILE_FIELD;
}

const DEFAULT_FILE_FIELD = 'file';

async function writeTemp(part: MultipartFile, options: ReceiveOptions): Promise<TempFile> {
  const path = options.storage.tempPath();
  const hash = createHash('sha256');
  const head: Buffer[] = [];
  let headSize = 0;
  let size = 0;
  const meter = new Transform({
    transform(chunk: Buffer, _encoding, callback) {
      size += chunk.length;
      // Belt and braces: busboy's fileSize limit truncates the part, and this refuses it.
      if (size > options.maxBytes) {
        callback(tooLarge(options.maxBytes));
        return;
      }
      hash.update(chunk);
      if (headSize < HEAD_BYTES) {
        const slice = chunk.subarray(0, HEAD_BYTES - headSize);
        head.push(Buffer.from(slice)); // a copy: the chunk's memory is busboy's
        headSize += slice.length;
      }
      callback(null, chunk);
    },
  });
  // Stop at the limit instead of reading the rest of an oversized part into nowhere.
  part.file.once('limit', () => meter.destroy(tooLarge(options.maxBytes)));
  try {
    // `wx`: never follow or overwrite anything already there; 0600: nobody else reads uploads.
    await pipeline(part.file, meter, createWriteStream(path, { flags: 'wx', mode: 0o600 }));
    if (part.file.truncated) throw tooLarge(options.maxBytes);
  } catch (error) {
    await options.storage.remove(path);
    throw error;
  }
  // A part counts as a file when typed application/octet-stream even without a filename.
  const raw = part.filename as string | undefined;
  return { path, name: sanitizeFilename(raw ?? ''), size, sha256: hash.digest('hex'), head: Buffer.concat(head) };
}

async function check(file: TempFile, options: ReceiveOptions, request: FastifyRequest): Promise<AllowedType> {
  if (file.size === 0) throw EMPTY_FILE;
  // Scanned before the type check, so malware is reported as malware whatever it claims to be.
  let result;
  try {
    result = await options.scanner.scan(file.path);
  } catch (error) {
    if (!(error instanceof ScannerUnavailableError)) throw error;
    request.log.error({ err: error }, 'malware scanner unavailable; upload refused');
    throw SCANNER_UNAVAILABLE;
  }
  const detected = await fileTypeFromBuffer(file.head);
  if (!result.clean) {
    await reportMalware(request, options.onMalware, {
      signature: result.signature,
      sha256: file.sha256,
      size: file.size,
      ...(detected === undefined ? {} : { detectedType: detected.mime }),
    });
    throw malwareFound(result.signature);
  }
  const allowed = detected === undefined ? undefined : options.allowedTypes[detected.ext];
  if (allowed === undefined) throw unsupportedType(Object.keys(options.allowedTypes));
  if (!allowed.extensions.includes(extensionOf(file.name))) throw extensionMismatch(allowed.extensions);
  return allowed;
}

async function reportMalware(request: FastifyRequest, hook: MalwareHook | undefined, finding: MalwareFinding): Promise<void> {
  if (hook === undefined) {
    request.log.warn(finding, 'upload refused: malware signature matched');
    return;
  }
  // The refusal stands whatever the hook does; a failing hook is logged, not the client's 500.
  try {
    await hook(request, finding);
  } catch (error) {
    request.log.error({ err: error, ...finding }, 'upload refused: malware signature matched; the malware hook failed');
  }
}
