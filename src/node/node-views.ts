/**
 * The read-only views of a running node that the admin endpoint, the CLI and embedders ask for:
 * status, the busiest flows, one address's long-run health. Each is built from the owners' own
 * snapshots; nothing here keeps state.
 */
import type { HealthInfo, FlowOrder, FlowRow } from '../admin/backend.js';
import type { HealthStore } from '../health/health-store.js';
import type { WorkerPool } from '../pool/pool.js';
import type { InventoryRelay } from '../relay/inventory-relay.js';
import type { FlowTable } from '../stats/flow-table.js';
import type { NodeStats } from '../stats/node-stats.js';
import { emptyStatsView } from '../stats/node-stats.js';
import { nodeWarnings } from '../stats/node-warnings.js';
import type { Peer } from '../peer/peer.js';
import { VERSION } from '../version.js';
import type { AddressGossip } from './address-gossip.js';
import type { BanManager } from './ban-manager.js';
import type { BlockRelay } from './block-relay.js';
import type { DurableState } from './durable-state.js';
import type { PeerRegistry } from './peer-registry.js';
import type { RelayAccounting } from './relay-accounting.js';
import type { NodeStatus, RelayConfig } from '../types.js';
import type { RelayCache } from '../relay/relay-cache.js';
import type { RelayCacheTx } from '../rpc/backend.js';
import { HEADER_SIZE } from '../wire/constants.js';
import { hashToHex } from '../wire/hex.js';

/** What the status view reads; the parts that exist only while running may be absent. */
export interface StatusParts {
  readonly config: RelayConfig;
  readonly startedAt: number;
  readonly now: number;
  readonly listen: string | null;
  readonly http: string | null;
  readonly wantsOutbound: boolean;
  readonly registry: PeerRegistry;
  readonly accounting: RelayAccounting;
  readonly nodeStats?: NodeStats;
  readonly durable?: DurableState;
  readonly banMgr?: BanManager;
  readonly gossip?: AddressGossip;
  readonly relay?: InventoryRelay<Peer>;
  readonly pool?: WorkerPool | undefined;
  readonly blocks?: BlockRelay | null;
}

export function statusView(s: StatusParts): NodeStatus {
  let inbound = 0;
  let outbound = 0;
  let established = 0;
  let outboundEstablished = 0;
  for (const p of s.registry.values()) {
    if (p.direction === 'inbound') inbound++;
    else outbound++;
    if (p.established) established++;
    if (p.established && p.direction === 'outbound') outboundEstablished++;
  }
  const view = s.nodeStats?.view() ?? emptyStatsView();
  const backup = s.durable?.backupStatus ?? null;
  const uptimeMs = s.now - s.startedAt;
  return {
    version: VERSION,
    network: s.config.network,
    userAgent: s.config.userAgent,
    dataDir: s.config.dataDir,
    listen: s.listen,
    http: s.http,
    startedAt: s.startedAt,
    uptimeMs,
    peers: { inbound, outbound, established },
    bans: s.banMgr?.entries().length ?? 0,
    addresses: { new: s.gossip?.addrs.numNew() ?? 0, tried: s.gossip?.addrs.numTried() ?? 0 },
    relayCache: { items: s.relay?.cache.size ?? 0, bytes: s.relay?.cache.byteLength ?? 0 },
    relayed: { messages: s.accounting.messages, bytes: s.accounting.bytes },
    pool: { threads: s.pool?.threads ?? 0, queueDepth: s.pool?.queueDepth ?? 0 },
    stateVersion: s.durable?.version ?? null,
    chain: chainView(s.blocks),
    rates: view.rates,
    history: view.history,
    process: view.process,
    backup,
    warnings: nodeWarnings({ uptimeMs, outbound: outboundEstablished, wantsOutbound: s.wantsOutbound, backup, disk: view.disk }),
  };
}

/** The busiest flows, peers named HOST:PORT, with each end's transport while it is connected. */
export function flowsView(flowTable: FlowTable, registry: PeerRegistry, top: number, by: FlowOrder): FlowRow[] {
  const transport = (label: string | undefined) => (label === undefined ? null : registry.byAddress(label)?.transport.name ?? null);
  return flowTable.top(top, by).map((f) => ({
    src: f.srcLabel ?? String(f.src),
    dst: f.dstLabel ?? String(f.dst),
    srcTransport: transport(f.srcLabel),
    dstTransport: transport(f.dstLabel),
    packets: f.packetsLocal,
    bytes: f.bytesLocal,
    packetsMesh: f.packetsMesh,
    bytesMesh: f.bytesMesh,
    drops: Object.fromEntries(Object.entries(f.drops).map(([k, v]) => [k, v.packets])),
    createdAt: f.createdMs,
    lastActive: f.lastActiveMs,
    rateBps: f.bytesPerSec,
  }));
}

/** Long-run health of a peer address, or null when it was never seen. */
export function healthView(store: HealthStore, peer: string): HealthInfo | null {
  const h = store.health(peer);
  if (h === undefined) return null;
  return {
    peer,
    lifespanMs: h.lifespanMs,
    uptimeMs: h.uptimeMs,
    uptimeRatio: h.uptimeRatio,
    flapCount: h.flapCount,
    lastFlap: h.lastFlap ?? null,
    tier: h.tier,
    online: h.online,
  };
}

/** The headers chain: best height, stored headers (genesis included), tip hash; null on simnet or when stopped. */
function chainView(blocks: BlockRelay | null | undefined): NodeStatus['chain'] {
  if (blocks === null || blocks === undefined) return null;
  const c = blocks.sync.chain;
  return { height: c.tipHeight, headers: c.size, tip: hashToHex(c.hash(c.tipEntry)) };
}

/** The relay cache's transactions, oldest first (getrelaycache). */
export function cacheTransactions(c: RelayCache): RelayCacheTx[] {
  const out: RelayCacheTx[] = [];
  for (const s of c.slots()) if (c.isTx(s)) out.push({ txid: hashToHex(c.id(s)), wtxid: hashToHex(c.wid(s)), size: c.frameLength(s) - HEADER_SIZE, from: c.from(s) });
  return out;
}
