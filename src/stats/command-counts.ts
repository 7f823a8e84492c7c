import { COMMANDS, commandId } from '../wire/constants.js';

/** Label for command id 0 and any name not in COMMANDS: a peer controls that string. */
export const OTHER_COMMAND = 'other';
/** Index = command id (0 = other), as the WASM scanner reports it. */
export const COMMAND_LABELS: readonly string[] = [OTHER_COMMAND, ...COMMANDS];

/**
 * Messages and bytes by command id in one Float64Array (messages at 2·id, bytes at 2·id + 1):
 * the hot path adds two numbers, and nothing is keyed by a string a peer chose. Used for the
 * node-wide metrics and for each peer's getpeerinfo-style per-message totals.
 */
export class CommandCounts {
  readonly counts = new Float64Array(COMMAND_LABELS.length * 2);

  /** By the command id the WASM scanner reports; out-of-range ids count as "other". */
  addById(id: number, bytes: number): void {
    const k = (id >= 0 && id < COMMAND_LABELS.length ? id : 0) * 2;
    this.counts[k]! += 1;
    this.counts[k + 1]! += bytes;
  }

  /** By the command name as on the wire. */
  add(command: string, bytes: number): void {
    this.addById(commandId(command), bytes);
  }

  messages(id: number): number {
    return this.counts[id * 2]!;
  }

  bytes(id: number): number {
    return this.counts[id * 2 + 1]!;
  }

  totalMessages(): number {
    let n = 0;
    for (let k = 0; k < this.counts.length; k += 2) n += this.counts[k]!;
    return n;
  }

  totalBytes(): number {
    let n = 0;
    for (let k = 1; k < this.counts.length; k += 2) n += this.counts[k]!;
    return n;
  }

  /** Bytes by command name, commands never seen left out (as getpeerinfo's bytessent_per_msg). */
  bytesByCommand(): Record<string, number> {
    const out: Record<string, number> = {};
    for (let id = 0; id < COMMAND_LABELS.length; id++) {
      if (this.counts[id * 2] !== 0) out[COMMAND_LABELS[id]!] = this.counts[id * 2 + 1]!;
    }
    return out;
  }
}
