/**
 * Pool worker entry (piscina). One WASM instance per thread, created when the thread starts; tasks
 * are stateless, so piscina may run any task on any worker. Peer input never makes this throw:
 * garbage comes back as statuses in the records, and unexpected failures as an ErrorResponse.
 */
import { move, transferableSymbol, valueSymbol } from 'piscina';
import { FrameScanner } from '../wasm/frame-scanner.js';
import type { ErrorResponse, PoolRequest, PoolResponse, ScanResponse } from './messages.js';

const scanner = new FrameScanner();

/** Wraps a response so piscina transfers its buffers instead of cloning them. */
function transferring<T extends object>(value: T, buffers: ArrayBuffer[]): T {
  return move({
    get [transferableSymbol]() {
      return buffers;
    },
    get [valueSymbol]() {
      return value;
    },
  }) as unknown as T;
}

function scan(req: Extract<PoolRequest, { op: 'scan' }>): ScanResponse {
  const bytes = new Uint8Array(req.buffer, req.byteOffset, req.byteLength);
  const result = scanner.scan(bytes, req.magic);
  // The scanner reuses its record view between calls; the copy is 48 bytes a frame.
  const records = result.records.copy();
  const response: ScanResponse = {
    op: 'scan',
    ok: true,
    buffer: req.buffer,
    records,
    count: result.count,
    consumed: result.consumed,
    need: result.need,
  };
  return transferring(response, [req.buffer, records.buffer as ArrayBuffer]);
}

export default function handle(req: PoolRequest): PoolResponse {
  try {
    switch (req.op) {
      case 'scan':
        return scan(req);
      default:
        return { op: 'unknown', ok: false, code: 'ERR_WASM', message: `unknown op ${(req as { op?: unknown }).op}` };
    }
  } catch (err) {
    const e = err as { code?: string; message?: string };
    const response: ErrorResponse = {
      op: req?.op ?? 'unknown',
      ok: false,
      code: typeof e.code === 'string' && e.code.startsWith('ERR_') ? e.code : 'ERR_WASM',
      message: e.message ?? String(err),
    };
    return response;
  }
}

