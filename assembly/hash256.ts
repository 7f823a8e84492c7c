// Double SHA-256 (Bitcoin's hash256) and the 4-byte frame checksum, scalar for one message and
// 4-lane multi-buffer for batches.

import { digestToState, rehashState, writeState, H } from './sha256';
import { runDescriptors } from './sha256x4';

/** Double SHA-256 of `len` bytes at `ptr`, 32 bytes written to `out`. */
export function hash256(ptr: usize, len: u32, out: usize): void {
  digestToState(ptr, len);
  rehashState();
  writeState(out);
}

/** First 4 bytes of the double SHA-256, read little-endian, so it equals the header field. */
export function checksum4(ptr: usize, len: u32): u32 {
  digestToState(ptr, len);
  rehashState();
  return bswap<u32>(load<u32>(H));
}

/** `n` descriptors (ptr u32, len u32) at `descPtr`; double SHA-256 digests to `outPtr` + 32 i. */
export function hash256Batch(descPtr: usize, n: u32, outPtr: usize): void {
  runDescriptors(descPtr, n, outPtr, true);
}

/** As hash256Batch, single SHA-256. */
export function sha256Batch(descPtr: usize, n: u32, outPtr: usize): void {
  runDescriptors(descPtr, n, outPtr, false);
}
