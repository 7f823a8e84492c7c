/**
 * Small integer ids for connections. The flow table indexes flows by (src id, dst id) below 2^21
 * and must not see an id come back while flows of its previous owner may still be live, so a freed
 * id waits out a quarantine before it is handed out again.
 */
import type { Clock } from '../clock.js';

export class IdAllocator {
  private next = 1;
  private readonly freed: Array<{ id: number; at: number }> = [];
  private head = 0;

  constructor(
    private readonly clock: Clock,
    readonly maxId: number,
    readonly quarantineMs: number,
  ) {}

  /** A fresh or long-released id, or null if every id is in use or in quarantine. */
  take(): number | null {
    if (this.next <= this.maxId) return this.next++;
    const f = this.freed[this.head];
    if (f === undefined || this.clock.now() - f.at < this.quarantineMs) return null;
    this.head++;
    if (this.head > 4096 && this.head * 2 > this.freed.length) {
      this.freed.splice(0, this.head);
      this.head = 0;
    }
    return f.id;
  }

  release(id: number): void {
    this.freed.push({ id, at: this.clock.now() });
  }
}
