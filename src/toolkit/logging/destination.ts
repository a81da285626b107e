// Where log lines go when the application gives no stream: stdout. In production lines are
// buffered up to 4 KiB and flushed at least every second and at shutdown — one write per
// request line was the largest single cost of a request (bench/, --cpu-prof). Development
// writes every line at once, for people watching the terminal.
import { pino } from 'pino';
import type { DestinationStream } from 'pino';

export interface StandardOutput {
  stream: DestinationStream;
  close(): void;
}

const BUFFER_BYTES = 4096;
const FLUSH_EVERY_MS = 1000;

export function standardOutput(buffered: boolean): StandardOutput {
  if (!buffered) {
    return { stream: pino.destination({ dest: 1, sync: true }), close: () => undefined };
  }
  const destination = pino.destination({ dest: 1, minLength: BUFFER_BYTES, sync: true });
  const timer = setInterval(() => {
    destination.flush();
  }, FLUSH_EVERY_MS);
  timer.unref();
  // A crash must not swallow the last lines (they may be the ones that explain it).
  const flushNow = (): void => {
    destination.flushSync();
  };
  process.once('exit', flushNow);
  return {
    stream: destination,
    close() {
      clearInterval(timer);
      process.removeListener('exit', flushNow);
      flushNow();
    },
  };
}
