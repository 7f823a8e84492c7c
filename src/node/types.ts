/**
 * The embedding API's types: what `createRelay()` returns, its events, and the JSON shapes the
 * admin endpoint and the CLI share. Peers are identified by `HOST:PORT` everywhere.
 */
import type { NetworkName } from '../wire/constants.js';

export type LogLevel = 'debug' | 'info' | 'warn' | 'error' | 'silent';

export interface HostPort {
  readonly host: string;
  readonly port: number;
}

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
  readonly targetOutbound: number;
  readonly banThreshold: number;
  readonly banDurationMs: number;
  readonly whitelist: readonly string[];
  /** Pool worker threads; 0 verifies everything inline on the main thread. */
  readonly workers: number;
  readonly poolMinBytes: number;
  readonly logLevel: LogLevel;
  /** Admin endpoint; null = none. Default 127.0.0.1:9464. */
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
  readonly getdataTimeoutMs: number;
  /** Outbound retry delay: n-th retry waits n × retryBaseMs, never more than retryMaxMs (btcd 5 s, 5 min). */
  readonly retryBaseMs: number;
  readonly retryMaxMs: number;
  /** Allow loopback and private addresses in the address manager (default true on regtest). */
  readonly allowLocalAddresses: boolean;
  /** `--backup` destination for the state log (file:///path or socket://HOST:PORT). */
  readonly backup: string | null;
  /** Rejoin previously alive peers even after an explicit leave. */
  readonly rejoinAfterLeave: boolean;
  /** BIP324: 'v2' advertises NODE_P2P_V2, dials v2 where it can and accepts both; 'v1only'; 'v2only'. */
  readonly transport: TransportMode;
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
  readonly state: PeerState;
  readonly protocolVersion: number | null;
  readonly userAgent: string | null;
  /** Service bits as a decimal string (64-bit). */
  readonly services: string;
  readonly startHeight: number | null;
  readonly relay: boolean;
  readonly banScore: number;
  readonly rttMs: number | null;
  readonly connectedAt: number;
  readonly bytesIn: number;
  readonly bytesOut: number;
  readonly messagesIn: number;
  readonly messagesOut: number;
  readonly sendQueueBytes: number;
  /** Transport of the connection: v1 (plaintext) or v2 (BIP324). */
  readonly transport: 'v1' | 'v2';
  /** BIP324 session id (hex) of a v2 connection, to compare out of band; null for v1. */
  readonly sessionId: string | null;
}

export interface BanInfo {
  /** IP address or CIDR subnet. */
  readonly target: string;
  readonly until: number;
  readonly reason: string;
}

export interface NodeStatus {
  readonly network: NetworkName;
  readonly listen: string | null;
  readonly http: string | null;
  readonly startedAt: number;
  readonly uptimeMs: number;
  readonly peers: { readonly inbound: number; readonly outbound: number; readonly established: number };
  readonly bans: number;
  readonly addresses: { readonly new: number; readonly tried: number };
  readonly relayCache: { readonly items: number; readonly bytes: number };
  readonly relayed: { readonly messages: number; readonly bytes: number };
  readonly pool: { readonly threads: number; readonly queueDepth: number };
  readonly stateVersion: number | null;
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
  /** Its send queue stayed over twice its bound with nothing left to drop. */
  | 'slow_reader'
  /** A BIP324 v2 failure (bad tag, oversize, garbage, handshake): no ban score, as in Core. */
  | 'v2_failure'
  | 'shutdown';

export interface RelayEvents {
  peerConnect: [PeerInfo];
  peerDisconnect: [PeerInfo, DisconnectReason];
  peerBan: [BanInfo & { readonly addr: string }];
  /** Every decoded message from an established peer (after the node has handled it). */
  message: [{ readonly peer: string; readonly command: string; readonly message: unknown }];
  /** A transaction seen for the first time (txid/wtxid in display hex). */
  tx: [{ readonly peer: string | null; readonly txid: string; readonly wtxid: string; readonly raw: Uint8Array }];
  /** A block seen for the first time. */
  block: [{ readonly peer: string | null; readonly hash: string; readonly raw: Uint8Array }];
  /** Structured log line (also written to the logger). */
  warning: [{ readonly message: string; readonly fields?: Record<string, unknown> }];
}
