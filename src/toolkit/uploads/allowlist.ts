// Which file types an upload may be, decided by the content's magic bytes (file-type), never
// by the client's Content-Type or the name alone; the name's extension must then agree with
// what the bytes are, so a file is never stored as one thing while calling itself another.
//
// Deliberately absent: SVG, HTML, XML and any other markup, and plain text. Markup is active
// content — a browser that renders it runs its scripts in whatever origin served it — and
// "plain text" cannot be told apart from HTML, SVG or JavaScript by its bytes, so allowing it
// would let all three in. Executables (ELF, PE/MZ, Mach-O), archives and office formats are
// absent because nothing here needs them and each is a carrier for something worse.

export interface AllowedType {
  /** The media type the file is stored and served as. */
  mediaType: string;
  /** Extensions (lowercase, without the dot) a name may carry for this type. */
  extensions: readonly string[];
}

/** file-type's `ext` → what we accept. */
export const DEFAULT_ALLOWED_TYPES: Readonly<Record<string, AllowedType>> = Object.freeze({
  png: { mediaType: 'image/png', extensions: ['png'] },
  jpg: { mediaType: 'image/jpeg', extensions: ['jpg', 'jpeg'] },
  gif: { mediaType: 'image/gif', extensions: ['gif'] },
  webp: { mediaType: 'image/webp', extensions: ['webp'] },
  pdf: { mediaType: 'application/pdf', extensions: ['pdf'] },
});

/** The lowercase extension of a (sanitized) name, '' when it has none. */
export function extensionOf(name: string): string {
  const dot = name.lastIndexOf('.');
  return dot <= 0 ? '' : name.slice(dot + 1).toLowerCase();
}
