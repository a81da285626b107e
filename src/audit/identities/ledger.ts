// The safety ledger: every object the auditor created, with the identity that created it. At the
// end of the run each is deleted by its creator and read back to verify it is gone; anything
// that could not be removed is named in the report's notes, so a person can remove it.
import type { HttpResult } from '../http/client.ts';
import { usable } from '../http/client.ts';
import type { AuditIdentity } from './identity.ts';

export interface LedgerEntry {
  url: string;
  by: AuditIdentity;
  /** Already deleted and verified by the check itself. */
  removed: boolean;
}

type SendAs = (identity: AuditIdentity, request: { method: string; url: string; purpose: string }) => Promise<HttpResult>;

export class SafetyLedger {
  readonly entries: LedgerEntry[] = [];

  created(url: URL | string, by: AuditIdentity): void {
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
      problems.push(`could not remove ${entry.url} (created as ${entry.by.name}): ${why}; remove it by hand`);
    }
    return problems;
  }
}
