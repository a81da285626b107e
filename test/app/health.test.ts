// The reference service boots on the embedded default (node:sqlite + memory) and reports
// liveness and readiness.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { buildApp } from '../../src/app/app.ts';
import { listen, loadConfig, openDatabase, type Listening, type RampartServer } from '../../src/toolkit/index.ts';
import { LogCapture, request } from '../helpers/http.ts';
import { closeAll } from '../helpers/close-all.ts';

describe('reference service health', () => {
  let dir: string;
  let app: RampartServer;
  let listening: Listening;
  let url: string;
  before(async () => {
    dir = mkdtempSync(join(tmpdir(), 'rampart-app-'));
    const config = loadConfig({ NODE_ENV: 'development', PORT: '0' }, dir);
    ({ app } = await buildApp(config, { server: { logDestination: new LogCapture() } }));
    listening = await listen(app, { host: '127.0.0.1', port: 0, allowedHosts: [], development: true });
    url = `http://127.0.0.1:${listening.port}`;
  });
  after(() => closeAll(listening, () => rmSync(dir, { recursive: true, force: true })));

  test('keeps its data in the data directory', () => {
    assert.ok(existsSync(join(dir, 'data', 'rampart.db')));
    assert.ok(existsSync(join(dir, 'data', 'secrets.json')));
  });

  test('GET /healthz is public and says ok', async () => {
    const response = await request(url, '/healthz');
    assert.equal(response.status, 200);
    assert.deepEqual(response.json(), { status: 'ok' });
    assert.equal(response.headers['ratelimit-policy'], '"health";q=600;w=60');
  });

  test('GET /readyz checks the database', async () => {
    const response = await request(url, '/readyz');
    assert.equal(response.status, 200);
    assert.deepEqual(response.json(), { status: 'ready' });
  });

  test('GET /readyz answers 503 problem+json when the database is gone', async () => {
    const config = loadConfig({ NODE_ENV: 'development', PORT: '0' }, dir);
    const database = openDatabase<unknown>({ databaseUrl: 'sqlite::memory:', dataDir: dir });
    const { app: broken } = await buildApp(config, { database, server: { logDestination: new LogCapture() } });
    try {
      await database.close();
      const response = await broken.inject({ url: '/readyz', headers: { host: 'localhost' } });
      assert.equal(response.statusCode, 503);
      assert.equal(response.headers['content-type'], 'application/problem+json');
      assert.equal(response.headers['retry-after'], '5');
      assert.deepEqual(response.json(), {
        type: 'tag:rampart.dev,2026:problem:not-ready',
        title: 'Service Unavailable',
        status: 503,
        detail: 'Not ready: database is unavailable.',
        unavailable: ['database'],
        draining: false,
      });
      // Liveness touches no dependency.
      assert.equal((await broken.inject({ url: '/healthz', headers: { host: 'localhost' } })).statusCode, 200);
    } finally {
      await broken.close();
    }
  });
});
