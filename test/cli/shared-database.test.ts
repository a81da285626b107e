// Two instances on one PostgreSQL database with different RAMPART_SECRET_KEYs (two
// development data directories, or a teammate's): the second is refused with the cause and
// the fix, and its process exits — the pg pool, the Redis connection and the server's timers
// opened during the failed boot are all closed. A boot that fails later (port in use) exits too.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { createServer, type Server } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { once } from 'node:events';
import { buildApp } from '../../src/app/app.ts';
import { loadConfig, SecretMismatchError } from '../../src/toolkit/index.ts';
import { runCli } from '../helpers/cli.ts';
import { LogCapture } from '../helpers/http.ts';
import { createTestDatabase, REDIS_URL } from '../toolkit/stores/services.ts';

const CAUSE = /sealed under another RAMPART_SECRET_KEY/;
const FIX = /Every instance and CLI command that uses one database needs the same RAMPART_SECRET_KEY/;

describe('a second instance with another secret on the same database', () => {
  let pg: { url: string; drop: () => Promise<void> } | undefined;
  const dirs: string[] = [];
  const dataDir = (): string => {
    const dir = mkdtempSync(join(tmpdir(), 'rampart-shared-db-'));
    dirs.push(dir);
    return dir;
  };
  const env = (dir: string): Record<string, string> => ({ NODE_ENV: 'development', PORT: '0', RAMPART_DATA_DIR: dir, DATABASE_URL: pg!.url, REDIS_URL });

  before(async () => {
    pg = await createTestDatabase();
    // The first instance creates the signing and data keys under its own generated secret.
    const first = await buildApp(loadConfig(env(dataDir())), { server: { logDestination: new LogCapture() } });
    await first.app.close();
  });
  after(async () => {
    await pg?.drop();
    for (const dir of dirs) rmSync(dir, { recursive: true, force: true });
  });

  test('buildApp rejects with SecretMismatchError naming the cause and the fix', async () => {
    const error = await buildApp(loadConfig(env(dataDir())), { server: { logDestination: new LogCapture() } }).then(
      () => assert.fail('the second instance booted'),
      (e: unknown) => e,
    );
    assert.ok(error instanceof SecretMismatchError, String(error));
    assert.match(error.message, CAUSE);
    assert.match(error.message, FIX);
  });

  test('`rampart serve` prints the refusal, not the cipher error, and exits 1', () => {
    const result = runCli(['serve'], env(dataDir()));
    assert.equal(result.status, 1, `exit status ${String(result.status)} (null: it hung and was killed)\n${result.stderr}`);
    assert.match(result.stderr, CAUSE);
    assert.match(result.stderr, FIX);
    assert.doesNotMatch(result.stderr, /Unsupported state|unable to authenticate data/);
    assert.ok(!/\n\s+at /.test(result.stderr), 'no stack trace');
  });

  test('the same secret on the same database boots (the refusal is about the secret, nothing else)', async () => {
    const dir = dataDir();
    const firstSecret = loadConfig(env(dirs[0]!)).secrets.RAMPART_SECRET_KEY!;
    const second = await buildApp(loadConfig({ ...env(dir), RAMPART_SECRET_KEY: firstSecret }), { server: { logDestination: new LogCapture() } });
    await second.app.close();
  });
});

describe('a boot that fails after the stores opened', () => {
  let busy: Server;
  let dir: string;
  before(async () => {
    dir = mkdtempSync(join(tmpdir(), 'rampart-port-busy-'));
    busy = createServer().listen(0, '127.0.0.1');
    await once(busy, 'listening');
  });
  after(() => {
    busy.close();
    rmSync(dir, { recursive: true, force: true });
  });

  test('a port in use: one message, exit 1, nothing left open', () => {
    const address = busy.address();
    const port = typeof address === 'object' && address !== null ? address.port : 0;
    const result = runCli(['serve'], { NODE_ENV: 'development', PORT: String(port), RAMPART_DATA_DIR: dir, REDIS_URL });
    assert.equal(result.status, 1, `exit status ${String(result.status)} (null: it hung and was killed)\n${result.stderr}`);
    assert.match(result.stderr, /EADDRINUSE/);
  });
});
