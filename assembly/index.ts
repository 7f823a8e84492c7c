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
export { chacha20Xor } from './chacha20';
export { poly1305Mac } from './poly1305';
export { v2StatePtr, v2DeferPtr, v2StateInit, v2Open, v2Seal, v2Consumed, v2Need } from './bip324';
export { v2Frames, v2FramesInfo } from './v2frames';
export { shortIds, shortIdTable, shortIdMatch, sipHash32 } from './siphash';
export { headersPow } from './header-pow';
export { merkleRoot } from './merkle';
export { walkBlock } from './tx-walk';
