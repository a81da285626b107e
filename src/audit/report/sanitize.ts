// Everything a report shows from the target (bodies, headers, URLs, titles built from answers) is
// hostile until proven otherwise. These functions make such text inert for each medium: a
// terminal (no escape sequences), HTML (no markup) and XML (no markup, only legal characters).

/** ANSI/VT escape sequences: CSI (`ESC [` or 8-bit CSI), OSC/DCS/PM/APC strings, and two-character escapes. */
const ESCAPE_SEQUENCE =
  // eslint-disable-next-line no-control-regex -- matching control characters is the point
  /(?:\x1b\[|\x9b)[0-?]*[ -/]*[@-~]?|(?:\x1b[\]P^_X]|[\x90\x9d\x9e\x9f\x98])[^\x07\x1b\x9c]*(?:\x07|\x1b\\|\x9c)?|\x1b[ -/]*[0-~]?/g;
/** C0 controls except tab and newline, DEL, C1 controls, and bidirectional overrides ("Trojan Source"). */
// eslint-disable-next-line no-control-regex -- as above
const CONTROL = /[\x00-\x08\x0b-\x1f\x7f-\x9f\u061c\u200e\u200f\u202a-\u202e\u2066-\u2069]/g;

/**
 * Removes terminal control: escape sequences (screen clears, title changes, cursor moves,
 * hyperlinks), carriage returns and every other control character but tab and newline.
 */
export function stripControls(text: string): string {
  return text.replace(ESCAPE_SEQUENCE, '').replace(CONTROL, '');
}

const HTML_ESCAPES: Record<string, string> = { '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' };

/** Text safe in HTML element content and in quoted attribute values. */
export function escapeHtml(text: string): string {
  return stripControls(text).replace(/[&<>"']/g, (c) => HTML_ESCAPES[c]!);
}

/** Code points XML 1.0 forbids anywhere (lone surrogates included, thanks to the `u` flag). */
const XML_INVALID = /[^\t\n\r\x20-\uD7FF\uE000-\uFFFD\u{10000}-\u{10FFFF}]/gu;

/** Text safe in XML 1.0 element content and quoted attribute values. */
export function escapeXml(text: string): string {
  return stripControls(text)
    .replace(XML_INVALID, '')
    .replace(/[&<>"']/g, (c) => (c === "'" ? '&apos;' : HTML_ESCAPES[c]!));
}
