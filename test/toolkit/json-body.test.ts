// The JSON body parser refuses a property name written twice in one object, at any depth,
// naming it as a JSON pointer — however the name is spelled (escapes) and whatever colons the
// strings hold (the fast path counts colons). Checked against a reference on random bodies.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { parseJsonBody } from '../../src/toolkit/limits/json-body.ts';
import { HttpProblem } from '../../src/toolkit/errors/problem.ts';

/** The pointer of the repeated name, or undefined when the body is accepted. */
function refusedAt(text: string): string | undefined {
  try {
    parseJsonBody(text, 64);
    return undefined;
  } catch (error) {
    assert.ok(error instanceof HttpProblem, String(error));
    assert.equal(error.slug, 'duplicate-key', error.detail);
    const [field] = error.extensions['errors'] as { in: string; pointer: string }[];
    assert.equal(field!.in, 'body');
    return field!.pointer;
  }
}

test('a repeated name is refused at any depth, named by its pointer', () => {
  assert.equal(refusedAt('{"amount":1,"amount":-5}'), '/amount');
  assert.equal(refusedAt('{"a":{"b":[1,{"c":true,"d":null,"c":false}]}}'), '/a/b/1/c');
  assert.equal(refusedAt('[{"x/y~z":1,"x/y~z":2}]'), '/0/x~1y~0z');
  assert.equal(refusedAt('{"":1,"":2}'), '/');
  // The same name spelled with escapes is the same name to every reader that decodes it.
  assert.equal(refusedAt('{"name":"a","\\u006eame":"b"}'), '/name');
  assert.equal(refusedAt('{"t:1":"x","t\\u003a1":"y"}'), '/t:1');
  // An escaped colon elsewhere must not hide a repeat from the colon count.
  assert.equal(refusedAt('{"a":1,"a":2,"x":"\\u003a"}'), '/a');
  assert.equal(refusedAt('{"a":{"k":"v:w"},"a":"\\u003A"}'), '/a');
});

test('the same name in different objects, and colons in names and strings, are fine', () => {
  for (const body of ['{"a":{"x":1},"b":{"x":1}}', '[{"x":1},{"x":1}]', '{"at":"12:30:00","url":"https://x.example:8443/","k:v":":"}', '{"a":"\\u003a","\\u003a":1}', '{"a":"\\\\u003a"}', '"just a string: fine"']) {
    assert.equal(refusedAt(body), undefined, body);
  }
});

// A random tree whose objects are lists of entries (so names may repeat), written with names
// and colons sometimes escaped; the reference finds the first repeat in text order.
type Tree = string | number | boolean | null | { list: Tree[] } | { entries: [string, Tree][] };
const names = fc.constantFrom('a', 'b', 'n', 'a:b', ':', 'x/y', 't~', '');
const { tree } = fc.letrec<{ tree: Tree }>((self) => ({
  tree: fc.oneof(
    { depthSize: 'small', withCrossShrink: true },
    fc.constantFrom<Tree>(null, true, 0, -1.5, 'plain', 'at 12:00', ':', '::'),
    fc.record({ list: fc.array(self('tree'), { maxLength: 4 }) }),
    fc.record({ entries: fc.array(fc.tuple(names, self('tree')), { maxLength: 4 }) }),
  ),
}));

function write(value: Tree, escape: () => boolean): string {
  if (typeof value !== 'object' || value === null) return typeof value === 'string' ? text(value, escape) : JSON.stringify(value);
  if ('list' in value) return `[${value.list.map((item) => write(item, escape)).join(',')}]`;
  return `{${value.entries.map(([name, item]) => `${text(name, escape)}:${write(item, escape)}`).join(',')}}`;
}

function text(value: string, escape: () => boolean): string {
  return JSON.stringify(value).replace(/[:n]/g, (c) => (escape() ? `\\u${c.charCodeAt(0).toString(16).padStart(4, '0')}` : c));
}

function reference(value: Tree, path: string): string | undefined {
  if (typeof value !== 'object' || value === null) return undefined;
  if ('list' in value) {
    for (const [i, item] of value.list.entries()) {
      const found = reference(item, `${path}/${i}`);
      if (found !== undefined) return found;
    }
    return undefined;
  }
  const seen = new Set<string>();
  for (const [name, item] of value.entries) {
    const at = `${path}/${name.replaceAll('~', '~0').replaceAll('/', '~1')}`;
    if (seen.has(name)) return at;
    seen.add(name);
    const found = reference(item, at);
    if (found !== undefined) return found;
  }
  return undefined;
}

test('random bodies: refused exactly when a name repeats, at the first repeat (property)', () => {
  fc.assert(
    fc.property(tree, fc.array(fc.boolean(), { minLength: 1, maxLength: 16 }), (value, coins) => {
      let i = 0;
      const escape = (): boolean => coins[i++ % coins.length]!;
      assert.equal(refusedAt(write(value, escape)), reference(value, ''));
    }),
    { numRuns: 3000 },
  );
});
