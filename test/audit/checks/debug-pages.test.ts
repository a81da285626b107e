// The debug-page and token-library signatures against real pages: rendered here by the frameworks
// this machine has (Werkzeug 2.2 and Starlette 0.26 from Debian, Express 5's finalhandler and
// Fastify 5 from node_modules), and, for frameworks that cannot run here, the distinctive lines
// of their templates across versions (Django 1.x-5.x, Rails, Laravel's Whoops and Ignition,
// Symfony, ASP.NET and ASP.NET Core). Production pages of the same frameworks must not match.
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import type { AddressInfo } from 'node:net';
import { describe, test } from 'node:test';
import express from 'express';
import Fastify from 'fastify';
import { findAuthLibraryMessage, findLeaks } from '../../../src/audit/lib/signatures.ts';

const PYTHON = '/usr/bin/python3';

function python(script: string): string {
  const run = spawnSync(PYTHON, ['-c', script], { encoding: 'utf8', timeout: 60_000 });
  assert.equal(run.status, 0, run.stderr);
  return run.stdout;
}

function debugPages(text: string): string[] {
  return findLeaks(text).filter((l) => l.kind === 'debug-page').map((l) => l.name);
}

async function expressPage(env: string): Promise<string> {
  const app = express();
  app.set('env', env);
  app.get('/boom', () => {
    throw new TypeError('boom in a handler');
  });
  const server = app.listen(0, '127.0.0.1');
  await new Promise<void>((resolve) => server.once('listening', resolve));
  // finalhandler also logs the error outside production; not this test's output.
  const log = console.error;
  console.error = (): void => undefined;
  try {
    const response = await fetch(`http://127.0.0.1:${(server.address() as AddressInfo).port}/boom`);
    assert.equal(response.status, 500);
    return await response.text();
  } finally {
    console.error = log;
    server.closeAllConnections();
    await new Promise<void>((resolve) => server.close(() => resolve()));
  }
}

describe('debug-page signatures on real pages', () => {
  test("Werkzeug's debugger page, as Flask shows it with debug on (console or not)", () => {
    const script = (evalex: string): string => `
from werkzeug.debug.tbtools import DebugTraceback
try:
    int("abc")
except Exception as e:
    print(DebugTraceback(e).render_debugger_html(evalex=${evalex}, secret="s3cr3t", evalex_trusted=${evalex}))`;
    for (const evalex of ['False', 'True']) assert.deepEqual(debugPages(python(script(evalex))), ['Werkzeug debugger'], evalex);
  });

  test("Starlette's (FastAPI's) debug page", () => {
    const page = python(`
from starlette.middleware.errors import ServerErrorMiddleware
try:
    {}["missing"]
except Exception as e:
    print(ServerErrorMiddleware(None, debug=True).generate_html(e))`);
    assert.deepEqual(debugPages(page), ['Starlette debugger']);
    // Its production answer is a bare "Internal Server Error".
    assert.deepEqual(findLeaks('Internal Server Error'), []);
  });

  test("Express's finalhandler: the stack page in development, a bare page in production", async () => {
    const development = await expressPage('development');
    assert.deepEqual(debugPages(development), ['Express development error page'], development);
    const production = await expressPage('production');
    assert.deepEqual(findLeaks(production), [], production);
  });

  test("Fastify's default error answer is JSON, not a debug page", async () => {
    const app = Fastify();
    app.get('/boom', () => {
      throw new Error('boom');
    });
    const answer = await app.inject({ method: 'GET', url: '/boom' });
    await app.close();
    assert.equal(answer.statusCode, 500);
    assert.deepEqual(debugPages(answer.body), []);
  });

  test('template lines of frameworks that cannot run here, across versions', () => {
    const pages: [string, string][] = [
      ['Django debug page', `<div id="explanation"><p>You're seeing this error because you have <code>DEBUG = True</code> in your Django settings file.</p></div>`], // 1.x-2.x
      ['Django debug page', `<footer id="explanation"><p>You’re seeing this error because you have <code>DEBUG = True</code> in your Django settings file.</p></footer>`], // 3.0+
      ['Django debug page', `<p>You&#x27;re seeing this error because you have <code>DEBUG = True</code> in your Django settings file.</p>`], // escaped by a template
      ['Rails exception page', '<!DOCTYPE html>\n<html lang="en">\n<head>\n  <meta charset="utf-8" />\n  <title>Action Controller: Exception caught</title>'],
      ['Laravel debug page', '<div class="Whoops container"><h2 class="title">Whoops! There was an error.</h2>'], // Laravel 4-5 (Whoops)
      ['Laravel debug page', '<div id="app"></div>\n<script>\n    window.ignite(window.data);\n</script>'], // Laravel 6-10 (Ignition)
      ['Symfony exception page', '<div class="exception-summary"><div class="container"><div class="exception-message-wrapper">'], // Symfony 4+
      ['ASP.NET error page', "<span><H1>Server Error in '/' Application.<hr width=100% size=1 color=silver></H1>"],
      ['ASP.NET error page', '<h1>An unhandled exception occurred while processing the request.</h1>'], // ASP.NET Core
    ];
    for (const [name, page] of pages) assert.deepEqual(debugPages(page), [name], page);
  });

  test('production pages of the same frameworks are not debug pages', () => {
    const pages = [
      '<!doctype html><html lang="en"><head><title>Server Error (500)</title></head><body><h1>Server Error (500)</h1><p></p></body></html>', // Django
      "<h1>We're sorry, but something went wrong.</h1>", // Rails
      'Whoops, looks like something went wrong.', // Laravel 5 production
      '<title>Error</title>\n</head>\n<body>\n<pre>Internal Server Error</pre>', // Express production
      '{"type":"about:blank","title":"Internal Server Error","status":500}',
    ];
    for (const page of pages) assert.deepEqual(debugPages(page), [], page);
  });
});

describe('token-library messages', () => {
  test('PyJWT, jsonwebtoken, jose, Java, .NET, Go, Ruby and PHP wording is recognised', () => {
    const said = [
      ['{"error": "DecodeError: Not enough segments"}', 'PyJWT / python-jose exception'],
      ['{"error": "InvalidSignatureError: Signature verification failed"}', 'PyJWT / python-jose exception'],
      ['{"message":"jwt malformed"}', 'jsonwebtoken (Node) error'],
      ['{"name":"TokenExpiredError","message":"jwt expired"}', 'jsonwebtoken (Node) error'],
      ['{"code":"ERR_JWS_SIGNATURE_VERIFICATION_FAILED","message":"signature verification failed"}', 'jose (Node) error'],
      ['io.jsonwebtoken.security.SignatureException: JWT signature does not match locally computed signature', 'Java JWT library exception'],
      ['IDX10503: Signature validation failed. Token does not have a kid.', '.NET token validation error'],
      ['token contains an invalid number of segments', 'Go JWT library error'],
      ['JWT::VerificationError', 'Ruby JWT exception'],
      ['Wrong number of segments', 'PHP JWT exception'],
    ];
    for (const [text, name] of said) assert.equal(findAuthLibraryMessage(text!)?.name, name, text);
  });

  test('generic refusals and unrelated decode errors are not library messages', () => {
    for (const text of ['{"error":"unauthorized"}', '{"detail":"Invalid token"}', 'JSONDecodeError: Expecting value', "UnicodeDecodeError: 'utf-8' codec", '{"error":"invalid credentials"}']) {
      assert.equal(findAuthLibraryMessage(text), undefined, text);
    }
  });
});
