// The HTML report in a real browser (Debian's Chromium driven by playwright-core): it renders every
// finding, its filters work, and a hostile target cannot script it — neither through the fixture's
// planted page nor through findings crafted with payloads in every field. Assertions are on the
// page, not on pixels; a screenshot is kept in test-artifacts/ for people.
import assert from 'node:assert/strict';
import { mkdirSync, writeFileSync } from 'node:fs';
import { after, before, describe, test } from 'node:test';
import { pathToFileURL } from 'node:url';
import { chromium } from 'playwright-core';
import type { Browser, Page } from 'playwright-core';
import type { AuditResult } from '../../../src/audit/engine.ts';
import type { Finding } from '../../../src/audit/finding.ts';
import { fingerprintOf } from '../../../src/audit/finding.ts';
import { applyBaseline, baselineOf } from '../../../src/audit/report/baseline.ts';
import { HTML_CSP, renderHtml } from '../../../src/audit/report/html.ts';
import { audit, startTwins } from '../helpers.ts';
import type { Twins } from '../helpers.ts';
import { closeAll } from '../../helpers/close-all.ts';

const ARTIFACTS = new URL('../../../test-artifacts/', import.meta.url);
const PAYLOADS = [
  '<script>window.__pwned = "script"</script>',
  '<img src=x onerror="window.__pwned = \'img\'">',
  '</textarea></style></pre><svg onload="window.__pwned = \'svg\'">',
  '"><iframe srcdoc="<script>parent.__pwned=1</script>">',
  "' onmouseover='window.__pwned = \"attr\"' x='",
  '<a href="javascript:window.__pwned=\'link\'">click</a>',
  '<meta http-equiv="refresh" content="0;url=https://evil.example/">',
  '<base href="https://evil.example/">',
  '\x1b[2J\x1b]0;pwned\x07\r',
];

let twins: Twins;
let browser: Browser;
let fixtureResult: AuditResult;
before(async () => {
  twins = await startTwins();
  fixtureResult = await audit(twins.vuln);
  browser = await chromium.launch({
    executablePath: process.env.CHROMIUM_PATH ?? '/usr/bin/chromium',
    // Root (CI containers) cannot use Chromium's sandbox. No name resolves: the page may not reach out.
    args: [...(process.getuid?.() === 0 ? ['--no-sandbox'] : []), '--host-resolver-rules=MAP * ~NOTFOUND'],
  });
});
after(() => closeAll(browser, twins));

interface Watched {
  page: Page;
  dialogs: string[];
  errors: string[];
  requests: string[];
}

/** Opens a report from a file (as a person would), recording dialogs, errors, CSP violations and requests. */
async function open(html: string, name: string): Promise<Watched> {
  mkdirSync(ARTIFACTS, { recursive: true });
  const file = new URL(name, ARTIFACTS);
  writeFileSync(file, html);
  const page = await browser.newPage();
  const watched: Watched = { page, dialogs: [], errors: [], requests: [] };
  page.on('dialog', (dialog) => {
    watched.dialogs.push(dialog.message());
    void dialog.dismiss();
  });
  page.on('pageerror', (error) => watched.errors.push(error.message));
  page.on('console', (message) => {
    if (message.type() === 'error') watched.errors.push(message.text());
  });
  page.on('request', (request) => {
    if (request.url() !== file.href) watched.requests.push(request.url());
  });
  // Runs before the page's own code; CSP does not apply to it. It records what the policy blocked.
  await page.addInitScript({
    content: `window.__violations = [];
      document.addEventListener('securitypolicyviolation', (e) => window.__violations.push(e.violatedDirective + ' ' + e.blockedURI));`,
  });
  await page.goto(pathToFileURL(file.pathname).href);
  return watched;
}

async function assertInert(watched: Watched): Promise<void> {
  const { page } = watched;
  // Give any handler (onerror, onload, refresh) its chance to fire.
  await page.waitForTimeout(300);
  assert.equal(await page.evaluate('typeof window.__pwned'), 'undefined', 'no payload ran');
  assert.deepEqual(watched.dialogs, [], 'no alert, confirm or prompt');
  assert.deepEqual(watched.errors, [], 'no script error and no console error');
  assert.deepEqual(await page.evaluate('window.__violations'), [], 'nothing needed blocking: our style and script match their hashes, and no payload became markup');
  assert.deepEqual(watched.requests, [], 'the page requested nothing');
  assert.equal(await page.locator('script').count(), 1, 'only our own script element exists');
  assert.equal(await page.locator('img, iframe, base, meta[http-equiv="refresh"], [onerror], [onload], [onmouseover]').count(), 0);
  assert.equal(await page.locator('a[href^="javascript:"]').count(), 0);
}

describe('HTML report of a full fixture audit, in Chromium', () => {
  test('renders the summary, every finding with its proof folded and the fix beside it', async () => {
    const baselined = applyBaseline(fixtureResult, baselineOf(fixtureResult.findings.slice(-2)));
    const watched = await open(renderHtml(baselined), 'audit-report.html');
    const { page } = watched;
    try {
      const shown = baselined.findings.length;
      assert.equal(await page.locator('article.finding').count(), shown);
      assert.equal(await page.locator('#totals').innerText(), `${shown} findings · 2 suppressed by the baseline`);
      assert.equal(await page.locator('#suppressed li').count(), 2);
      assert.equal(await page.locator('svg.chart rect').count(), 5, 'one bar per severity');
      const categories = new Set(baselined.findings.map((f) => f.owasp)).size;
      assert.ok(categories >= 3);
      assert.equal(await page.locator('table.categories tbody tr').count(), categories, 'a row per OWASP category found');
      // Proofs start folded; the fix is visible beside them.
      const first = page.locator('article.finding').first();
      assert.equal(await first.locator('details').getAttribute('open'), null);
      assert.equal(await first.locator('.exchange pre.response').first().isVisible(), false);
      assert.ok(await first.locator('aside.fix').isVisible());
      await first.locator('details summary').click();
      assert.ok(await first.locator('.exchange pre.response').first().isVisible());
      await assertInert(watched);
      await page.screenshot({ path: new URL('audit-report.png', ARTIFACTS).pathname, fullPage: true });
    } finally {
      await page.close();
    }
  });

  test('the fixture page quoted in the evidence shows as text and stays inert', async () => {
    const watched = await open(renderHtml(fixtureResult), 'audit-report-fixture.html');
    const { page } = watched;
    try {
      const click = page.locator('article.finding', { hasText: 'clickjacking' });
      await click.locator('details summary').click();
      const response = await click.locator('pre.response').first().innerText();
      assert.ok(response.includes('<script>window.__pwned = 1; alert(1)</script>'), 'the payload is shown as text');
      assert.ok(response.includes('<img src=x onerror="window.__pwned = 2">'));
      assert.ok(!response.includes('\x1b'), 'terminal escapes are stripped for the page too');
      await assertInert(watched);
    } finally {
      await page.close();
    }
  });

  test('lists each operation’s protection as found by behaviour, as the text and JSON reports do', async () => {
    assert.ok(fixtureResult.protection.length > 0);
    const { page } = await open(renderHtml(fixtureResult), 'audit-report-protection.html');
    try {
      const rows = page.locator('#protection tbody tr');
      assert.equal(await rows.count(), fixtureResult.protection.length);
      for (const [i, entry] of fixtureResult.protection.entries()) {
        const cells = await rows.nth(i).locator('td').allInnerTexts();
        assert.deepEqual([cells[0], cells[1], cells[3]], [entry.verdict, `${entry.method} ${entry.route}`, entry.why]);
        if (entry.anonymous !== undefined) assert.match(cells[2]!, new RegExp(`^anonymous ${entry.anonymous}`));
      }
      const count = (verdict: string): number => fixtureResult.protection.filter((e) => e.verdict === verdict).length;
      assert.match(await page.locator('#protection p').innerText(), new RegExp(`^${count('protected')} protected, ${count('public')} public, ${count('unknown')} unknown`));
    } finally {
      await page.close();
    }
  });

  test('filters by severity and category hide and show findings', async () => {
    const watched = await open(renderHtml(fixtureResult), 'audit-report-filters.html');
    const { page } = watched;
    try {
      const all = fixtureResult.findings.length;
      const visible = (): Promise<number> => page.locator('article.finding:visible').count();
      assert.equal(await visible(), all);
      assert.equal(await page.locator('#shown').innerText(), `Showing ${all} of ${all} findings`);

      const low = fixtureResult.findings.filter((f) => f.severity === 'low').length;
      assert.ok(low > 0);
      await page.locator('input[name="severity"][value="low"]').uncheck();
      assert.equal(await visible(), all - low);
      assert.equal(await page.locator('article.finding[data-severity="low"]:visible').count(), 0);
      assert.equal(await page.locator('#shown').innerText(), `Showing ${all - low} of ${all} findings`);
      await page.locator('input[name="severity"][value="low"]').check();
      assert.equal(await visible(), all);

      const category = 'API8:2023';
      const inCategory = fixtureResult.findings.filter((f) => f.owasp === category).length;
      assert.ok(inCategory > 0 && inCategory < all);
      await page.locator('#category').selectOption(category);
      assert.equal(await visible(), inCategory);
      assert.equal(await page.locator(`article.finding:visible:not([data-category="${category}"])`).count(), 0);
      await page.locator('#category').selectOption('');
      assert.equal(await visible(), all);
      await assertInert(watched);
    } finally {
      await page.close();
    }
  });
});

describe('HTML report: findings crafted with payloads in every target-derived field', () => {
  function hostileFinding(i: number, payload: string): Finding {
    const location = { method: 'GET', route: `/x/${payload}`, parameter: payload };
    return {
      id: 'headers.clickjacking',
      check: 'headers',
      title: `Title ${payload}`,
      severity: 'high',
      confidence: 'confirmed',
      owasp: 'API8:2023',
      cwe: 1021,
      location,
      affected: [location],
      evidence: {
        summary: `Summary ${payload}`,
        exchanges: [
          {
            label: `Label ${payload}`,
            request: { method: 'GET', url: `http://127.0.0.1/${payload}`, headers: { [`x-${i}`]: payload }, bodyExcerpt: payload },
            response: { status: 200, headers: { 'content-type': payload, [`x-h-${i}`]: payload }, bodyExcerpt: payload },
            highlight: [`x-h-${i}`, payload],
          },
        ],
      },
      fix: `Fix ${payload}`,
      fingerprint: fingerprintOf('headers.clickjacking', { ...location, route: `/x/${i}` }),
      target: 'http://127.0.0.1/',
    };
  }

  test('no payload runs, loads, navigates or becomes markup; each is shown literally', async () => {
    const findings = PAYLOADS.map((p, i) => hostileFinding(i, p));
    const result: AuditResult = {
      ...fixtureResult,
      spec: { source: PAYLOADS[0]!, openapi: PAYLOADS[1]!, operations: 1, discovered: false },
      checks: { ran: ['headers'], skipped: [{ id: 'bola', reason: PAYLOADS[2]! }] },
      findings,
      notes: PAYLOADS,
      protection: PAYLOADS.map((payload, i) => ({ method: 'GET', route: `/p/${i}/${payload}`, verdict: 'unknown' as const, why: `Why ${payload}`, anonymous: 400, identities: { [`who ${payload}`]: 200 } })),
    };
    const html = renderHtml(result);
    assert.match(html, new RegExp(`<meta http-equiv="Content-Security-Policy" content="${HTML_CSP.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}">`));
    assert.doesNotMatch(HTML_CSP, /unsafe/);
    const watched = await open(html, 'audit-report-hostile.html');
    const { page } = watched;
    try {
      assert.equal(await page.locator('article.finding').count(), PAYLOADS.length);
      for (const details of await page.locator('details').all()) await details.locator('summary').click();
      await assertInert(watched);
      const text = await page.locator('body').innerText();
      for (const payload of PAYLOADS.slice(0, -1)) assert.ok(text.includes(`Title ${payload}`), payload);
      // The protection table too: every route, reason and identity name shown as text, one row each.
      assert.equal(await page.locator('#protection tbody tr').count(), PAYLOADS.length);
      const table = await page.locator('#protection').innerText();
      for (const payload of PAYLOADS.slice(0, -1)) assert.ok(table.includes(`Why ${payload}`) && table.includes(`who ${payload} 200`), payload);
      assert.equal(await page.title(), `Rampart audit of ${result.target}`);
    } finally {
      await page.close();
    }
  });

  test('defence in depth: markup that escaped escaping is still blocked by the CSP, and the watcher sees it', async () => {
    // Simulates an escaping bug by splicing raw payloads into an otherwise genuine report.
    const html = renderHtml(fixtureResult).replace('</main>', `${PAYLOADS[0]!}${PAYLOADS[1]!}</main>`);
    const watched = await open(html, 'audit-report-unescaped.html');
    const { page } = watched;
    try {
      await page.waitForTimeout(300);
      assert.equal(await page.evaluate('typeof window.__pwned'), 'undefined', 'the CSP stopped both payloads');
      const violations = await page.evaluate<string[]>('window.__violations');
      assert.ok(violations.some((v) => v.startsWith('script-src')), JSON.stringify(violations));
      assert.equal(await page.locator('script').count(), 2, 'the injected script element exists; it just did not run');
    } finally {
      await page.close();
    }
  });
});
