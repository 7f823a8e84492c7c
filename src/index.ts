/**
 * wirerelay's public API (re-exports only): the relay node, its options, events and results, the
 * error classes and codes, and the wire codecs and stream inspector as a library of their own.
 * Anything not exported here is internal and may change in any release.
 */
import { createRelay as createRelayNode } from './node/relay-node.js';
import type { RelayDeps, RelayNode as RelayNodeClass } from './node/relay-node.js';
import type { RelayOptions } from './node/config.js';

/**
 * The node `createRelay` returns: its lifecycle, peer and ban control, queries and events. The
 * parts it shares with its own components (metrics registry, flow table, health store, nonce set)
 * are private to the class; the clock it was given is left out of the type.
 */
export type RelayNode = Omit<RelayNodeClass, 'clock'>;

/** Creates a relay node; call `start()` to listen and connect. Unknown or bad options throw ConfigError. */
export const createRelay: (options?: RelayOptions, deps?: RelayDeps) => RelayNode = createRelayNode;
export type { RelayDeps, RelayOptions };
export type {
  BanInfo,
  DisconnectReason,
  HostPort,
  LogLevel,
  NodeStatus,
  PeerDirection,
  PeerInfo,
  PeerState,
  RelayConfig,
  RelayEvents,
} from './types.js';
export type { FlowOrder, FlowRow, HealthInfo } from './admin/backend.js';
export type { BlockItem, RelayStream, StreamOptions, TxItem } from './streams/relay-streams.js';
export type { ChainInfoProvider, RelayCacheTx } from './rpc/backend.js';
export { RelayError, WireError, ConfigError, StoreError, hasErrorCode } from './errors.js';
export type { ErrorCode } from './errors.js';
export type { Clock } from './clock.js';
export { Logger } from './log.js';
export type { LogFields, LoggerOptions } from './log.js';
export { VERSION } from './version.js';
export { IdleCollector } from './cli/idle-collection.js';
// The wire codecs: decode and encode Bitcoin P2P payloads, compute ids, inspect a captured stream.
export { decodePayload, encodePayload, decodeMessage } from './wire/codec.js';
export type { Message, AnyMessage } from './wire/codec.js';
export { messageToJson } from './wire/json.js';
export { txIds, blockHash } from './wire/tx-id.js';
export { hashToHex, hexToHash } from './wire/hex.js';
export { NETWORKS, COMMANDS, MAX_PAYLOAD, InvType, Services, RejectCode } from './wire/constants.js';
export type { Command, NetworkName } from './wire/constants.js';
export { inspectStream } from './inspect/inspect-stream.js';
