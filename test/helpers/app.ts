// The reference service in-process on 127.0.0.1:0 with a fresh data directory, plus helpers
// that log in through the real token endpoint.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { buildApp, type ReferenceService } from '../../src/app/app.ts';
import { listen, loadConfig, type Listening, type RampartConfig } from '../../src/toolkit/index.ts';
import { LogCapture, request, type Response } from './http.ts';

export interface RunningService extends ReferenceService {
  config: RampartConfig;
  url: string;
  logs: LogCapture;
  close(): Promise<void>;
}

export const STRONG_PASSWORD = 'correct-horse-battery-staple-91!';

export async function startReferenceService(env: Record<string, string> = {}, extraRoutes?: (service: ReferenceService) => void): Promise<RunningService> {
  const dir = mkdtempSync(join(tmpdir(), 'rampart-svc-'));
  const config = loadConfig({ NODE_ENV: 'development', PORT: '0', RAMPART_RATE_LIMIT: '100000', RAMPART_TOKEN_RATE_LIMIT: '100000', ...env }, dir);
  const logs = new LogCapture();
  const service = await buildApp(config, { server: { logDestination: logs } });
  extraRoutes?.(service);
  const listening: Listening = await listen(service.app, { host: '127.0.0.1', port: 0, allowedHosts: [], development: true });
  return {
    ...service,
    config,
    url: `http://127.0.0.1:${listening.port}`,
    logs,
    async close() {
      await listening.close();
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

export function form(fields: Record<string, string>): { method: string; headers: Record<string, string>; body: string } {
  return { method: 'POST', headers: { 'content-type': 'application/x-www-form-urlencoded' }, body: new URLSearchParams(fields).toString() };
}

export function passwordLogin(url: string, username: string, password: string, extra: Record<string, string> = {}, headers: Record<string, string> = {}): Promise<Response> {
  const body = form({ grant_type: 'password', username, password, ...extra });
  return request(url, '/v1/auth/token', { ...body, headers: { ...body.headers, ...headers } });
}

export interface Tokens {
  access_token: string;
  refresh_token: string;
  expires_in: number;
  scope: string;
  token_type: string;
}

export async function login(url: string, username: string, password = STRONG_PASSWORD): Promise<Tokens> {
  const response = await passwordLogin(url, username, password);
  if (response.status !== 200) throw new Error(`login failed: ${response.status} ${response.body}`);
  return response.json() as Tokens;
}

export function bearer(token: string): { authorization: string } {
  return { authorization: `Bearer ${token}` };
}
