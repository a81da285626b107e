// What a report shows from the target is made inert for terminals, HTML and XML, for any input.
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import fc from 'fast-check';
import { escapeHtml, escapeXml, stripControls } from '../../../src/audit/report/sanitize.ts';

// Strings rich in what attackers use: markup, quotes, entities, escapes and control characters.
const hostile = fc.string({
  unit: fc.oneof(
    fc.constantFrom('<', '>', '&', '"', "'", '/', '=', '\x1b', '[', ']', '\x07', '\r', '\n', '\t', '\x00', '\x9b', '\x9d', '\u202e', ';', '#', 'a', '0'),
    fc.constantFrom('<script>', '</textarea>', '<img src=x onerror=alert(1)>', '&amp;', '&lt;', '\x1b[2J', '\x1b]0;t\x07', '\x1b]8;;http://x\x1b\\'),
    fc.string({ unit: 'grapheme', maxLength: 2 }),
    fc.string({ unit: 'binary', maxLength: 2 }),
  ),
  maxLength: 60,
});

/** Undoes escapeHtml's entities, to check that escaping lost nothing but control characters. */
function unescapeHtml(text: string): string {
  return text.replace(/&(amp|lt|gt|quot|#39);/g, (_, e: string) => ({ amp: '&', lt: '<', gt: '>', quot: '"', '#39': "'" })[e]!);
}

// eslint-disable-next-line no-control-regex -- the point of the test
const TERMINAL_CONTROL = /[\x00-\x08\x0b-\x1f\x7f-\x9f\u202a-\u202e\u2066-\u2069]/;

describe('stripControls: nothing the target sent can drive a terminal', () => {
  test('removes screen clears, title changes, hyperlinks and carriage returns, keeping the text', () => {
    assert.equal(stripControls('a\x1b[2Jb\x1b[Hc'), 'abc');
    assert.equal(stripControls('x\x1b]0;pwned\x07y'), 'xy');
    assert.equal(stripControls('\x1b]8;;http://evil\x1b\\link\x1b]8;;\x1b\\'), 'link');
    assert.equal(stripControls('fake line\rreal'), 'fake linereal');
    assert.equal(stripControls('\x9b31mred'), 'red');
    assert.equal(stripControls('tab\tand\nnewline stay'), 'tab\tand\nnewline stay');
    assert.equal(stripControls('ab\u202ecd'), 'abcd');
  });

  test('property: no escape or control character survives, and clean text is left alone', () => {
    fc.assert(
      fc.property(hostile, (text) => {
        const out = stripControls(text);
        assert.doesNotMatch(out, TERMINAL_CONTROL);
        assert.equal(stripControls(out), out, 'idempotent');
      }),
      { numRuns: 2000 },
    );
    fc.assert(
      fc.property(fc.string({ unit: fc.constantFrom('a', 'Z', ' ', '<', '{', 'é', '\n', '\t') }), (text) => {
        assert.equal(stripControls(text), text);
      }),
    );
  });
});

describe('escapeHtml: target text is inert in element content and attributes', () => {
  test('a script, an event handler and a closing tag become text', () => {
    assert.equal(escapeHtml('<script>alert("x")</script>'), '&lt;script&gt;alert(&quot;x&quot;)&lt;/script&gt;');
    assert.equal(escapeHtml(`<img src=x onerror='a()'>`), '&lt;img src=x onerror=&#39;a()&#39;&gt;');
    assert.equal(escapeHtml('</textarea>&lt;'), '&lt;/textarea&gt;&amp;lt;');
  });

  test('property: no markup character is left and unescaping gives back the cleaned text', () => {
    fc.assert(
      fc.property(hostile, (text) => {
        const out = escapeHtml(text);
        assert.doesNotMatch(out, /[<>"']/);
        assert.doesNotMatch(out, /&(?!(?:amp|lt|gt|quot|#39);)/, 'every & starts one of our entities');
        assert.equal(unescapeHtml(out), stripControls(text));
      }),
      { numRuns: 2000 },
    );
  });
});

describe('escapeXml: well-formed XML 1.0 whatever the input', () => {
  test('characters XML forbids are dropped, markup escaped', () => {
    assert.equal(escapeXml('a\x00b\ufffec\ud800d'), 'abcd');
    assert.equal(escapeXml(`<x a="1">'&'</x>`), '&lt;x a=&quot;1&quot;&gt;&apos;&amp;&apos;&lt;/x&gt;');
    assert.equal(escapeXml('emoji 🎯 stays'), 'emoji 🎯 stays');
  });

  test('property: only XML 1.0 characters, no markup', () => {
    fc.assert(
      fc.property(hostile, (text) => {
        const out = escapeXml(text);
        assert.doesNotMatch(out, /[<>"']/);
        assert.doesNotMatch(out, /&(?!(?:amp|lt|gt|quot|apos);)/);
        assert.doesNotMatch(out, /[^\t\n\r\x20-\uD7FF\uE000-\uFFFD\u{10000}-\u{10FFFF}]/u);
      }),
      { numRuns: 2000 },
    );
  });
});
