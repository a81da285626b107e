// Every number the documentation gives for the reference service comes from a recorded run:
// bench/results/service-baseline.json (npm run bench:service -- --save-baseline) and the layer
// files bench/results/layers-<route>-<server>.json (bench/service/layers.ts --save). The tables
// in docs/performance.md are what the bench's own formatting makes of those files, and the
// README's headline figures are those files' numbers.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { formatRatios, formatTable, type CellResult, type Ratio } from '../../bench/service/report.ts';
import { formatLayers, type LayerCost } from '../../bench/service/layers.ts';
import { docsPage, README } from '../helpers/readme.ts';

const results = (name: string): unknown => JSON.parse(readFileSync(new URL(`../../bench/results/${name}`, import.meta.url), 'utf8'));
const baseline = results('service-baseline.json') as { cells: CellResult[]; ratios: Ratio[]; table: string; machine: { commit: string } };
const page = docsPage('performance.md');
const cell = (route: string, server: string): CellResult => {
  const found = baseline.cells.find((c) => c.route === route && c.server === server);
  assert.ok(found, `${route} on ${server} is in the recorded run`);
  return found;
};

test('the service table and ratios in docs/performance.md are the recorded run, formatted by the bench', () => {
  assert.equal(formatTable(baseline.cells), baseline.table);
  assert.ok(page.includes(`${baseline.table}\n`), 'the service table');
  assert.ok(page.includes(`${formatRatios(baseline.ratios)}\n`), 'the ratios');
  assert.ok(page.includes(`commit ${baseline.machine.commit};`));
  const loads = baseline.cells.flatMap((c) => c.runs.map((r) => r.load1));
  assert.ok(page.includes(`between ${Math.min(...loads).toFixed(1)} and ${Math.max(...loads).toFixed(1)} on 2 cores`), 'the load average is stated');
});

test('the previous run the page compares with is the recorded one', () => {
  const previous = results('service-previous.json') as { ratios: Ratio[]; machine: { commit: string } };
  const [health, fastify, fastapi] = previous.ratios;
  assert.ok(page.includes(`commit\n${previous.machine.commit},`) || page.includes(`commit ${previous.machine.commit},`), 'its commit');
  assert.ok(page.includes(`${health!.byCpu.toFixed(2)}, ${fastify!.byCpu.toFixed(2)}× and ${fastapi!.byCpu.toFixed(2)}× for the same three ratios`));
});

test('the layer tables in docs/performance.md are the recorded profiles', () => {
  for (const name of ['layers-orders-service.json', 'layers-orders-fastify-stack.json', 'layers-healthz-service.json']) {
    const recorded = results(name) as { layers: LayerCost[]; table: string; requests: number };
    assert.equal(formatLayers(recorded.layers), recorded.table, name);
    assert.ok(page.includes(`${recorded.table}\n`), name);
    assert.ok(page.includes(`${recorded.requests.toLocaleString('en-US')} requests`), `${name}: its request count`);
  }
});

test('the README\'s headline figures are the recorded run\'s', () => {
  const us = (route: string, server: string): string => Math.round(cell(route, server).cpuUsPerRequest).toLocaleString('en-US');
  const section = README.slice(README.indexOf('## Performance'), README.indexOf('## Layout'));
  assert.ok(section.includes(`\`GET /v1/orders\` cost ${us('orders', 'service')} µs of CPU per request against ${us('orders', 'fastify-stack')} for the Fastify stack`), section);
  assert.ok(section.includes(`and ${us('orders', 'fastapi')} for FastAPI, and \`GET /healthz\` ${us('healthz', 'service')} µs against ${us('healthz', 'fastify-bare')} for bare Fastify`), section);
});
