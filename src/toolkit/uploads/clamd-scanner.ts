// ClamAV through clamd's INSTREAM command on its unix socket: `zINSTREAM\0`, then the file as
// chunks each prefixed by its length (4 bytes, big-endian), then a zero length; clamd answers
// `stream: OK` or `stream: <signature> FOUND`, NUL-terminated. Anything else — an ERROR
// reply, a refused or dropped connection, silence past the timeout — is "unavailable", and
// the upload fails closed.
import { createReadStream } from 'node:fs';
import { connect, type Socket } from 'node:net';
import { ScannerUnavailableError, type Scanner, type ScanResult } from './scanner.ts';

export interface ClamdScannerOptions {
  socketPath: string;
  /** Whole-scan deadline. */
  timeoutMs?: number;
  chunkBytes?: number;
}

const MAX_REPLY_BYTES = 4096;

export function createClamdScanner(options: ClamdScannerOptions): Scanner {
  const timeoutMs = options.timeoutMs ?? 30_000;
  const chunkBytes = options.chunkBytes ?? 64 * 1024;
  return {
    async scan(path: string): Promise<ScanResult> {
      const socket = connect({ path: options.socketPath });
      socket.setTimeout(timeoutMs);
      const reply = readReply(socket);
      reply.catch(() => undefined); // awaited below; this only keeps an early failure from being "unhandled"
      try {
        await new Promise<void>((resolve, reject) => {
          socket.once('connect', resolve);
          socket.once('error', reject);
        });
        await write(socket, Buffer.from('zINSTREAM\0'));
        for await (const chunk of createReadStream(path, { highWaterMark: chunkBytes }) as AsyncIterable<Buffer>) {
          const length = Buffer.alloc(4);
          length.writeUInt32BE(chunk.length);
          await write(socket, length);
          await write(socket, chunk);
        }
        await write(socket, Buffer.alloc(4));
        return parseReply(await reply);
      } catch (error) {
        if (error instanceof ScannerUnavailableError) throw error;
        throw new ScannerUnavailableError('clamd could not be reached or failed mid-scan', { cause: error });
      } finally {
        socket.destroy();
      }
    },
  };
}

function write(socket: Socket, data: Buffer): Promise<void> {
  return new Promise((resolve, reject) => {
    socket.write(data, (error) => (error ? reject(error) : resolve()));
  });
}

/** Collects the reply up to its NUL (or the end of the connection), bounded in size and time. */
function readReply(socket: Socket): Promise<string> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    const finish = (): void => {
      const text = Buffer.concat(chunks).toString('utf8');
      const end = text.indexOf('\0');
      resolve(end === -1 ? text : text.slice(0, end));
    };
    socket.on('data', (chunk: Buffer) => {
      chunks.push(chunk);
      size += chunk.length;
      if (chunk.includes(0)) finish();
      else if (size > MAX_REPLY_BYTES) reject(new ScannerUnavailableError('clamd reply too long'));
    });
    socket.on('end', finish);
    // Destroying fails any pending write too, so a stalled clamd cannot hold the upload.
    socket.on('timeout', () => socket.destroy(new ScannerUnavailableError('clamd did not answer in time')));
    socket.on('error', (error) => reject(error instanceof ScannerUnavailableError ? error : new ScannerUnavailableError('clamd connection failed', { cause: error })));
  });
}

export function parseReply(reply: string): ScanResult {
  const text = reply.trim();
  if (text === 'stream: OK') return { clean: true };
  const found = /^stream: (.{1,200}) FOUND$/.exec(text);
  if (found) return { clean: false, signature: found[1]! };
  throw new ScannerUnavailableError(`clamd answered neither OK nor FOUND`);
}
