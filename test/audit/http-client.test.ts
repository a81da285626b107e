import assert from 'node:assert/strict';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { after, before, describe, test } from 'node:test';
import { HttpClient, parseRetryAfter, usable } from '../../src/audit/http/client.ts';
import type { HttpClientOptions } from '../../src/audit/http/client.ts';
import { startGarbage, startHanging, startPartlyBroken } from '../fixtures/hostile.ts';
import type { Hostile } from '../fixtures/hostile.ts';
import { closeAll } from '../helpers/close-all.ts';

type Handler = (req: http.IncomingMessage, res: http.ServerResponse, hit: number) => void;

let server: http.Server;
let origin: string;
let handler: Handler = (_req, res) => res.end('ok');
let hits: { at: number; url: string }[] = [];

before(async () => {
  server = http.createServer((req, res) => {
    hits.push({ at: Date.now(), url: req.url ?? '' });
    req.resume();
    handler(req, res, hits.length);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  origin = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
});
after(() => closeAll(() => server.closeAllConnections(), server));

function client(options: Partial<HttpClientOptions> = {}): HttpClient {
  return new HttpClient({ ratePerSecond: 1000, maxRequests: 100, timeoutMs: 2000, ...options });
}

function serve(next: Handler): void {
  hits = [];
  handler = next;
}

async function withHostile(start: () => Promise<Hostile>, run: (h: Hostile) => Promise<void>): Promise<void> {
  const hostile = await start();
  try {
    await run(hostile);
  } finally {
    await hostile.close();
  }
}

describe('http client', () => {
  test('paces requests at the configured rate', async () => {
    serve((_req, res) => res.end('ok'));
    const sentAt: number[] = [];
    const c = client({ ratePerSecond: 20, onSent: () => sentAt.push(performance.now()) });
    await Promise.all(Array.from({ length: 6 }, () => c.send({ method: 'GET', url: `${origin}/` })));
    c.close();
    assert.equal(hits.length, 6);
    // One slot every 50 ms: k requests never go out in less than (k - 1) × 50 ms, give or take timer jitter.
    const gaps = sentAt.slice(1).map((at, i) => Math.round(at - sentAt[i]!));
    for (let i = 0; i < sentAt.length; i++) {
      for (let j = i + 1; j < sentAt.length; j++) {
        assert.ok(sentAt[j]! - sentAt[i]! >= 50 * (j - i) - 15, `gaps ${gaps.join(', ')}`);
      }
    }
    assert.ok(sentAt[5]! - sentAt[0]! < 400, `not slower than asked: gaps ${gaps.join(', ')}`);
  });

  test('stops at the request budget and says so', async () => {
    serve((_req, res) => res.end('ok'));
    const c = client({ maxRequests: 3 });
    const results = [];
    for (let i = 0; i < 5; i++) results.push(await c.send({ method: 'GET', url: `${origin}/` }));
    c.close();
    assert.equal(hits.length, 3);
    assert.deepEqual(results.map((r) => r.outcome), ['ok', 'ok', 'ok', 'skipped', 'skipped']);
    assert.match(c.stopReason ?? '', /budget of 3/);
  });

  test('times out a request that gets no answer', async () => {
    await withHostile(startHanging, async (hostile) => {
      const c = client({ timeoutMs: 200 });
      const started = Date.now();
      const result = await c.send({ method: 'GET', url: `${hostile.origin}/` });
      c.close();
      assert.equal(result.outcome, 'failed');
      assert.match(result.error, /no complete answer within 0\.2 s/);
      assert.ok(Date.now() - started < 5000, 'the request was cut off, not left hanging');
    });
  });

  test('names garbage, hang-ups and refused connections without throwing', async () => {
    await withHostile(startGarbage, async (hostile) => {
      const c = client();
      const result = await c.send({ method: 'GET', url: `${hostile.origin}/` });
      c.close();
      assert.equal(result.outcome, 'failed');
      assert.match(result.error, /malformed HTTP answer|connection closed/);
    });
    await withHostile(startPartlyBroken, async (hostile) => {
      const c = client();
      const result = await c.send({ method: 'GET', url: `${hostile.origin}/api/hangup` });
      c.close();
      assert.deepEqual(result.outcome === 'failed' && result.error, 'connection closed by the target');
    });
    const c = client();
    const refused = await c.send({ method: 'GET', url: 'http://127.0.0.1:1/' });
    c.close();
    assert.deepEqual(refused.outcome === 'failed' && refused.error, 'connection refused');
  });

  test('cuts bodies at the size cap', async () => {
    serve((_req, res) => res.end('x'.repeat(1_000_000)));
    const c = client();
    const result = await c.send({ method: 'GET', url: `${origin}/`, maxBodyBytes: 1000 });
    c.close();
    assert.ok(usable(result));
    assert.equal(result.response.body.length, 1000);
    assert.equal(result.response.truncated, true);
  });

  test('never follows a redirect to another host, and follows none unless asked', async () => {
    serve((req, res) => {
      if (req.url === '/away') res.writeHead(302, { location: 'http://elsewhere.invalid/steal' }).end();
      else if (req.url === '/here') res.writeHead(301, { location: '/final' }).end();
      else res.end('final');
    });
    const c = client();
    const plain = await c.send({ method: 'GET', url: `${origin}/here` });
    assert.ok(usable(plain));
    assert.equal(plain.response.status, 301);
    const same = await c.send({ method: 'GET', url: `${origin}/here`, maxRedirects: 3 });
    assert.ok(usable(same));
    assert.equal(same.response.text, 'final');
    const away = await c.send({ method: 'GET', url: `${origin}/away`, maxRedirects: 3 });
    c.close();
    assert.ok(usable(away));
    assert.equal(away.response.status, 302);
    assert.equal(away.redirectBlocked, 'http://elsewhere.invalid/steal');
  });

  test('honours Retry-After on 429, then gets the real answer', async () => {
    serve((_req, res, hit) => {
      if (hit === 1) res.writeHead(429, { 'retry-after': '1' }).end('slow down');
      else res.end('ok');
    });
    const c = client();
    const result = await c.send({ method: 'GET', url: `${origin}/` });
    c.close();
    assert.ok(usable(result));
    assert.equal(result.response.text, 'ok');
    assert.equal(hits.length, 2);
    assert.ok(hits[1]!.at - hits[0]!.at >= 950, `waited ${hits[1]!.at - hits[0]!.at} ms`);
  });

  test('marks answers that stay throttled as unusable, and stops after several in a row', async () => {
    serve((_req, res) => res.writeHead(503, { 'retry-after': '0' }).end('busy'));
    const c = client({ maxRetries: 1, throttleStopAfter: 2 });
    const first = await c.send({ method: 'GET', url: `${origin}/` });
    const second = await c.send({ method: 'GET', url: `${origin}/` });
    const third = await c.send({ method: 'GET', url: `${origin}/` });
    c.close();
    assert.equal(first.outcome, 'throttled');
    assert.equal(usable(first), false);
    assert.equal(second.outcome, 'throttled');
    assert.equal(third.outcome, 'skipped');
    assert.equal(hits.length, 4, 'two requests, each tried twice');
    assert.match(c.stopReason ?? '', /throttled 2 requests in a row/);
  });

  test('a Retry-After beyond the longest wait ends the request at once', async () => {
    serve((_req, res) => res.writeHead(429, { 'retry-after': '3600' }).end());
    const c = client({ maxRetryWaitMs: 100 });
    const started = Date.now();
    const result = await c.send({ method: 'GET', url: `${origin}/` });
    c.close();
    assert.equal(result.outcome, 'throttled');
    assert.equal(hits.length, 1);
    assert.ok(Date.now() - started < 5000, 'it did not wait out the hour-long Retry-After');
  });

  test('observe mode hands the throttled answer back without retrying', async () => {
    serve((_req, res) => res.writeHead(429, { 'retry-after': '5' }).end());
    const c = client();
    const result = await c.send({ method: 'GET', url: `${origin}/`, onThrottle: 'observe' });
    c.close();
    assert.equal(result.outcome, 'throttled');
    assert.equal(result.response?.status, 429);
    assert.equal(hits.length, 1);
  });

  test('a dry run records requests and sends none', async () => {
    serve((_req, res) => res.end('ok'));
    const seen: string[] = [];
    const c = client({ dryRun: true, onSent: (request) => seen.push(`${request.method} ${request.url}`) });
    const result = await c.send({ method: 'POST', url: `${origin}/x`, body: '{}' });
    c.close();
    assert.equal(hits.length, 0);
    assert.deepEqual(seen, [`POST ${origin}/x`]);
    assert.equal(result.outcome, 'ok');
  });

  test('reads Retry-After as seconds or as a date', () => {
    assert.equal(parseRetryAfter('120'), 120_000);
    assert.equal(parseRetryAfter(new Date(10_000).toUTCString(), 4_000), 6_000);
    assert.equal(parseRetryAfter('soon'), undefined);
    assert.equal(parseRetryAfter(undefined), undefined);
  });
});
