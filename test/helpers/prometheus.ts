// Reading the Prometheus text format in tests: samples of one metric, filtered by labels.
import assert from 'node:assert/strict';

/** Samples of one metric whose labels include `labels`, as [labels, value]. */
export function samples(text: string, name: string, labels: Record<string, string> = {}): [Record<string, string>, number][] {
  const found: [Record<string, string>, number][] = [];
  for (const line of text.split('\n')) {
    const match = /^([a-zA-Z_:][a-zA-Z0-9_:]*)(?:\{(.*)\})? (\S+)$/.exec(line);
    if (match?.[1] !== name) continue;
    const parsed = Object.fromEntries([...(match[2] ?? '').matchAll(/([a-zA-Z_]+)="((?:[^"\\]|\\.)*)"/g)].map((m) => [m[1]!, m[2]!]));
    if (Object.entries(labels).every(([key, value]) => parsed[key] === value)) found.push([parsed, Number(match[3])]);
  }
  return found;
}

/** The one sample of a metric with exactly these labels (0 when absent). */
export function value(text: string, name: string, labels: Record<string, string>): number {
  const matching = samples(text, name, labels).filter(([parsed]) => Object.keys(parsed).length === Object.keys(labels).length);
  assert.ok(matching.length <= 1, `more than one ${name} sample for ${JSON.stringify(labels)}`);
  return matching[0]?.[1] ?? 0;
}
