/**
 * The node's durable decisions (bans, flap counts, the address table, clocks) behind one interface:
 * the versioned state log (src/persist/state-store.ts) when the node has a data directory, an
 * in-memory model with the same change semantics when it has none. Also owns the membership
 * snapshot (whom we were connected to), replayed before any network I/O.
 */
import { stat } from 'node:fs/promises';
import { join } from 'node:path';
import type { Clock } from '../clock.js';
import type { Logger } from '../log.js';
import { StateStore } from '../persist/state-store.js';
import type { FileOps } from '../persist/file-ops.js';
import { applyChange, emptyState, validateChange } from '../persist/state-model.js';
import type { NodeState, StateChange } from '../persist/state-model.js';
import { MembershipSnapshot } from '../persist/membership-snapshot.js';
import type { BackupPolicy } from '../persist/backup/replicator.js';
import type { MembershipReplay } from '../persist/membership-snapshot.js';
import type { RelayConfig } from '../types.js';

export const MEMBERSHIP_FILE = 'membership.snapshot';
/** The state log is compacted once it grows past this (the address table alone can be megabytes). */
export const COMPACT_LOG_BYTES = 64 * 1024 * 1024;

/** The replicator's policy from the node's options. */
export function backupPolicyOf(config: Pick<RelayConfig, 'backupPolicy' | 'backupBufferChanges'>): BackupPolicy {
  return config.backupPolicy === 'stop' ? { mode: 'stop' } : { mode: 'buffer', maxChanges: config.backupBufferChanges };
}

export class DurableState {
  private memory: NodeState | null = null;
  private compacting: Promise<unknown> | null = null;
  private memoryVersion = 0;

  private constructor(
    private readonly store: StateStore | null,
    readonly membership: MembershipSnapshot | null,
    readonly replay: MembershipReplay | null,
  ) {
    if (store === null) this.memory = emptyState();
  }

  /** `ops` is the file layer (tests inject disk faults there); the real one by default. */
  static async open(config: RelayConfig, clock: Clock, logger: Logger, ops?: FileOps): Promise<DurableState> {
    if (config.dataDir === null) return new DurableState(null, null, null);
    const log = logger.child({ component: 'state' }).log;
    const store = await StateStore.open(config.dataDir, {
      clock,
      log,
      ...(ops === undefined ? {} : { ops }),
      ...(config.backup === null ? {} : { backup: config.backup, backupPolicy: backupPolicyOf(config) }),
    });
    try {
      const { snapshot, replay } = await MembershipSnapshot.open(join(config.dataDir, MEMBERSHIP_FILE), {
        clock,
        log,
        rejoinAfterLeave: config.rejoinAfterLeave,
      });
      return new DurableState(store, snapshot, replay);
    } catch (err) {
      await store.close();
      throw err;
    }
  }

  private get state(): Readonly<NodeState> {
    return this.store?.state ?? this.memory!;
  }

  /** Version of the state log; null when the node keeps its state in memory only. */
  get version(): number | null {
    return this.store === null ? null : this.store.version;
  }

  get persistent(): boolean {
    return this.store !== null;
  }

  /** The backup replicator's state, null without `--backup` (for /status). */
  get backupStatus(): { url: string; status: string; pending: number } | null {
    const b = this.store?.backupStatus ?? null;
    return b === null ? null : { url: b.url, status: b.status, pending: b.pending };
  }

  bans(): Readonly<NodeState['bans']> {
    return this.state.bans;
  }

  flaps(): Readonly<NodeState['flaps']> {
    return this.state.flaps;
  }

  addrTable(): unknown | null {
    return this.state.addrTable;
  }

  transports(): Readonly<NodeState['transports']> {
    return this.state.transports;
  }

  clocks(): Readonly<NodeState['clocks']> {
    return this.state.clocks;
  }

  /** Applies a change; resolves with its version once it is durable (fsynced, group-committed). */
  commit(change: StateChange): Promise<number> {
    if (this.store !== null) return this.store.commit(change);
    validateChange(change);
    applyChange(this.memory!, change, ++this.memoryVersion);
    return Promise.resolve(this.memoryVersion);
  }

  /**
   * Compacts the state log in the background when it is over `thresholdBytes`. Compaction runs in a
   * worker thread and keeps changes made meanwhile (src/persist/state-store.ts), so relaying goes on.
   */
  async maybeCompact(thresholdBytes = COMPACT_LOG_BYTES): Promise<boolean> {
    if (this.store === null || this.compacting !== null) return false;
    const { size } = await stat(this.store.path);
    if (size < thresholdBytes) return false;
    this.compacting = this.store.compact().finally(() => (this.compacting = null));
    await this.compacting;
    return true;
  }

  async close(): Promise<void> {
    await this.compacting?.catch(() => {});
    await this.membership?.close();
    await this.store?.close();
  }
}
