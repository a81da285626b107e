// Starts a toolkit server on 127.0.0.1:0 with test routes, for tests that need real sockets.
import { createServer, listen, Type, type RampartServer, type ServerOptionsInput } from '../../src/toolkit/index.ts';
import { LogCapture } from './http.ts';

export interface TestServer {
  app: RampartServer;
  url: string;
  port: number;
  logs: LogCapture;
  close(): Promise<void>;
}

export async function startServer(options: ServerOptionsInput = {}, routes?: (app: RampartServer) => void): Promise<TestServer> {
  const logs = new LogCapture();
  const app = await createServer({ mode: 'development', logDestination: logs, ...options });
  routes?.(app);
  const listening = await listen(app, { host: '127.0.0.1', port: 0, allowedHosts: options.allowedHosts ?? [], development: (options.mode ?? 'development') === 'development' });
  const scheme = options.tls ? 'https' : 'http';
  return { app, url: `${scheme}://127.0.0.1:${listening.port}`, port: listening.port, logs, close: () => listening.close() };
}

export const Ok = Type.Object({ ok: Type.Boolean() }, { additionalProperties: false });
export const Echo = Type.Object({ name: Type.String({ maxLength: 50 }), qty: Type.Optional(Type.Integer({ minimum: 1, maximum: 100 })) }, { additionalProperties: false });
