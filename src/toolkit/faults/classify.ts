// The one place that maps a failing dependency or a failing machine to the answer a client
// gets. A database or Redis that is unreachable, shutting down, locked or overloaded is a 503
// with Retry-After (the client should come back); a disk or database with no room is a 507.
// Anything not recognised here stays a 500: that is a bug of ours, not an outage. Codes only,
// never message text — except pg's lost-connection errors, which carry no code at all.
import { HttpProblem } from '../errors/problem.ts';
import { StoreError } from '../stores/errors.ts';

export interface Fault {
  /** What failed: a dependency (`database`, `redis`), `storage` (the file system) or `server` (this process's own resources). */
  dependency: string;
  /** Why, in one word, for the outage log line: `unreachable`, `busy` or `full`. */
  reason: 'unreachable' | 'busy' | 'full';
  /** What the client gets. No dependency name, address or library message is in it. */
  problem: HttpProblem;
}

export const DEPENDENCY_UNAVAILABLE = new HttpProblem(503, {
  slug: 'dependency-unavailable',
  title: 'Service Unavailable',
  detail: 'A service this request needs is unavailable. Retry after the time in Retry-After.',
  headers: { 'retry-after': '5' },
});

export const BUSY = new HttpProblem(503, {
  slug: 'busy',
  title: 'Service Unavailable',
  detail: 'The server is too busy to complete the request now. Retry after the time in Retry-After.',
  headers: { 'retry-after': '1' },
});

export const INSUFFICIENT_STORAGE = new HttpProblem(507, {
  slug: 'insufficient-storage',
  title: 'Insufficient Storage',
  detail: 'The server has no room to store this request now. Retry after the time in Retry-After.',
  headers: { 'retry-after': '60' },
});

const PROBLEM: Record<Fault['reason'], HttpProblem> = { unreachable: DEPENDENCY_UNAVAILABLE, busy: BUSY, full: INSUFFICIENT_STORAGE };

// node:sqlite: `code: 'ERR_SQLITE_ERROR'` and SQLite's result code in `errcode` (the primary
// code is its low byte): BUSY/LOCKED (another process holds the lock), IOERR, READONLY,
// CANTOPEN, and FULL (no room for the database to grow).
const SQLITE: Record<number, Fault['reason']> = { 5: 'busy', 6: 'busy', 8: 'unreachable', 10: 'unreachable', 13: 'full', 14: 'unreachable' };

// PostgreSQL SQLSTATEs (appendix A of its manual). Class 08 (connection exceptions) is
// matched by prefix below.
const SQLSTATE: Record<string, Fault['reason']> = {
  '53100': 'full', // disk_full
  '53200': 'busy', // out_of_memory
  '53300': 'busy', // too_many_connections
  '57014': 'busy', // query_canceled: statement_timeout
  '57P01': 'unreachable', // admin_shutdown
  '57P02': 'unreachable', // crash_shutdown
  '57P03': 'unreachable', // cannot_connect_now: starting up or shutting down
  '40001': 'busy', // serialization_failure
  '40P01': 'busy', // deadlock_detected
  '55P03': 'busy', // lock_not_available
};

// pg's own errors (they have no code): a connection that broke or never came, and a request
// that waited too long for a free connection of the pool (connectionTimeoutMs): busy.
const PG_CONNECTION_LOST = /^(Connection terminated|Client has encountered a connection error and is not queryable|Client was closed and is not queryable)/;
const PG_POOL_EXHAUSTED = /^timeout exceeded when trying to connect$/;

// A socket to a dependency failing. Redis errors arrive wrapped in StoreError, so a bare
// network error in a request is the database driver's.
const NETWORK = new Set(['ECONNREFUSED', 'ECONNRESET', 'ETIMEDOUT', 'EPIPE', 'EHOSTUNREACH', 'ENETUNREACH', 'ECONNABORTED', 'ENOTFOUND', 'EAI_AGAIN']);
const DISK_FULL = new Set(['ENOSPC', 'EDQUOT']);
const DISK_FAILING = new Set(['EIO', 'EROFS']);
// This process or machine out of descriptors or memory: transient, like a busy dependency.
const EXHAUSTED = new Set(['EMFILE', 'ENFILE', 'ENOMEM']);

interface Inspectable {
  code?: unknown;
  errcode?: unknown;
  syscall?: unknown;
  severity?: unknown;
  message?: unknown;
  cause?: unknown;
  errors?: unknown;
}

/** The fault an error stands for, or undefined when it is not a dependency's or the machine's. */
export function classifyFault(error: unknown): Fault | undefined {
  let current = error;
  // The cause chain (StoreError → ioredis, Kysely → pg) and AggregateError (connect races).
  for (let depth = 0; depth < 6 && current !== null && typeof current === 'object'; depth += 1) {
    const found = classifyOne(current, current);
    if (found !== undefined) return found;
    const { cause, errors } = current as Inspectable;
    current = cause ?? (Array.isArray(errors) ? errors[0] : undefined);
  }
  return undefined;
}

function fault(dependency: string, reason: Fault['reason']): Fault {
  return { dependency, reason, problem: PROBLEM[reason] };
}

function classifyOne(error: Inspectable, original: unknown): Fault | undefined {
  if (original instanceof StoreError) {
    const dependency = original.dependency ?? 'database';
    if (original.code === 'ERR_STORE_UNAVAILABLE' || original.code === 'ERR_STORE_CLOSED') return fault(dependency, 'unreachable');
    if (original.code === 'ERR_STORE_BUSY') return fault(dependency, 'busy');
    return undefined;
  }
  const { code } = error;
  if (code === 'ERR_SQLITE_ERROR' && typeof error.errcode === 'number') {
    const reason = SQLITE[error.errcode & 0xff];
    return reason === undefined ? undefined : fault(reason === 'full' ? 'storage' : 'database', reason);
  }
  if (typeof code !== 'string') {
    if (typeof error.message !== 'string') return undefined;
    if (PG_CONNECTION_LOST.test(error.message)) return fault('database', 'unreachable');
    return PG_POOL_EXHAUSTED.test(error.message) ? fault('database', 'busy') : undefined;
  }
  // A PostgreSQL error sent by the server carries its severity next to the SQLSTATE.
  if (typeof error.severity === 'string' && /^[0-9A-Z]{5}$/.test(code)) {
    const reason = code.startsWith('08') ? 'unreachable' : SQLSTATE[code];
    return reason === undefined ? undefined : fault('database', reason);
  }
  if (typeof error.syscall !== 'string') return undefined;
  if (DISK_FULL.has(code)) return fault('storage', 'full');
  if (DISK_FAILING.has(code)) return fault('storage', 'unreachable');
  if (EXHAUSTED.has(code)) return fault('server', 'busy');
  if (NETWORK.has(code)) return fault('database', 'unreachable');
  return undefined;
}
