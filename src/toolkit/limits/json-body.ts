// The only body parser installed by default. It refuses, never repairs: malformed JSON,
// nesting deeper than the limit, keys that pollute prototypes (`__proto__`, `constructor`,
// `prototype`), and a property name repeated in one object (JSON.parse keeps the last, while
// a proxy or firewall may read the first: `{"amount":1,"amount":-5}`) are 400s before any
// handler or validator sees the value. The body size limit applies before any of this: the
// text arrives here only once it is within it.
import { visit } from 'jsonc-parser';
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
  const counted = checkStructure(value, maxDepth);
  if (mayRepeatKeys(text, counted)) {
    const pointer = firstRepeatedKey(text);
    if (pointer !== undefined) throw duplicateKey(pointer);
  }
  return value;
}

interface Counted {
  /** Property names in the parsed value (a repeated name counts once: the last wins). */
  keys: number;
  /** `:` characters inside the parsed value's names and string values. */
  colons: number;
}

/**
 * Iterative walk (V8's JSON.parse is not recursive, so a deep body must not overflow us); it
 * also counts what `mayRepeatKeys` compares against the text.
 */
function checkStructure(root: unknown, maxDepth: number): Counted {
  const counted: Counted = { keys: 0, colons: 0 };
  const stack: [unknown, number][] = [[root, 1]];
  while (stack.length > 0) {
    const [value, depth] = stack.pop()!;
    if (typeof value === 'string') {
      counted.colons += colons(value);
      continue;
    }
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
      counted.keys++;
      counted.colons += colons(key);
      stack.push([(value as Record<string, unknown>)[key], depth + 1]);
    }
  }
  return counted;
}

function colons(text: string): number {
  let count = 0;
  for (let at = text.indexOf(':'); at !== -1; at = text.indexOf(':', at + 1)) count++;
  return count;
}

/**
 * A cheap, exact filter. In valid JSON every `:` in the text either follows a property name
 * (one per name as written) or stands literally inside a string. When no string writes a
 * colon as the escape `\u003a`, the colons of the parsed value's strings are exactly those
 * literal ones — so if no name repeats, text colons = parsed names + parsed string colons.
 * A repeated name drops at least one written name (and everything in the value it replaced)
 * from the parsed value, so the sum falls short. The precise search runs only when the sums
 * differ or an escaped colon makes the count inexact.
 */
function mayRepeatKeys(text: string, counted: Counted): boolean {
  return text.includes('\\u003a') || text.includes('\\u003A') || colons(text) !== counted.keys + counted.colons;
}

/** The JSON pointer of the first property name written twice in one object (jsonc-parser's scanner). */
function firstRepeatedKey(text: string): string | undefined {
  const open: Set<string>[] = [];
  let found: string | undefined;
  visit(
    text,
    {
      onObjectBegin: () => {
        open.push(new Set());
      },
      onObjectEnd: () => {
        open.pop();
      },
      onObjectProperty: (name, _offset, _length, _line, _column, path) => {
        const names = open[open.length - 1]!;
        if (found === undefined && names.has(name)) found = pointer([...path(), name]);
        names.add(name);
      },
    },
    { disallowComments: true, allowTrailingComma: false },
  );
  return found;
}

function pointer(path: readonly (string | number)[]): string {
  return path.map((token) => `/${String(token).replaceAll('~', '~0').replaceAll('/', '~1')}`).join('');
}

function duplicateKey(at: string): HttpProblem {
  return new HttpProblem(400, {
    slug: 'duplicate-key',
    title: 'Duplicate property name',
    detail: `The request body names the property ${at} more than once in one object.`,
    extensions: { errors: [{ in: 'body', pointer: at, detail: 'appears more than once in its object' }] },
  });
}
