/**
 * Bitcoin Core's JSON-RPC error codes and the error our calls throw. The numbers are Core's
 * (src/rpc/protocol.h); clients such as python-bitcoinlib branch on them, so they never change.
 */
import { RelayError } from '../errors.js';

export const RPC_MISC_ERROR = -1;
export const RPC_TYPE_ERROR = -3;
export const RPC_INVALID_ADDRESS_OR_KEY = -5;
export const RPC_INVALID_PARAMETER = -8;
export const RPC_CLIENT_NOT_CONNECTED = -9;
export const RPC_CLIENT_NODE_ALREADY_ADDED = -23;
export const RPC_CLIENT_NODE_NOT_ADDED = -24;
export const RPC_CLIENT_NODE_NOT_CONNECTED = -29;
export const RPC_CLIENT_INVALID_IP_OR_SUBNET = -30;
export const RPC_CLIENT_P2P_DISABLED = -31;
export const RPC_INVALID_REQUEST = -32600;
export const RPC_METHOD_NOT_FOUND = -32601;
export const RPC_INVALID_PARAMS = -32602;
export const RPC_INTERNAL_ERROR = -32603;
export const RPC_PARSE_ERROR = -32700;

/** A call's refusal: `rpcCode` is Core's number, sent as `error.code`; `code` is ours (ERR_RPC). */
export class RpcError extends RelayError {
  readonly rpcCode: number;

  constructor(rpcCode: number, message: string) {
    super('ERR_RPC', message, { rpcCode });
    this.name = 'RpcError';
    this.rpcCode = rpcCode;
  }

  /** The JSON-RPC error object. */
  toRpc(): { code: number; message: string } {
    return { code: this.rpcCode, message: this.message };
  }
}

/**
 * HTTP status of a legacy-mode (not 2.0) error reply, as Core's JSONErrorReply in src/httprpc.cpp
 * picks it: 400 for an invalid request, 404 for an unknown method, 500 for everything else.
 */
export function legacyErrorStatus(rpcCode: number): number {
  if (rpcCode === RPC_INVALID_REQUEST) return 400;
  if (rpcCode === RPC_METHOD_NOT_FOUND) return 404;
  return 500;
}
