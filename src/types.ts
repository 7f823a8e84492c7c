/**
 * The embedding API's types: what `createRelay()` returns, its events, and the JSON shapes the
 * admin endpoint and the CLI share. Peers are identified by `HOST:PORT` everywhere.
 */
import type { NetworkName } from './wire/constants.js';
import type { DialNet, GossipDialScope } from './conn/dial-scope.js';
import type { HostPort } from './util/host-port.js';

export type { HostPort };

export type LogLevel = 'debug' | 'info' | 'warn' | 'error' | 'silent';

/** The backup's policy while it is unreachable (see RelayConfig.backupPolicy). */
export type BackupMode = 'stop' | 'buffer';

/** Validated configuration (see src/node/config.ts for defaults and checks). */
export interface RelayConfig {
  readonly network: NetworkName;
  /** Where to accept peers; null = no listener. Default 127.0.0.1 and the network's port. */
  readonly listen: HostPort | null;
  /** Permanent peers dialled instead of automatic outbound selection (`--connect`). */
  readonly connect: readonly string[];
  /** Permanent peers dialled in addition to automatic selection (`--add-peer`). */
  readonly addPeer: readonly string[];
  /** Other wirerelay instances forming one relay (`--mesh`): permanent, trusted, no trickle. */
  readonly mesh: readonly string[];
  /** Directory for durable state; null keeps everything in memory. */
  readonly dataDir: string | null;
  readonly maxInbound: number;
  /** Inbound connections one IP address may hold (whitelisted peers are exempt). */
  readonly maxInboundPerAddress: number;
  /** Inbound connections one network group (/16, IPv6 /32) may hold. */
  readonly maxInboundPerGroup: number;
  /** Inbound slots that connections still in the version handshake may hold (default: half). */
  readonly maxPendingInbound: number;
  /** Networks the node dials (`--onlynet`); default all three. */
  readonly onlynet: readonly DialNet[];
  /** What addresses learned by gossip may be dialled: `local` = loopback and private only (regtest default). */
  readonly gossipDialScope: GossipDialScope;
  readonly targetOutbound: number;
  readonly banThreshold: number;
  readonly banDurationMs: number;
  readonly whitelist: readonly string[];
  /** Pool worker threads; 0 verifies everything inline on the main thread. */
  readonly workers: number;
  readonly poolMinBytes: number;
  readonly logLevel: LogLevel;
  /** Admin endpoint; null = none, the default (the CLI asks for 127.0.0.1:9464). */
  readonly http: HostPort | null;
  readonly userAgent: string;
  readonly trickleIntervalMs: number;
  readonly pingIntervalMs: number;
  readonly handshakeTimeoutMs: number;
  readonly idleTimeoutMs: number;
  readonly stallTimeoutMs: number;
  /** Per-peer send queue bounds; past them the oldest relayed item is dropped (`queue_head`). */
  readonly sendQueueMaxBytes: number;
  readonly sendQueueMaxMessages: number;
  /** Stop reading a peer's socket while this many received bytes wait to be framed. */
  readonly receiveBufferMaxBytes: number;
  /** Per-peer receive rate (bytes/s) enforced by not reading the socket; 0 = unlimited. Mesh peers are exempt. */
  readonly receiveRateBytesPerSec: number;
  /** Bytes a peer may send at once above its rate (a whole block fits). */
  readonly receiveBurstBytes: number;
  readonly relayCacheMaxBytes: number;
  /**
   * Bytes of recent relayed blocks kept to serve `block`, `cmpctblock` and `blocktxn` after the relay
   * cache has evicted them (issue 19); 0 keeps none. The newest block is kept whatever its size.
   */
  readonly blockStoreMaxBytes: number;
  /** Relay-cache items leave after this long, so memory falls back with traffic (default 15 min, as Core). */
  readonly relayCacheMaxAgeMs: number;
  readonly getdataTimeoutMs: number;
  /** Outbound retry delay: n-th retry waits n × retryBaseMs, never more than retryMaxMs (btcd 5 s, 5 min). */
  readonly retryBaseMs: number;
  readonly retryMaxMs: number;
  /** Allow loopback and private addresses in the address manager (default true on regtest). */
  readonly allowLocalAddresses: boolean;
  /** `--backup` destination for the state log (file:///path or socket://HOST:PORT). */
  readonly backup: string | null;
  /**
   * What commits do while the backup cannot be reached (src/persist/backup/replicator.ts): `stop`
   * (a commit waits for the backup; the node does not start without it) or `buffer` (default: up to
   * `backupBufferChanges` changes queue locally and are sent on reconnect).
   */
  readonly backupPolicy: BackupMode;
  readonly backupBufferChanges: number;
  /** Rejoin previously alive peers even after an explicit leave. */
  readonly rejoinAfterLeave: boolean;
  /** BIP324: 'v2' advertises NODE_P2P_V2, dials v2 where it can and accepts both; 'v1only'; 'v2only'. */
  readonly transport: TransportMode;
  /** Bitcoin Core-style JSON-RPC listener (`--rpc`); null = none, the default. See docs/rpc-zmq.md. */
  readonly rpc: HostPort | null;
  /** `USER:SALT$HMAC` credentials, as Core's -rpcauth (share/rpcauth/rpcauth.py makes them). */
  readonly rpcAuth: readonly string[];
  /** Subnets (IP or CIDR) besides loopback whose clients the RPC listener serves (Core's -rpcallowip). */
  readonly rpcAllowIp: readonly string[];
  /** ZMQ PUB endpoints per topic, as Core's -zmqpub<topic> (`tcp://127.0.0.1:28332`, `ipc:///path`). */
  readonly zmqPubRawTx: readonly string[];
  readonly zmqPubHashTx: readonly string[];
  readonly zmqPubRawBlock: readonly string[];
  readonly zmqPubHashBlock: readonly string[];
  readonly zmqPubSequence: readonly string[];
  /** Each topic's send high-water mark (messages), as Core's -zmqpub<topic>hwm; default 1000. */
  readonly zmqPubRawTxHwm: number;
  readonly zmqPubHashTxHwm: number;
  readonly zmqPubRawBlockHwm: number;
  readonly zmqPubHashBlockHwm: number;
  readonly zmqPubSequenceHwm: number;
  /**
   * The operator's transport for particular peers, keyed by HOST:PORT: from `@v1`/`@v2` after an
   * address in `connect`/`addPeer`/`mesh` (like Core's `addnode … v2transport`), or given as is.
   */
  readonly peerTransport: Readonly<Record<string, 'v1' | 'v2'>>;
  /** Automatic block-relay-only outbound connections, anchors included (Core: 2). */
  readonly blockRelayOnly: number;
  /** `--proxy HOST:PORT`: SOCKS5 proxy for every outbound connection (Core -proxy). */
  readonly proxy: string | null;
  /** `--onion HOST:PORT`: SOCKS5 proxy for Tor addresses (Core -onion); default `proxy`. */
  readonly onion: string | null;
  /** DNS seeds queried for a fresh node: `--dns-seed` (repeatable), else the network's (Core's list); empty with `--no-dns-seed`. */
  readonly dnsSeed: readonly string[];
  /** `--no-dns-seed`: query no DNS seed. */
  readonly noDnsSeed: boolean;
  /** `--dns-server HOST:PORT`: resolve DNS seeds through this server only; null = the system resolver. */
  readonly dnsServer: string | null;
  /** `--seednode HOST:PORT` (repeatable): connect, take addresses, disconnect (Core -seednode). */
  readonly seedNode: readonly string[];
  /**
   * `--mesh-dns NAME:PORT`: the mesh's instances are the A/AAAA records of NAME (a Kubernetes
   * headless Service, Consul, plain DNS), resolved every `meshDnsIntervalMs`; a link is kept to each.
   */
  readonly meshDns: string | null;
  readonly meshDnsIntervalMs: number;
}

export type TransportMode = 'v2' | 'v1only' | 'v2only';

export type PeerDirection = 'inbound' | 'outbound';
export type PeerState = 'connecting' | 'handshaking' | 'established' | 'closed';

export interface PeerInfo {
  readonly id: number;
  readonly addr: string;
  readonly direction: PeerDirection;
  readonly permanent: boolean;
  readonly mesh: boolean;
  /** The address is whitelisted (--whitelist): never banned, not scored. */
  readonly whitelisted: boolean;
  readonly state: PeerState;
  readonly protocolVersion: number | null;
  readonly userAgent: string | null;
  /** Service bits as a decimal string (64-bit). */
  readonly services: string;
  /** The same bits by name (`NETWORK`, `WITNESS`, …, `UNKNOWN[2^n]`), as getpeerinfo's servicesnames. */
  readonly servicesNames: readonly string[];
  readonly startHeight: number | null;
  /** Height of the best header this peer is known to have (from its headers and blocks); null before any. */
  readonly bestKnownHeight: number | null;
  /** BIP152 high-bandwidth mode (getpeerinfo's bip152_hb_to / bip152_hb_from): `to`, we asked this peer to push us new blocks as cmpctblock; `from`, it asked us to. */
  readonly compactHighBandwidth: { readonly to: boolean; readonly from: boolean };
  readonly relay: boolean;
  readonly banScore: number;
  /** Round trip of the last answered ping and the smallest on this connection; the first ping goes out right after the handshake. */
  readonly rttMs: number | null;
  readonly minRttMs: number | null;
  /** Unix ms. */
  readonly connectedAt: number;
  /** Unix ms of the last bytes written to / frame read from the socket; null before the first. */
  readonly lastSend: number | null;
  readonly lastRecv: number | null;
  readonly bytesIn: number;
  readonly bytesOut: number;
  readonly messagesIn: number;
  readonly messagesOut: number;
  /** Bytes (header included) by command, commands never exchanged left out; unknown commands are "other". */
  readonly bytesSentPerMsg: Readonly<Record<string, number>>;
  readonly bytesRecvPerMsg: Readonly<Record<string, number>>;
  readonly sendQueueBytes: number;
  /** Transport of the connection: v1 (plaintext) or v2 (BIP324). */
  readonly transport: 'v1' | 'v2';
  /** BIP324 session id (hex) of a v2 connection, to compare out of band; null for v1. */
  readonly sessionId: string | null;
}

export interface BanInfo {
  /** IP address or CIDR subnet. */
  readonly target: string;
  /** Unix ms: when the ban was made (null for a ban recorded before creation times were kept) and when it ends. */
  readonly createdAt: number | null;
  readonly until: number;
  readonly reason: string;
}

/** Per-second rates over a window. */
export interface TrafficRates {
  readonly msgsIn: number;
  readonly msgsOut: number;
  readonly bytesIn: number;
  readonly bytesOut: number;
  /** Relayed items (tx, block) written to peers' sockets: queued items that were dropped never count. */
  readonly relayedMsgs: number;
  readonly relayedBytes: number;
}

export interface NodeStatus {
  readonly version: string;
  readonly network: NetworkName;
  readonly userAgent: string;
  readonly dataDir: string | null;
  readonly listen: string | null;
  readonly http: string | null;
  readonly startedAt: number;
  readonly uptimeMs: number;
  readonly peers: { readonly inbound: number; readonly outbound: number; readonly established: number };
  readonly bans: number;
  readonly addresses: { readonly new: number; readonly tried: number };
  readonly relayCache: { readonly items: number; readonly bytes: number };
  /** Relayed items written to peers' sockets since start (dropped ones never count). */
  readonly relayed: { readonly messages: number; readonly bytes: number };
  readonly pool: { readonly threads: number; readonly queueDepth: number };
  readonly stateVersion: number | null;
  /** The headers chain (issue 19): best height, headers stored (genesis included), tip hash in display hex; null on simnet. */
  readonly chain: { readonly height: number; readonly headers: number; readonly tip: string } | null;
  /** Rates from marks the node's 1 s ticker takes (reading never moves them). */
  readonly rates: { readonly last10s: TrafficRates; readonly last1m: TrafficRates };
  /** Per-second rate of each of the last (up to) 60 ticker intervals, oldest first: sparklines. */
  readonly history: { readonly [K in keyof TrafficRates]: readonly number[] };
  readonly process: {
    /** p99 and max event-loop delay over the last second. */
    readonly eventLoopLagMs: number;
    readonly eventLoopLagMaxMs: number;
    /** Percent of one core over the last second. */
    readonly cpuPercent: number;
    readonly rssBytes: number;
  };
  readonly backup: { readonly url: string; readonly status: string; readonly pending: number } | null;
  /** Conditions that need the operator: no outbound peers, backup behind, disk nearly full. */
  readonly warnings: readonly string[];
}

export type DisconnectReason =
  | 'local'
  | 'remote'
  | 'banned'
  | 'handshake_timeout'
  | 'idle_timeout'
  | 'stall'
  | 'protocol'
  | 'self_connection'
  | 'duplicate'
  | 'socket_error'
  /** Its inbound slot went to a newcomer (src/conn/inbound-policy.ts). */
  | 'evicted'
  /** Its send queue stayed over twice its bound with nothing left to drop. */
  | 'slow_reader'
  /** A BIP324 v2 failure (bad tag, oversize, garbage, handshake): no ban score, as in Core. */
  | 'v2_failure'
  /** It left one of our pings unanswered for 20 minutes (Core TIMEOUT_INTERVAL). */
  | 'ping_timeout'
  /** An outbound peer whose best header stayed behind our tip's work (src/node/outbound-eviction.ts). */
  | 'stale_chain'
  /** An outbound peer over its kind's target: the extra one least useful (src/node/outbound-eviction.ts). */
  | 'extra_outbound'
  | 'shutdown';

export interface RelayEvents {
  peerConnect: [PeerInfo];
  peerDisconnect: [PeerInfo, DisconnectReason];
  peerBan: [BanInfo & { readonly addr: string }];
  /** Every decoded message from an established peer (after the node has handled it). */
  message: [{ readonly peer: string; readonly command: string; readonly message: unknown }];
  /** A transaction seen for the first time (txid/wtxid in display hex). */
  tx: [{ readonly peer: string | null; readonly txid: string; readonly wtxid: string; readonly raw: Uint8Array }];
  /**
   * A block relayed for the first time: it passed the relay rule (docs/chain.md). `height` is its
   * height on our headers chain (null on simnet, which has no chain and relays blocks unchecked);
   * `via` is how it arrived: a full `block`, or a `cmpctblock` rebuilt from the relay cache.
   */
  block: [{ readonly peer: string | null; readonly hash: string; readonly height: number | null; readonly via: 'block' | 'cmpctblock'; readonly raw: Uint8Array }];
  /** An item left the relay cache (evicted, oldest first); emitted only while someone listens. */
  evict: [{ readonly kind: 'tx' | 'block'; readonly id: string }];
  /** Structured log line (also written to the logger). */
  warning: [{ readonly message: string; readonly fields?: Record<string, unknown> }];
}
