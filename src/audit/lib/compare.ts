// Comparing two answers while ignoring what a probe itself put into them: the basis of every
// differential proof (boolean injection pairs, key-placement differentials).
import type { HttpResponse } from '../http/client.ts';

const MAX_COMPARED = 256 * 1024;

function tokenCounts(text: string): Map<string, number> {
  const counts = new Map<string, number>();
  for (const token of text.slice(0, MAX_COMPARED).split(/[^\p{L}\p{N}_]+/u)) {
    if (token === '') continue;
    counts.set(token, (counts.get(token) ?? 0) + 1);
  }
  return counts;
}

/** Dice coefficient of the two texts' token multisets: 1 for identical, 0 for disjoint. */
export function similarity(a: string, b: string): number {
  if (a === b) return 1;
  const ta = tokenCounts(a);
  const tb = tokenCounts(b);
  let shared = 0;
  let total = 0;
  for (const [token, count] of ta) {
    shared += Math.min(count, tb.get(token) ?? 0);
    total += count;
  }
  for (const count of tb.values()) total += count;
  if (total === 0) return a.trim() === b.trim() ? 1 : 0;
  return (2 * shared) / total;
}

/** The text with every form of the given values (raw, URL-, JSON- and HTML-encoded) removed. */
export function stripEchoes(text: string, values: readonly string[]): string {
  let out = text;
  const forms = new Set<string>();
  for (const value of values) {
    if (value.length < 2) continue;
    forms.add(value);
    forms.add(encodeURIComponent(value));
    forms.add(new URLSearchParams({ v: value }).toString().slice(2));
    forms.add(JSON.stringify(value).slice(1, -1));
    forms.add(value.replaceAll('&', '&amp;').replaceAll('<', '&lt;').replaceAll('>', '&gt;').replaceAll('"', '&quot;').replaceAll("'", '&#39;'));
    forms.add(value.replaceAll("'", '&#x27;'));
  }
  // Longest first, so that a value is not half-removed through one of its parts.
  for (const form of [...forms].sort((x, y) => y.length - x.length)) out = out.split(form).join('');
  return out;
}

export interface Comparison {
  sameStatus: boolean;
  similarity: number;
}

export function compare(a: HttpResponse, b: HttpResponse, echoes: readonly string[] = []): Comparison {
  return {
    sameStatus: a.status === b.status,
    similarity: similarity(stripEchoes(a.text, echoes), stripEchoes(b.text, echoes)),
  };
}

/** Same status and (almost) the same body once the probes' own values are removed. */
export function sameAnswer(a: HttpResponse, b: HttpResponse, echoes: readonly string[] = [], threshold = 0.98): boolean {
  const c = compare(a, b, echoes);
  return c.sameStatus && c.similarity >= threshold;
}

/** A clearly different answer: another status, or a body that shares little with the other. */
export function differentAnswer(a: HttpResponse, b: HttpResponse, echoes: readonly string[] = [], threshold = 0.9): boolean {
  const c = compare(a, b, echoes);
  return !c.sameStatus || c.similarity < threshold;
}
