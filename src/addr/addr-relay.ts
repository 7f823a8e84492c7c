/**
 * Which received addresses are passed on, and to whom: Bitcoin Core's rules
 * (src/net_processing.cpp, ProcessMessage "addr"/"addrv2" and PeerManagerImpl::RelayAddress).
 * Pure: the caller (AddressGossip) gives the message, the time and the peers.
 *
 * - Only addresses from a message of at most 10 entries that did not answer our own getaddr: a
 *   node announcing itself or a fresh neighbour sends a few; a getaddr reply or a table dump is
 *   not news and must not be amplified.
 * - Only routable ones with a timestamp within the last 10 minutes: stale addresses do not spread.
 * - To 2 peers (1 or 2 for a network we cannot reach), chosen by a SipHash keyed with a per-node
 *   secret over the address and the current day, among peers that take part in address relay
 *   (never block-relay-only ones, never the sender). The same address goes to the same peers for
 *   24 hours, so repeating it to us gets it no further (their known-address filters stop it), and
 *   an outsider cannot predict the choice.
 */
import { randomBytes } from 'node:crypto';
import { SipHasher } from '../util/siphash.js';

/** Core: an addr message of more entries is not relayed (it is a getaddr answer or a dump). */
export const MAX_RELAY_MESSAGE_ENTRIES = 10;
/** Core: only addresses stamped within this window are relayed. */
export const RELAY_MAX_AGE_MS = 10 * 60_000;
/** Core ROTATE_ADDR_RELAY_DEST_INTERVAL: the relay destinations of an address change daily. */
export const ROTATE_RELAY_DEST_MS = 24 * 3_600_000;
/** Core RANDOMIZER_ID_ADDRESS_RELAY (src/net_processing.cpp): SHA256("addressrelay")[0:8]. */
export const RANDOMIZER_ID_ADDRESS_RELAY = 0x3cac0035b5866b90n;

/** A connected peer as relay sees it. */
export interface RelayCandidate {
  readonly id: number;
  /** Takes part in address relay: not block-relay-only (Core m_addr_relay_enabled). */
  readonly addrRelay: boolean;
  /** Understands addrv2 (BIP155): only such peers can be sent Tor, I2P or CJDNS addresses. */
  readonly addrV2: boolean;
}

/** Core's per-message conditions: the message may carry relayable addresses at all. */
export function messageRelayable(entries: number, answersOurGetaddr: boolean): boolean {
  return entries <= MAX_RELAY_MESSAGE_ENTRIES && !answersOurGetaddr;
}

/** Core's per-address conditions: routable and fresh. */
export function addressRelayable(timestampSec: number, routable: boolean, nowMs: number): boolean {
  return routable && timestampSec * 1000 > nowMs - RELAY_MAX_AGE_MS;
}

export class AddrRelay {
  /** The per-node secret, as Core's nSeed0/nSeed1. */
  private readonly randomizer: SipHasher;

  constructor(key: Uint8Array = randomBytes(16)) {
    if (key.length !== 16) throw new RangeError(`AddrRelay: key must be 16 bytes, got ${key.length}`);
    const b = Buffer.from(key);
    this.randomizer = SipHasher.keyed(b.readBigUInt64LE(0), b.readBigUInt64LE(8)).writeU64(RANDOMIZER_ID_ADDRESS_RELAY);
  }

  /**
   * The peers to pass `addr` on to (Core RelayAddress): the top 2 (or 1) by
   * SipHash(secret, hash(addr), day, peer id), leaving out the originator, peers outside address
   * relay, and v1-only peers for a non-IP address. `reachable`: we can dial the address's network
   * ourselves (Core relays those to 2; others to 1 or 2 by the hash).
   */
  targets(addr: string, opts: { nowMs: number; originator: number; peers: Iterable<RelayCandidate>; reachable: boolean; needsAddrV2: boolean }): number[] {
    // Core CServiceHash with zero salts: a per-address constant, the same on every node.
    const hashAddr = SipHasher.keyed(0n, 0n).write(Buffer.from(addr, 'utf8')).finalize();
    // Adding the address hash makes the rotation time differ per address while keeping the period.
    const nowSec = BigInt(Math.floor(opts.nowMs / 1000));
    const timeAddr = ((nowSec + hashAddr) & ((1n << 64n) - 1n)) / BigInt(ROTATE_RELAY_DEST_MS / 1000);
    const hasher = this.randomizer.writeU64(hashAddr).writeU64(timeAddr);
    const n = opts.reachable || (hasher.finalize() & 1n) === 1n ? 2 : 1;
    const best: { key: bigint; id: number }[] = [];
    for (const p of opts.peers) {
      if (p.id === opts.originator || !p.addrRelay || (opts.needsAddrV2 && !p.addrV2)) continue;
      const key = hasher.writeU64(BigInt(p.id)).finalize();
      best.push({ key, id: p.id });
      best.sort((a, b) => (a.key > b.key ? -1 : a.key < b.key ? 1 : 0));
      if (best.length > n) best.pop();
    }
    return best.map((b) => b.id);
  }
}
