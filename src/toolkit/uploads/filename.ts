// Client-supplied file names are metadata only: they never become a path. Still, they are
// shown back to people and put into a Content-Disposition header, so they are cleaned of
// everything that could mislead (bidi overrides that turn `gpj.exe` into `exe.jpg`), break a
// header (control characters, CR/LF) or a file system (path components, `..`, trailing dots).

export const MAX_NAME_LENGTH = 200;
const FALLBACK_NAME = 'file';

// C0, DEL and C1 controls; bidi embeddings, overrides and isolates; zero-width and other
// invisible format characters that can hide or reorder part of a name.
// eslint-disable-next-line no-control-regex -- matching control characters is the point
const INVISIBLE = /[\u0000-\u001f\u007f-\u009f\u061c\u200b-\u200f\u202a-\u202e\u2060-\u2069\ufeff\ufff9-\ufffb]/gu;

/** A safe display name: NFC, last path component only, no controls, at most 200 characters. */
export function sanitizeFilename(raw: string): string {
  const normalized = raw.normalize('NFC').replace(INVISIBLE, '');
  // Both separators: a name from Windows arrives as `C:\Users\x\a.png`.
  const base = normalized.split(/[/\\]/).pop() ?? '';
  // No leading dots (hidden files, `..`), no trailing dots or spaces (Windows drops them).
  const trimmed = base.replace(/^[\s.]+/u, '').replace(/[\s.]+$/u, '').replace(/\s+/gu, ' ');
  return truncate(trimmed === '' ? FALLBACK_NAME : trimmed);
}

/** Shortens by code points, keeping the extension so the type stays visible. */
function truncate(name: string): string {
  const chars = Array.from(name);
  if (chars.length <= MAX_NAME_LENGTH) return name;
  const dot = name.lastIndexOf('.');
  const extension = dot > 0 ? Array.from(name.slice(dot)) : [];
  if (extension.length > 16) return chars.slice(0, MAX_NAME_LENGTH).join('');
  return chars.slice(0, MAX_NAME_LENGTH - extension.length).join('') + extension.join('');
}

/**
 * `attachment` with an ASCII fallback and the exact name in RFC 8187 form (RFC 6266 §4.3):
 * old clients read `filename`, current ones `filename*`.
 */
export function contentDisposition(name: string): string {
  const ascii = name.replace(/[^\x20-\x7e]|["\\%]/g, '_');
  return `attachment; filename="${ascii}"; filename*=UTF-8''${encodeRfc8187(name)}`;
}

/** Percent-encodes everything outside RFC 8187's attr-char. */
function encodeRfc8187(value: string): string {
  return encodeURIComponent(value).replace(/['()*]/g, (c) => `%${c.charCodeAt(0).toString(16).toUpperCase()}`);
}
