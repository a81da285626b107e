// Percent-decoding that never throws: a malformed escape (`%zz`, a lone `%`) stays as written.
export function decodeURIComponentSafe(text: string): string {
  try {
    return decodeURIComponent(text);
  } catch {
    return text;
  }
}
