// Export surface of the WASM module (docs/wasm-abi.md). Re-exports only.

export {
  inputPtr,
  inputCapacity,
  ensureInput,
  resultsPtr,
  resultsCapacity,
  scratchPtr,
  scratchCapacity,
  ensureScratch,
  banCapacity,
  banEnsure,
} from './arena';
export { sha256 } from './sha256';
export { hash256, checksum4, hash256Batch, sha256Batch } from './hash256';
export { scanFrames, scanConsumed, scanNeed, sealFrames } from './frame';
export {
  banReset,
  banIncrease,
  banScore,
  banPersistent,
  banTransient,
  banLastSec,
  banRestore,
  banApply,
} from './banscore';
