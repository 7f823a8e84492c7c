/**
 * What to do when the local log and the backup disagree at start (or after a reconnect).
 *
 * The local log is written and fsynced before a change goes to the backup, so after a crash the
 * backup can only be behind, by the changes the node had not yet sent. Those are still in the local
 * log, so we resend them rather than refuse (CLN kills lightningd here, which under a supervisor is a
 * crash-restart loop: plugins#326). Every other disagreement means state was lost on one side and
 * needs an operator, so we refuse with the side that is ahead and the command that recovers.
 */
import type { BackupMetadata } from './backend.js';

export interface LocalPosition {
  version: number;
  lastCrc: number;
  /** Lowest version whose record the local side still holds (it can resend versions >= this). */
  oldestHeld: number;
  /** CRC of the local entry with this version, if held: checks the backup's history matches ours. */
  crcAt(version: number): number | undefined;
}

export type ReconcileDecision =
  | { action: 'equal' }
  | { action: 'seed' }
  | { action: 'rewind-backup'; target: number }
  | { action: 'catch-up'; from: number; count: number }
  | { action: 'refuse'; side: 'backup-ahead' | 'backup-behind' | 'diverged'; message: string };

export function reconcile(local: LocalPosition, backup: BackupMetadata, url: string): ReconcileDecision {
  const L = local.version;
  const B = backup.version;
  if (backup.count === 0 && B === 0) return L === 0 ? { action: 'equal' } : { action: 'seed' };
  const restore = `wirerelay backup restore --backup ${url} --data-dir DIR --force`;
  const reseed = `wirerelay backup init --data-dir DIR --backup ${url} --force`;
  if (B === L) {
    if (backup.lastCrc !== 0 && local.lastCrc !== 0 && backup.lastCrc !== local.lastCrc) {
      return { action: 'refuse', side: 'diverged', message: `local log and backup ${url} are both at version ${L} but their last changes differ: they hold different histories. Keep the one you trust: restore it (${restore}) or re-seed the backup from the local log (${reseed}).` };
    }
    return { action: 'equal' };
  }
  if (B === L + 1) {
    if (backup.rewindable) return { action: 'rewind-backup', target: L };
    return { action: 'refuse', side: 'backup-ahead', message: `backup ${url} is one change ahead (version ${B}, local ${L}) and cannot rewind it. Restore from the backup (${restore}) or re-seed it (${reseed}).` };
  }
  if (B > L) {
    return { action: 'refuse', side: 'backup-ahead', message: `backup ${url} is ${B - L} changes ahead of the local log (backup ${B}, local ${L}): the local data directory lost changes that were acknowledged. Restore it from the backup: ${restore}` };
  }
  if (local.oldestHeld > B + 1) {
    return { action: 'refuse', side: 'backup-behind', message: `backup ${url} is ${L - B} changes behind (backup ${B}, local ${L}) and the local log no longer holds versions ${B + 1}..${local.oldestHeld - 1}, so it cannot catch up (a gap). If this is the right backup, re-seed it from the local state: ${reseed}` };
  }
  const mine = local.crcAt(B);
  if (mine !== undefined && backup.lastCrc !== 0 && mine !== backup.lastCrc) {
    return { action: 'refuse', side: 'diverged', message: `backup ${url} (version ${B}) does not match the local log at that version: different histories. Re-seed it (${reseed}) or restore from it (${restore}).` };
  }
  return { action: 'catch-up', from: B + 1, count: L - B };
}
