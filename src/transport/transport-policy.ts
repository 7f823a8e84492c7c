/**
 * Which transport a connection uses, and what each dialled address taught us about the ones it
 * speaks. The rule is that a dial must never cost us a ban: a v1-only node reads whatever we send
 * first as v1 headers, and bcoin scores each 24 bytes with a wrong magic (lib/net/parser.js
 * parseHeader → peer.js increaseBan(10), a ban at 100), so the up to 4 KiB of BIP324 garbage Core
 * sends would get us banned by it for a day.
 *
 * Outbound, in order (docs/v2-transport.md "Choosing the transport"):
 * 1. `v1only`: v1.
 * 2. The operator's word for that peer (`--connect HOST:PORT@v1|@v2`, `connect(addr, { transport })`,
 *    like Core's `addnode … v2transport`).
 * 3. What the address itself showed on an earlier connection: its version message's NODE_P2P_V2
 *    bit, or a v1 answer to our key. Kept durably in the state log.
 * 4. NODE_P2P_V2 in what gossip told us of the address: v2 with garbage, as Core.
 * 5. A manual peer with nothing known: a v2 *probe*, the key without garbage (64 bytes, two bad
 *    headers: 20 points in bcoin, one fifth of its ban threshold, on a connection that then ends). A
 *    v1 node that speaks first answers with its version; the session sees the v1 prefix and fails
 *    at once ('v1-reply'), and the node redials with v1 straight away. A node that closes instead
 *    (Core before v26 on a bad magic) is redialled with v1 once, as Core does.
 * 6. Anything else (an automatic peer not advertising v2): v1.
 * `v2only` dials v2 in every case (a probe unless v2 is known) and never falls back.
 *
 * Inbound connections accept both on one port unless v1only/v2only (BIP324 responder detection).
 */
import type { Logger } from '../log.js';
import type { SpokenTransport } from '../persist/state-model.js';
import type { TransportMode } from '../types.js';
import { NODE_P2P_V2 } from '../wire/constants.js';
import type { Transport, TransportContext } from './transport.js';
import { v1Transport } from './v1.js';
import { V2Transport } from './v2/transport.js';
import type { V2FailureReason } from './v2/errors.js';

/** Addresses whose transport is remembered; past this the oldest entry is forgotten. */
export const MAX_REMEMBERED_TRANSPORTS = 4096;

export interface TransportPolicyOptions {
  readonly mode: TransportMode;
  /** The operator's per-peer choice (`@v1`/`@v2` on --connect/--add-peer). */
  readonly overrides: Readonly<Record<string, SpokenTransport>>;
  /** What earlier runs learnt (the state log's `transports`). */
  readonly learnt: Readonly<Record<string, SpokenTransport>>;
  /** Durably records (or, with null, forgets) what `addr` speaks. */
  readonly record: (addr: string, speaks: SpokenTransport | null) => void;
  /** Services gossip advertised for `addr` (0n when unknown). */
  readonly advertised: (addr: string) => bigint;
  /** Manual peers (--connect, --add-peer, --mesh, connect()) get a v2 probe when nothing is known. */
  readonly isManual: (addr: string) => boolean;
  readonly onFailure: (reason: V2FailureReason) => void;
  readonly log: Logger;
}

/** What a closed outbound connection means for the next dial of its address. */
export type AfterClose = 'redial-now' | 'none';

export class TransportPolicy {
  private readonly overrides: Map<string, SpokenTransport>;
  /** Insertion order is age: the first entry is the one forgotten when the table is full. */
  private readonly learnt: Map<string, SpokenTransport>;
  /** Addresses whose v2 dial closed before the key exchange without saying why: v1 once (Core). */
  private readonly v1Once = new Set<string>();

  constructor(private readonly opts: TransportPolicyOptions) {
    this.overrides = new Map(Object.entries(opts.overrides));
    this.learnt = new Map(Object.entries(opts.learnt));
  }

  /** The per-peer override from `connect(addr, { transport })`; undefined clears it. */
  setOverride(addr: string, speaks: SpokenTransport | undefined): void {
    if (speaks === undefined) this.overrides.delete(addr);
    else this.overrides.set(addr, speaks);
  }

  /** What is known of `addr`: the operator's word first, then what it showed us. */
  known(addr: string): SpokenTransport | undefined {
    return this.overrides.get(addr) ?? this.learnt.get(addr);
  }

  transportFor(ctx: TransportContext): Transport {
    const mode = this.opts.mode;
    if (mode === 'v1only') return v1Transport(ctx);
    const onFailure = this.opts.onFailure;
    if (ctx.direction === 'inbound') return new V2Transport(ctx, { acceptV1: mode === 'v2', onFailure });
    const known = this.known(ctx.addr);
    const advertises = (this.opts.advertised(ctx.addr) & NODE_P2P_V2) !== 0n;
    if (mode === 'v2only') return new V2Transport(ctx, { acceptV1: false, onFailure, probe: known !== 'v2' && !advertises });
    if (this.v1Once.delete(ctx.addr) || known === 'v1') return v1Transport(ctx);
    if (known === 'v2' || advertises) return new V2Transport(ctx, { acceptV1: false, onFailure });
    if (this.opts.isManual(ctx.addr)) return new V2Transport(ctx, { acceptV1: false, onFailure, probe: true });
    return v1Transport(ctx);
  }

  /** An outbound handshake completed: the peer's own version says whether it speaks v2. */
  onVersion(addr: string, services: bigint): void {
    this.learn(addr, (services & NODE_P2P_V2) !== 0n ? 'v2' : 'v1');
  }

  /**
   * An outbound connection closed. A v2 dial that ended before the key exchange tells us the
   * address may speak v1 only: a v1 answer is final and remembered; a silent close earns one v1
   * dial. Either way the caller redials at once, unless the node is v2only.
   */
  onClosed(addr: string, transport: Transport): AfterClose {
    if (!(transport instanceof V2Transport) || !transport.shouldRetryV1) return 'none';
    const v1Reply = transport.failure === 'v1-reply';
    if (this.opts.mode === 'v2only') {
      if (v1Reply) this.opts.log.warn('peer speaks v1 only and this node is v2only (--transport v2only): not connecting', { peer: addr });
      return 'none';
    }
    if (v1Reply) {
      this.opts.log.info('peer answered the v2 key in v1: dialling it with v1 from now on', { peer: addr });
      this.learn(addr, 'v1');
    } else {
      this.opts.log.info('v2 dial closed before the key exchange: trying v1 once', { peer: addr });
      this.v1Once.add(addr);
    }
    return 'redial-now';
  }

  private learn(addr: string, speaks: SpokenTransport): void {
    if (this.learnt.get(addr) === speaks) return;
    this.learnt.delete(addr);
    this.learnt.set(addr, speaks);
    this.opts.record(addr, speaks);
    if (this.learnt.size > MAX_REMEMBERED_TRANSPORTS) {
      const oldest = this.learnt.keys().next().value!;
      this.learnt.delete(oldest);
      this.opts.record(oldest, null);
    }
  }
}
