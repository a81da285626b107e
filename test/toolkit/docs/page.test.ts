// The docs page is the one HTML page the service renders: every text in it is HTML-encoded,
// whatever a route's declaration says, and the page runs no script.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { renderDocsPage } from '../../../src/toolkit/docs/page.ts';

const HOSTILE = `<script>alert(1)</script><img src=x onerror="alert('x')">&amp;`;

test('every text the docs page renders is HTML-encoded', () => {
  const page = renderDocsPage({
    info: { title: HOSTILE, version: HOSTILE, description: HOSTILE },
    paths: { [`/v1/${HOSTILE}`]: { get: { summary: HOSTILE, security: [{ [HOSTILE]: [HOSTILE] }] }, post: { summary: 'plain', deprecated: true } } },
  }, `openapi.json?${HOSTILE}`);
  assert.doesNotMatch(page, /<script|<img|onerror="/i);
  const encoded = '&lt;script&gt;alert(1)&lt;/script&gt;&lt;img src=x onerror=&quot;alert(&#39;x&#39;)&quot;&gt;&amp;amp;';
  // Title and heading, version, description, the link (twice), path, summary, scope and scheme.
  assert.ok(page.split(encoded).length - 1 >= 10, page);
  assert.match(page, /<td>plain<\/td>/);
});
