// A TCP proxy in front of PostgreSQL that cuts one connection at a chosen point of a
// transaction, to test what a real outage does at the worst moment. It reads the frontend
// protocol's message framing (a type byte and a length) and watches query texts (simple
// 'Q' and extended 'P' messages). Armed with a marker and a cut, on the first connection that
// sends a message matching the marker it waits for a message matching the cut, then either
// drops it and closes both sides ('before': the server never runs it, and aborts the open
// transaction), or forwards it, waits until the server has answered, and closes both sides
// without passing the answer on ('after': for COMMIT, committed on the server while the
// client hears only a broken connection).
import { once } from 'node:events';
import { connect, createServer, type Server, type Socket } from 'node:net';

export interface Cut {
  /** The connection to cut is the first that sends a query matching this. */
  marker: RegExp;
  /** The message on that connection at which to cut (it may be the marker itself). */
  at: RegExp;
  when: 'before' | 'after';
}

export interface CutProxy {
  port: number;
  /** The URL with the proxy's port instead of the server's. */
  via(url: string): string;
  /** Arms one cut; resolves once it has happened. */
  arm(cut: Cut): Promise<void>;
  close(): Promise<void>;
}

export async function startCutProxy(targetPort: number): Promise<CutProxy> {
  let armed: (Cut & { done: () => void; owner?: Socket }) | undefined;
  const sockets = new Set<Socket>();

  const server: Server = createServer((client) => {
    const upstream = connect(targetPort, '127.0.0.1');
    for (const socket of [client, upstream]) {
      sockets.add(socket);
      socket.on('close', () => sockets.delete(socket));
      socket.on('error', () => undefined);
    }
    const cutBoth = (): void => {
      client.destroy();
      upstream.destroy();
    };
    let swallowing = false;
    upstream.on('data', (chunk: Buffer) => {
      if (!swallowing) {
        client.write(chunk);
        return;
      }
      // The server answered the message we let through: the client never hears of it.
      cutBoth();
      const cut = armed!;
      armed = undefined;
      cut.done();
    });
    upstream.on('close', () => client.destroy());
    client.on('close', () => upstream.destroy());

    let pending = Buffer.alloc(0);
    let started = false;
    client.on('data', (chunk: Buffer) => {
      if (swallowing) return;
      pending = Buffer.concat([pending, chunk]);
      for (;;) {
        // The startup message has no type byte: a length, then the rest.
        const headerLength = started ? 5 : 4;
        if (pending.length < headerLength) return;
        const length = pending.readInt32BE(headerLength - 4) + (started ? 1 : 0);
        if (pending.length < length) return;
        const message = pending.subarray(0, length);
        pending = pending.subarray(length);
        const text = started ? queryText(message) : undefined;
        started = true;
        const cut = armed;
        if (cut !== undefined && text !== undefined) {
          if (cut.owner === undefined && cut.marker.test(text)) cut.owner = client;
          if (cut.owner === client && cut.at.test(text)) {
            if (cut.when === 'before') {
              cutBoth();
              armed = undefined;
              cut.done();
              return;
            }
            upstream.write(message);
            swallowing = true;
            pending = Buffer.alloc(0);
            return;
          }
        }
        upstream.write(message);
      }
    });
  });
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  const address = server.address();
  const port = typeof address === 'object' && address !== null ? address.port : 0;

  return {
    port,
    via(url) {
      const parsed = new URL(url);
      parsed.port = String(port);
      return parsed.href;
    },
    arm(cut) {
      return new Promise((resolve) => {
        armed = { ...cut, done: resolve };
      });
    },
    async close() {
      armed = undefined;
      server.close();
      for (const socket of sockets) socket.destroy();
      await once(server, 'close').catch(() => undefined);
    },
  };
}

/** The SQL of a simple query ('Q') or a parse ('P': statement name, then the query), else undefined. */
function queryText(message: Buffer): string | undefined {
  const type = String.fromCharCode(message[0]!);
  const body = message.subarray(5);
  if (type === 'Q') return body.toString('utf8', 0, Math.max(0, body.indexOf(0)));
  if (type === 'P') {
    const nameEnd = body.indexOf(0);
    return body.toString('utf8', nameEnd + 1, body.indexOf(0, nameEnd + 1));
  }
  return undefined;
}
