// A tiny clamd on a unix socket for tests (ClamAV is not installed here): it speaks the
// INSTREAM side of the protocol, checks the framing, records what it received and answers
// as told.
import { mkdtempSync, rmSync } from 'node:fs';
import { createServer, type Server, type Socket } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

export type ClamdMode = 'scan' | 'error' | 'silent' | 'hang-up' | 'garbage';

export interface FakeClamd {
  socketPath: string;
  mode: ClamdMode;
  /** Every stream received in full: its bytes and the chunk sizes it came in. */
  received: { data: Buffer; chunks: number[] }[];
  close(): Promise<void>;
}

const COMMAND = Buffer.from('zINSTREAM\0');

export async function startFakeClamd(signatures: Record<string, Buffer>): Promise<FakeClamd> {
  const dir = mkdtempSync(join(tmpdir(), 'rampart-clamd-'));
  const sockets = new Set<Socket>();
  const fake: FakeClamd = {
    socketPath: join(dir, 'clamd.sock'),
    mode: 'scan',
    received: [],
    close: () =>
      new Promise((resolve) => {
        for (const socket of sockets) socket.destroy();
        server.close(() => {
          rmSync(dir, { recursive: true, force: true });
          resolve();
        });
      }),
  };

  const server: Server = createServer((socket) => {
    sockets.add(socket);
    socket.on('close', () => sockets.delete(socket));
    socket.on('error', () => undefined);
    if (fake.mode === 'hang-up') {
      socket.destroy();
      return;
    }
    let buffer = Buffer.alloc(0);
    let commandSeen = false;
    const chunks: Buffer[] = [];
    const sizes: number[] = [];
    socket.on('data', (data: Buffer) => {
      buffer = Buffer.concat([buffer, data]);
      if (!commandSeen) {
        if (buffer.length < COMMAND.length) return;
        if (!buffer.subarray(0, COMMAND.length).equals(COMMAND)) {
          socket.end('UNKNOWN COMMAND\0');
          return;
        }
        commandSeen = true;
        buffer = buffer.subarray(COMMAND.length);
      }
      while (buffer.length >= 4) {
        const length = buffer.readUInt32BE(0);
        if (length === 0) {
          finish();
          return;
        }
        if (buffer.length < 4 + length) return;
        chunks.push(buffer.subarray(4, 4 + length));
        sizes.push(length);
        buffer = buffer.subarray(4 + length);
      }
    });
    const finish = (): void => {
      const data = Buffer.concat(chunks);
      fake.received.push({ data, chunks: sizes });
      if (fake.mode === 'silent') return;
      if (fake.mode === 'error') {
        socket.end('INSTREAM size limit exceeded. ERROR\0');
        return;
      }
      if (fake.mode === 'garbage') {
        socket.end('hello\0');
        return;
      }
      const found = Object.entries(signatures).find(([, bytes]) => data.includes(bytes));
      socket.end(found ? `stream: ${found[0]} FOUND\0` : 'stream: OK\0');
    };
  });
  await new Promise<void>((resolve) => server.listen(fake.socketPath, resolve));
  return fake;
}
