/**
 * The warnings the status page and `wirerelay status` put at the top: conditions an operator has
 * to act on, each a sentence that says what is wrong. Pure: the node gathers the inputs.
 */

/** No outbound peer this long after start is a warning, not a node still dialling. */
export const NO_OUTBOUND_GRACE_MS = 60_000;
/** A backup this many changes behind is reported even while it is reachable. */
export const BACKUP_BEHIND_CHANGES = 100;
/** The data directory's file system is "nearly full" below this share free… */
export const DISK_LOW_RATIO = 0.05;
/** …or below this many bytes free, whichever is larger. */
export const DISK_LOW_BYTES = 256 * 1024 * 1024;

export interface WarningInputs {
  readonly uptimeMs: number;
  /** Established outbound peers. */
  readonly outbound: number;
  /** The node is configured to have outbound peers (target > 0, or --connect/--add-peer/--mesh). */
  readonly wantsOutbound: boolean;
  readonly backup: { readonly url: string; readonly status: string; readonly pending: number } | null;
  readonly disk: { readonly dir: string; readonly freeBytes: number; readonly totalBytes: number } | null;
}

export function nodeWarnings(i: WarningInputs): string[] {
  const out: string[] = [];
  if (i.wantsOutbound && i.outbound === 0 && i.uptimeMs >= NO_OUTBOUND_GRACE_MS) {
    out.push('no outbound peers: the node hears only from peers that dial it');
  }
  if (i.backup !== null) {
    const { url, status, pending } = i.backup;
    if (status !== 'ok') out.push(`backup ${url} is ${status}; ${pending} changes not yet backed up`);
    else if (pending >= BACKUP_BEHIND_CHANGES) out.push(`backup ${url} is ${pending} changes behind`);
  }
  if (i.disk !== null && i.disk.totalBytes > 0) {
    const { dir, freeBytes, totalBytes } = i.disk;
    if (freeBytes < Math.max(DISK_LOW_RATIO * totalBytes, DISK_LOW_BYTES)) {
      const pct = ((freeBytes / totalBytes) * 100).toFixed(1);
      out.push(`disk nearly full: ${pct}% (${Math.floor(freeBytes / (1024 * 1024))} MiB) free under ${dir}`);
    }
  }
  return out;
}
