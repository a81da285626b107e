// The HTML report's only style and script. They are constants so their CSP hashes are too: the
// page allows exactly these bytes and nothing else. The script reads no data from the page but
// the data-* attributes we wrote, and only toggles `hidden`.

export const HTML_STYLE = `
:root { color-scheme: light; --ink: #1c2833; --muted: #5d6d7e; --line: #d5d8dc; --paper: #fbfcfc; }
* { box-sizing: border-box; }
body { margin: 0; font: 15px/1.5 system-ui, -apple-system, "Segoe UI", Roboto, sans-serif; color: var(--ink); background: var(--paper); }
header.page, main, footer { max-width: 1180px; margin: 0 auto; padding: 0 24px; }
header.page { padding-top: 24px; }
h1 { margin: 0 0 4px; font-size: 26px; }
h2 { font-size: 19px; margin: 28px 0 10px; }
.meta { color: var(--muted); margin: 2px 0; font-size: 13px; }
.target code { font-size: 15px; }
code, pre { font-family: ui-monospace, "SFMono-Regular", Menlo, Consolas, monospace; font-size: 12.5px; }
[hidden] { display: none !important; }
.charts { display: flex; flex-wrap: wrap; gap: 32px; align-items: flex-start; }
.chart .axis { font-size: 13px; fill: #34495e; text-transform: capitalize; }
.chart .count { font-size: 13px; font-weight: 600; fill: #1c2833; }
table.categories { border-collapse: collapse; font-size: 13px; }
table.categories th, table.categories td { border: 1px solid var(--line); padding: 4px 10px; text-align: center; }
table.categories th[scope=row] { text-align: left; font-weight: 500; }
table.categories td.zero { color: #b2babb; }
table.categories td.n { font-weight: 700; color: #fff; }
td.sev-critical, .badge.sev-critical { background: #7b1020; }
td.sev-high, .badge.sev-high { background: #c0392b; }
td.sev-medium, .badge.sev-medium { background: #d68910; }
td.sev-low, .badge.sev-low { background: #2e86c1; }
td.sev-info, .badge.sev-info { background: #7f8c8d; }
#filters { position: sticky; top: 0; z-index: 1; background: var(--paper); border-bottom: 1px solid var(--line); padding: 10px 0; margin-top: 20px; display: flex; flex-wrap: wrap; gap: 18px; align-items: center; }
#filters fieldset { border: 0; margin: 0; padding: 0; display: flex; gap: 12px; flex-wrap: wrap; }
#filters legend { float: left; margin-right: 8px; font-weight: 600; }
#filters label { text-transform: capitalize; cursor: pointer; }
#shown { margin: 0; color: var(--muted); }
.finding { border: 1px solid var(--line); border-left: 6px solid #7f8c8d; border-radius: 6px; background: #fff; margin: 16px 0; padding: 12px 16px; }
.finding.sev-critical { border-left-color: #7b1020; }
.finding.sev-high { border-left-color: #c0392b; }
.finding.sev-medium { border-left-color: #d68910; }
.finding.sev-low { border-left-color: #2e86c1; }
.finding h3 { display: inline; font-size: 16px; margin: 0 0 0 8px; }
.badge { display: inline-block; color: #fff; border-radius: 3px; padding: 1px 7px; font-size: 11px; font-weight: 700; text-transform: uppercase; letter-spacing: .04em; vertical-align: 2px; }
.finding .body { display: grid; grid-template-columns: minmax(0, 1fr) 320px; gap: 20px; margin-top: 8px; }
@media (max-width: 860px) { .finding .body { grid-template-columns: 1fr; } }
.where { margin: 4px 0; padding-left: 18px; }
details summary { cursor: pointer; color: #1f618d; font-weight: 600; margin: 6px 0; }
.exchange h5 { margin: 10px 0 4px; font-size: 13px; }
.pair { display: grid; grid-template-columns: 1fr 1fr; gap: 8px; }
pre { margin: 0; padding: 8px; background: #f4f6f7; border: 1px solid var(--line); border-radius: 4px; white-space: pre-wrap; word-break: break-word; max-height: 360px; overflow: auto; }
mark { background: #fcf3cf; }
aside.fix { align-self: start; background: #eafaf1; border: 1px solid #abebc6; border-radius: 6px; padding: 8px 12px; font-size: 14px; }
aside.fix h4 { margin: 0 0 4px; color: #1e8449; }
aside.fix .fingerprint, aside.fix .links { font-size: 12px; color: var(--muted); }
.context { font-style: italic; }
.incomplete { color: #c0392b; }
footer { color: var(--muted); font-size: 12px; padding: 24px; }
`;

export const HTML_SCRIPT = `
(function () {
  'use strict';
  var boxes = Array.prototype.slice.call(document.querySelectorAll('input[name="severity"]'));
  var category = document.getElementById('category');
  var findings = Array.prototype.slice.call(document.querySelectorAll('article.finding'));
  var shown = document.getElementById('shown');
  function apply() {
    var wanted = {};
    boxes.forEach(function (box) { if (box.checked) wanted[box.value] = true; });
    var chosen = category ? category.value : '';
    var visible = 0;
    findings.forEach(function (finding) {
      var show = wanted[finding.getAttribute('data-severity')] === true &&
        (chosen === '' || finding.getAttribute('data-category') === chosen);
      finding.hidden = !show;
      if (show) visible++;
    });
    if (shown) shown.textContent = 'Showing ' + visible + ' of ' + findings.length + ' findings';
  }
  boxes.forEach(function (box) { box.addEventListener('change', apply); });
  if (category) category.addEventListener('change', apply);
  apply();
})();
`;
