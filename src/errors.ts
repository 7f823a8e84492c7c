/**
 * One error hierarchy with stable `code` strings. Callers branch on `code`, never on `instanceof`:
 * errors that cross a worker boundary are structured-cloned into plain Errors and lose their class.
 */

export type ErrorCode =
  // Framing (mapped from WASM status codes, see src/wasm/status.ts)
  | 'ERR_FRAME_OVERSIZE'
  | 'ERR_FRAME_BAD_MAGIC'
  | 'ERR_FRAME_BAD_COMMAND'
  | 'ERR_FRAME_COMMAND_OVERSIZE'
  | 'ERR_FRAME_BAD_CHECKSUM'
  // Payload decoding
  | 'ERR_PAYLOAD_TRUNCATED'
  | 'ERR_PAYLOAD_TRAILING_BYTES'
  | 'ERR_PAYLOAD_NON_MINIMAL_VARINT'
  | 'ERR_PAYLOAD_COUNT_TOO_LARGE'
  | 'ERR_PAYLOAD_FIELD_TOO_LARGE'
  | 'ERR_PAYLOAD_INVALID'
  // Protocol / peer behaviour
  | 'ERR_HANDSHAKE'
  | 'ERR_PROTOCOL'
  | 'ERR_V2_TRANSPORT'
  | 'ERR_TIMEOUT'
  | 'ERR_BANNED'
  | 'ERR_PEER_LIMIT'
  // Outbound through a SOCKS5 proxy (src/conn/socks5.ts): the proxy refused or broke the protocol
  | 'ERR_PROXY'
  // Peer discovery (src/conn/discovery.ts): a DNS seed could not be resolved
  | 'ERR_DISCOVERY'
  // Node lifecycle and policy (refusals of a request, not faults of a peer)
  /** The node is not running (not started yet, or stopped): admin clients get 503. */
  | 'ERR_NOT_RUNNING'
  /** The node is stopping and takes no new connections or requests. */
  | 'ERR_STOPPING'
  /** A dial refused by the dial scope (onlynet, gossip dial scope). */
  | 'ERR_DIAL_SCOPE'
  /** An internal invariant broke: our bug, never the peer's and never the operator's input. */
  | 'ERR_INTERNAL'
  // Worker pool
  | 'ERR_POOL_CLOSED'
  | 'ERR_POOL_WORKER_CRASHED'
  | 'ERR_WASM'
  // Configuration
  | 'ERR_CONFIG'
  // JSON-RPC (src/rpc): a call refused with one of Core's RPC error numbers (details.rpcCode)
  | 'ERR_RPC'
  // ZMQ notifications (src/zmq): a socket could not bind or send
  | 'ERR_ZMQ'
  // Persistence
  | 'ERR_STORE_CORRUPT'
  | 'ERR_STORE_IO'
  | 'ERR_STORE_VERSION'
  | 'ERR_STORE_REWIND'
  | 'ERR_BACKUP_MISMATCH'
  | 'ERR_BACKUP_UNREACHABLE';

export class RelayError extends Error {
  readonly code: ErrorCode;
  /** Extra machine-readable context (offsets, file names, limits). */
  readonly details: Readonly<Record<string, unknown>>;

  constructor(code: ErrorCode, message: string, details: Record<string, unknown> = {}, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'RelayError';
    this.code = code;
    this.details = details;
  }

  toJSON(): { code: ErrorCode; message: string; details?: Readonly<Record<string, unknown>> } {
    return Object.keys(this.details).length > 0
      ? { code: this.code, message: this.message, details: this.details }
      : { code: this.code, message: this.message };
  }
}

/** A peer sent bytes that do not frame or decode: costs ban score, never the process. */
export class WireError extends RelayError {
  constructor(code: ErrorCode, message: string, details: Record<string, unknown> = {}) {
    super(code, message, details);
    this.name = 'WireError';
  }
}

/** A bad option given to the library or the command line. */
export class ConfigError extends RelayError {
  constructor(message: string, details: Record<string, unknown> = {}) {
    super('ERR_CONFIG', message, details);
    this.name = 'ConfigError';
  }
}

/** A state file is torn, corrupt or of an unknown version. */
export class StoreError extends RelayError {
  constructor(code: ErrorCode, message: string, details: Record<string, unknown> = {}, options?: { cause?: unknown }) {
    super(code, message, details, options);
    this.name = 'StoreError';
  }
}

/** True for any error carrying one of our stable codes (also after structured cloning). */
export function hasErrorCode(err: unknown, code?: ErrorCode): err is { code: ErrorCode; message: string } {
  if (typeof err !== 'object' || err === null) return false;
  const c = (err as { code?: unknown }).code;
  return typeof c === 'string' && c.startsWith('ERR_') && (code === undefined || c === code);
}
