// Every way an upload is refused, as the problem the client sees. Multipart parser errors
// (from @fastify/multipart and busboy) are mapped here: their own statuses and messages are
// not what we promise (406 for "not multipart", 413 for a second file, plain Errors that
// would be 500s for a malformed body).
import { HttpProblem } from '../errors/problem.ts';

export function tooLarge(maxBytes: number): HttpProblem {
  return new HttpProblem(413, { slug: 'upload-too-large', title: 'File too large', detail: `The file is larger than the ${maxBytes} bytes this endpoint accepts.`, extensions: { maxBytes } });
}

export const NOT_MULTIPART = new HttpProblem(415, { slug: 'multipart-required', title: 'Multipart body required', detail: 'Send the file as multipart/form-data with exactly one file part.' });
export const MALFORMED_MULTIPART = new HttpProblem(400, { slug: 'malformed-multipart', title: 'Malformed multipart body', detail: 'The multipart/form-data body could not be parsed.' });
export const FILE_MISSING = new HttpProblem(400, { slug: 'file-missing', title: 'File missing', detail: 'The multipart body holds no file part.' });
export const ONE_FILE_ONLY = new HttpProblem(400, { slug: 'one-file-only', title: 'One file per request', detail: 'Send exactly one file part per request.' });
export const UNEXPECTED_FIELD = new HttpProblem(400, { slug: 'unexpected-field', title: 'Unexpected form field', detail: 'Only one file part is accepted; the body holds other fields.' });
export const TOO_MANY_PARTS = new HttpProblem(413, { slug: 'too-many-parts', title: 'Too many parts', detail: 'The multipart body holds more parts than this endpoint accepts.' });
/** The field name comes from the route, never from the request, so identical failures stay byte-identical. */
export function wrongFileField(field: string): HttpProblem {
  return new HttpProblem(400, { slug: 'wrong-file-field', title: 'File in the wrong field', detail: `Send the file in the form field named "${field}" (Content-Disposition: form-data; name="${field}").`, extensions: { field } });
}
export const EMPTY_FILE = new HttpProblem(400, { slug: 'empty-file', title: 'Empty file', detail: 'The file is empty.' });

export function unsupportedType(allowed: readonly string[]): HttpProblem {
  return new HttpProblem(415, {
    slug: 'unsupported-file-type',
    title: 'File type not accepted',
    detail: `The file's content is not one of the accepted types (${allowed.join(', ')}).`,
    extensions: { accepted: allowed },
  });
}

export function extensionMismatch(allowed: readonly string[]): HttpProblem {
  return new HttpProblem(422, {
    slug: 'extension-mismatch',
    title: 'File name does not match its content',
    detail: `The file's content is ${allowed[0] ?? 'another type'}, but its name does not end in ${allowed.map((e) => `.${e}`).join(' or ')}.`,
    extensions: { expectedExtensions: allowed },
  });
}

export function malwareFound(signature: string): HttpProblem {
  return new HttpProblem(422, { slug: 'malware-detected', title: 'Malware detected', detail: `The file matches the malware signature "${signature}" and was not stored.`, extensions: { signature } });
}

export const SCANNER_UNAVAILABLE = new HttpProblem(503, {
  slug: 'scanner-unavailable',
  title: 'Malware scanner unavailable',
  detail: 'The file could not be scanned, so it was not stored. Retry after the time in Retry-After.',
  headers: { 'retry-after': '30' },
});

/** Maps an error raised while reading the multipart body to the problem for it. */
export function multipartProblem(error: unknown, maxBytes: number): unknown {
  if (error instanceof HttpProblem) return error;
  const failure = error as { code?: unknown; syscall?: unknown } | null;
  // Our own file-system failures (disk full, permissions) are server faults: keep them 500.
  if (typeof failure?.syscall === 'string') return error;
  switch (failure?.code) {
    case 'FST_REQ_FILE_TOO_LARGE': return tooLarge(maxBytes);
    case 'FST_FILES_LIMIT': return ONE_FILE_ONLY;
    case 'FST_FIELDS_LIMIT': return UNEXPECTED_FIELD;
    case 'FST_PARTS_LIMIT': return TOO_MANY_PARTS;
    case 'FST_INVALID_MULTIPART_CONTENT_TYPE': return NOT_MULTIPART;
    // Busboy's own errors (no boundary, truncated body, bad headers) are plain Errors, and
    // so are a prototype-polluting field name and a body cut short: all the client's doing.
    default: return MALFORMED_MULTIPART;
  }
}
