// SIGTERM under load, through the real `rampart serve`: every request a client sent before
// the signal gets an HTTP answer and no connection is reset. 200 password-grant logins (slow:
// argon2, at most 2 hashes at a time) are each written in full on their own connection, then
// the process gets SIGTERM. During the drain readiness is 503, a keep-alive client's next
// answer says `Connection: close`, and new connections are still answered.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { once } from 'node:events';
import { mkdtempSync, rmSync } from 'node:fs';
import { Agent, request as httpRequest, type IncomingHttpHeaders } from 'node:http';
import { connect } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { ChildProcess } from 'node:child_process';
import { parseRaw } from '../helpers/http.ts';
import { startCli, waitForOutput } from '../helpers/cli.ts';

const CLIENTS = 200;

interface Sent {
  /** Resolves when the server has closed the connection: everything it sent, and any socket error. */
  answer: Promise<{ text: string; error: Error | undefined }>;
}

/** Opens a connection and writes `data` in full; resolves once the kernel has taken every byte. */
function send(port: number, data: string): Promise<Sent> {
  return new Promise((resolve, reject) => {
    const socket = connect(port, '127.0.0.1');
    const chunks: Buffer[] = [];
    let error: Error | undefined;
    socket.on('data', (chunk: Buffer) => chunks.push(chunk));
    socket.on('error', (e) => {
      error = e;
    });
    const answer = new Promise<{ text: string; error: Error | undefined }>((done) => {
      socket.on('close', () => done({ text: Buffer.concat(chunks).toString('latin1'), error }));
    });
    socket.once('connect', () => {
      socket.write(data, (writeError) => (writeError ? reject(writeError) : resolve({ answer })));
    });
    socket.once('error', reject);
  });
}

function get(port: number, path: string, agent: Agent): Promise<{ status: number; headers: IncomingHttpHeaders; reused: boolean }> {
  return new Promise((resolve, reject) => {
    const req = httpRequest({ host: '127.0.0.1', port, path, agent }, (res) => {
      res.resume();
      res.on('end', () => resolve({ status: res.statusCode ?? 0, headers: res.headers, reused: req.reusedSocket }));
    });
    req.on('error', reject);
    req.end();
  });
}

describe('SIGTERM under load', () => {
  let dir: string;
  let child: ChildProcess | undefined;
  before(() => {
    dir = mkdtempSync(join(tmpdir(), 'rampart-drain-'));
  });
  after(() => {
    if (child && child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
    rmSync(dir, { recursive: true, force: true });
  });

  test(`${CLIENTS} logins sent before SIGTERM all get an HTTP answer; none is reset`, async (t) => {
    child = startCli(['serve'], {
      NODE_ENV: 'development',
      PORT: '0',
      RAMPART_DATA_DIR: dir,
      RAMPART_RATE_LIMIT: '100000',
      RAMPART_TOKEN_RATE_LIMIT: '100000',
      // Long enough that the checks below run inside the drain however slow the machine is.
      RAMPART_DRAIN_MS: '3000',
    });
    const output = await waitForOutput(child, /rampart listening on http:\/\/127\.0\.0\.1:(\d+)/, 60_000);
    const port = Number(/rampart listening on http:\/\/127\.0\.0\.1:(\d+)/.exec(output)![1]);
    const password = /^ {2}alice\s+user\s+(\S+)$/m.exec(output)![1]!;

    const agent = new Agent({ keepAlive: true, maxSockets: 1 });
    const first = await get(port, '/healthz', agent);
    assert.equal(first.status, 200);
    assert.equal(first.headers.connection, 'keep-alive');

    const body = new URLSearchParams({ grant_type: 'password', username: 'alice', password }).toString();
    const login = `POST /v1/auth/token HTTP/1.1\r\nHost: 127.0.0.1:${port}\r\nContent-Type: application/x-www-form-urlencoded\r\nContent-Length: ${body.length}\r\n\r\n${body}`;
    const sent = await Promise.all(Array.from({ length: CLIENTS }, () => send(port, login)));

    const exited = once(child, 'exit');
    const draining = waitForOutput(child, /SIGTERM received: draining/);
    child.kill('SIGTERM');
    await draining;

    // The keep-alive client's next answer: readiness is 503, and the connection closes after it.
    const ready = await get(port, '/readyz', agent);
    assert.equal(ready.reused, true, 'the same keep-alive connection');
    assert.equal(ready.status, 503);
    assert.equal(ready.headers.connection, 'close');
    // A new connection during the drain is still answered (and closed after its answer).
    const late = await get(port, '/healthz', new Agent({ keepAlive: true }));
    assert.equal(late.status, 200);
    assert.equal(late.headers.connection, 'close');

    const answers = await Promise.all(sent.map((s) => s.answer));
    const statuses = new Map<number, number>();
    for (const { text, error } of answers) {
      assert.equal(error, undefined, `a connection failed: ${String(error)}`);
      const response = parseRaw(text);
      assert.match(response.head, /^HTTP\/1\.1 \d{3} /, `no HTTP answer: ${JSON.stringify(text.slice(0, 80))}`);
      statuses.set(response.status, (statuses.get(response.status) ?? 0) + 1);
    }
    assert.equal(answers.length, CLIENTS);
    t.diagnostic(`answers by status: ${JSON.stringify(Object.fromEntries(statuses))}`);
    // Every answer is a login or a refusal the client can act on; never a server fault.
    for (const status of statuses.keys()) assert.ok([200, 429, 503].includes(status), `status ${status}: ${JSON.stringify([...statuses])}`);
    const [code] = (await exited) as [number | null];
    assert.equal(code, 0, 'exits 0 once the last answer is written');
    agent.destroy();
  });
});
