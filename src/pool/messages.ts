/**
 * Messages between the main thread and pool workers. Plain data only: errors travel as
 * `{ code, message }` because structured cloning drops Error subclasses and their `code`.
 * Buffers are moved with transfer lists in both directions, never cloned.
 */

/** Verify every complete frame in `buffer[byteOffset, byteOffset + byteLength)`. */
export interface ScanRequest {
  readonly op: 'scan';
  readonly buffer: ArrayBuffer;
  readonly byteOffset: number;
  readonly byteLength: number;
  readonly magic: number;
}

export type PoolRequest = ScanRequest;

export interface ScanResponse {
  readonly op: 'scan';
  readonly ok: true;
  /** The request's buffer, moved back so the caller can slice payloads out of it. */
  readonly buffer: ArrayBuffer;
  /** FrameRecords words (12 × u32 per frame: offset relative to byteOffset, length, command id, status, digest). */
  readonly records: Uint32Array;
  readonly count: number;
  readonly consumed: number;
  readonly need: number;
}

export interface ErrorResponse {
  readonly op: PoolRequest['op'] | 'unknown';
  readonly ok: false;
  readonly code: string;
  readonly message: string;
}

export type PoolResponse = ScanResponse | ErrorResponse;
