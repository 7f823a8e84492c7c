/** wirerelay's public API. Re-exports only. */
export { createRelay, RelayNode } from './node/relay-node.js';
export type { RelayDeps } from './node/relay-node.js';
export { resolveConfig, DEFAULT_DATA_DIR } from './node/config.js';
export type { RelayOptions } from './node/config.js';
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
} from './node/types.js';
export type { FlowRow, HealthInfo } from './admin/backend.js';
export { RelayError, WireError, ConfigError, StoreError, hasErrorCode } from './errors.js';
export type { ErrorCode } from './errors.js';
export { systemClock, ManualClock } from './clock.js';
export type { Clock } from './clock.js';
export { Logger } from './log.js';
export { WorkerPool } from './pool/pool.js';
export { StreamDecoder } from './framing/stream-decoder.js';
export { FrameVerifier } from './framing/frame-verifier.js';
export { FrameScanner } from './wasm/frame-scanner.js';
export { hash256, hash256Many } from './wasm/hasher.js';
export { decodePayload, encodePayload, decodeMessage } from './wire/codec.js';
export type { Message, AnyMessage } from './wire/codec.js';
export { messageToJson } from './wire/json.js';
export { txIds, blockHash } from './wire/tx-id.js';
export { hashToHex, hexToHash } from './wire/hex.js';
export { NETWORKS, COMMANDS, MAX_PAYLOAD, InvType, Services, RejectCode } from './wire/constants.js';
export type { Command, NetworkName } from './wire/constants.js';
export { inspectStream } from './inspect/inspect-stream.js';
