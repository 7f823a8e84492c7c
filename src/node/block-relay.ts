/**
 * Block relay's parts, built together for the composition root: header sync (the chain), the
 * relay rule for blocks (the gate) and how blocks are announced. Data flows one way: dispatch →
 * HeaderSync / BlockGate → InventoryRelay → peers; peers' lifecycle → HeaderSync.
 */
import type { EventEmitter } from 'node:events';
import type { Clock } from '../clock.js';
import type { HeaderChain } from '../chain/header-chain.js';
import type { HeaderFile } from '../chain/header-file.js';
import type { Logger } from '../log.js';
import type { Peer } from '../peer/peer.js';
import type { InventoryRelay } from '../relay/inventory-relay.js';
import { InvType } from '../wire/constants.js';
import { BlockAnnouncer } from './block-announcer.js';
import { BlockGate } from './block-gate.js';
import type { Discipline } from './discipline.js';
import { HeaderSync } from './header-sync.js';
import type { RelayEvents } from './types.js';

export interface BlockRelay {
  readonly sync: HeaderSync;
  readonly gate: BlockGate;
  readonly announcer: BlockAnnouncer;
}

export interface BlockRelayParts {
  readonly opened: { readonly chain: HeaderChain; readonly file: HeaderFile | null };
  readonly clock: Clock;
  readonly log: Logger;
  readonly relay: InventoryRelay<Peer>;
  readonly discipline: Pick<Discipline, 'punish'>;
  readonly events: EventEmitter<RelayEvents>;
}

export function buildBlockRelay(p: BlockRelayParts): BlockRelay {
  const sync = new HeaderSync(p.opened.chain, p.opened.file, p.clock, p.log, {
    punish: (peer, id, why) => p.discipline.punish(peer, id, 1, why),
    fetchBlocks: (peer, hashes) => p.relay.onInv(peer, invOf(hashes), 0, hashes.length),
  });
  const gate = new BlockGate(sync, p.relay, p.log, {
    punish: (peer, id, why) => p.discipline.punish(peer, id, 1, why),
    onRelayed: () => {},
  });
  return { sync, gate, announcer: new BlockAnnouncer() };
}

/** An inventory list of blocks (MSG_BLOCK; the relay asks for them with witness data). */
function invOf(hashes: readonly Uint8Array[]): Uint8Array {
  const out = new Uint8Array(36 * hashes.length);
  const dv = new DataView(out.buffer);
  hashes.forEach((h, i) => {
    dv.setUint32(36 * i, InvType.Block, true);
    out.set(h, 36 * i + 4);
  });
  return out;
}
