// The only body parser installed by default. It refuses, never repairs: malformed JSON,
// nesting deeper than the limit, and keys that pollute prototypes (`__proto__`,
// `constructor`, `prototype`) are 400s before any handler or validator sees the value.
import { HttpProblem } from '../errors/problem.ts';

const FORBIDDEN_KEYS = new Set(['__proto__', 'constructor', 'prototype']);

export function parseJsonBody(text: string, maxDepth: number): unknown {
  if (text.length === 0) {
    throw new HttpProblem(400, { slug: 'malformed-json', title: 'Malformed JSON', detail: 'The request body is empty but its Content-Type says JSON.' });
  }
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch {
    throw new HttpProblem(400, { slug: 'malformed-json', title: 'Malformed JSON', detail: 'The request body is not valid JSON.' });
  }
  checkStructure(value, maxDepth);
  return value;
}

/** Iterative walk (V8's JSON.parse is not recursive, so a deep body must not overflow us). */
function checkStructure(root: unknown, maxDepth: number): void {
  const stack: [unknown, number][] = [[root, 1]];
  while (stack.length > 0) {
    const [value, depth] = stack.pop()!;
    if (typeof value !== 'object' || value === null) continue;
    if (depth > maxDepth) {
      throw new HttpProblem(400, { slug: 'json-too-deep', title: 'JSON nested too deeply', detail: `The request body nests deeper than ${maxDepth} levels.` });
    }
    if (Array.isArray(value)) {
      for (const item of value) stack.push([item, depth + 1]);
      continue;
    }
    for (const key of Object.keys(value)) {
      if (FORBIDDEN_KEYS.has(key)) {
        throw new HttpProblem(400, { slug: 'forbidden-key', title: 'Forbidden property name', detail: `The property name "${key}" is not accepted in request bodies.` });
      }
      stack.push([(value as Record<string, unknown>)[key], depth + 1]);
    }
  }
}
