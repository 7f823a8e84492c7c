/**
 * A peer's bounded outgoing queue. Control messages (handshake, pong, getdata, notfound) are never
 * dropped; relayed items are, oldest first, once the queue is over its byte or message bound —
 * a slow reader must not make the node buffer without limit (tailscale#16977: drop the head).
 */

export interface QueuedMessage {
  readonly bytes: Uint8Array;
  /** Relayed items may be dropped under pressure; control messages may not. */
  readonly droppable: boolean;
  /** Called once the bytes have been handed to the kernel (stall deadlines start here). */
  readonly onWritten?: () => void;
  /** Called if the item is dropped (flow accounting: queue_head). */
  readonly onDropped?: () => void;
}

export class SendQueue {
  private items: QueuedMessage[] = [];
  private head = 0;
  private bytes = 0;
  droppedItems = 0;
  droppedBytes = 0;

  constructor(
    readonly maxBytes: number,
    readonly maxMessages: number,
  ) {}

  get length(): number {
    return this.items.length - this.head;
  }

  get byteLength(): number {
    return this.bytes;
  }

  push(msg: QueuedMessage): void {
    this.items.push(msg);
    this.bytes += msg.bytes.byteLength;
    this.enforceBounds();
  }

  shift(): QueuedMessage | undefined {
    if (this.head >= this.items.length) return undefined;
    const msg = this.items[this.head]!;
    this.items[this.head] = undefined as unknown as QueuedMessage;
    this.head++;
    this.bytes -= msg.bytes.byteLength;
    // Compact lazily so shift stays O(1) amortised.
    if (this.head > 1024 && this.head * 2 > this.items.length) {
      this.items = this.items.slice(this.head);
      this.head = 0;
    }
    return msg;
  }

  /** Drops every queued item (peer gone); returns the droppable ones so flows can count them. */
  clear(): QueuedMessage[] {
    const rest = this.items.slice(this.head);
    this.items = [];
    this.head = 0;
    this.bytes = 0;
    return rest;
  }

  private enforceBounds(): void {
    while ((this.bytes > this.maxBytes || this.length > this.maxMessages) && this.dropOldestDroppable()) {
      // keep dropping until within bounds or nothing droppable is left
    }
  }

  private dropOldestDroppable(): boolean {
    for (let i = this.head; i < this.items.length; i++) {
      const m = this.items[i]!;
      if (!m.droppable) continue;
      this.items.splice(i, 1);
      this.bytes -= m.bytes.byteLength;
      this.droppedItems++;
      this.droppedBytes += m.bytes.byteLength;
      m.onDropped?.();
      return true;
    }
    return false;
  }
}
