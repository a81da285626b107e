// The safety ledger: every object the auditor created, with the identity that created it. At the
// end of the run each is deleted by its creator and read back to verify it is gone; anything
// that could not be removed is named in the report's notes, so a person can remove it.
// The write ledger: every write the audit sent (method, route, identity, why), and at the end
// whether what it changed was restored; the report prints it.
import type { HttpResult } from '../http/client.ts';
import { usable } from '../http/client.ts';
import type { AuditIdentity } from './identity.ts';

export interface LedgerEntry {
  url: string;
  /** Undefined: an anonymous probe that the target accepted. */
  by: AuditIdentity | undefined;
  /** Already deleted and verified by the check itself. */
  removed: boolean;
}

type SendAs = (identity: AuditIdentity | undefined, request: { method: string; url: string; purpose: string }) => Promise<HttpResult>;

export class SafetyLedger {
  readonly entries: LedgerEntry[] = [];

  created(url: URL | string, by: AuditIdentity | undefined): void {
    const href = new URL(url).href;
    if (!this.entries.some((e) => e.url === href)) this.entries.push({ url: href, by, removed: false });
  }

  /** Marks an object as deleted and verified gone (by the check that made it). */
  removed(url: URL | string): void {
    const href = new URL(url).href;
    for (const entry of this.entries) if (entry.url === href) entry.removed = true;
  }

  /** Deletes what is left, newest first, each by its creator; returns what could not be removed. */
  async cleanUp(sendAs: SendAs): Promise<string[]> {
    const problems: string[] = [];
    for (const entry of [...this.entries].reverse()) {
      if (entry.removed) continue;
      const deleted = await sendAs(entry.by, { method: 'DELETE', url: entry.url, purpose: 'clean up what the audit created' });
      const gone = await sendAs(entry.by, { method: 'GET', url: entry.url, purpose: 'verify the clean-up' });
      if (usable(gone) && (gone.response.status === 404 || gone.response.status === 410)) {
        entry.removed = true;
        continue;
      }
      const why = !usable(deleted) ? deleted.error : `DELETE answered ${deleted.response.status}${usable(gone) ? `, then GET answered ${gone.response.status}` : ''}`;
      problems.push(`could not remove ${entry.url} (created ${entry.by === undefined ? 'without credentials' : `as ${entry.by.name}`}): ${why}; remove it by hand`);
    }
    return problems;
  }
}

/** Is a URL one of the objects the run created, or under one? */
export function ownedBy(entries: readonly LedgerEntry[], url: URL): boolean {
  const href = url.href.replace(/[?#].*$/, '');
  return entries.some((e) => href === e.url || href.startsWith(`${e.url.replace(/\/$/, '')}/`));
}

/** One write the audit sent, as the report lists it. */
export interface WriteRecord {
  method: string;
  route: string;
  /** The identity's name, or `anonymous`. */
  identity: string;
  why: string;
  /** The answer's status, or why there was none. */
  answer: number | string;
  /** Was what it changed put back? `yes`, `no`, `nothing changed` or `unknown`, with the reason. */
  restored: string;
  /** The object it wrote to or created, when the audit knows it. */
  url?: string;
}

export class WriteLedger {
  readonly writes: WriteRecord[] = [];

  add(record: WriteRecord): void {
    this.writes.push(record);
  }

  /** Settles `restored` once clean-up has run: objects created and removed, writes on them too. */
  settle(objects: readonly LedgerEntry[]): void {
    for (const write of this.writes) {
      if (write.restored !== 'pending') continue;
      const target = write.url === undefined ? undefined : objects.find((e) => write.url === e.url || write.url!.startsWith(`${e.url.replace(/\/$/, '')}/`));
      if (target === undefined) write.restored = 'unknown: the before/after comparison shows whether it left a change';
      else write.restored = target.removed ? `yes: ${target.url} deleted and verified gone` : `NO: ${target.url} could not be removed`;
    }
  }
}
