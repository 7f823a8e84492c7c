// The walk over a serialized block's transactions that the UTXO-free block checks need
// (src/chain/block-check.ts), with the rules of src/wire/tx-id.ts walkTx (BIP144 / Core
// UnserializeTransaction): minimal CompactSizes only, a 0x00 where the input count would be is
// the segwit marker and must be followed by flag 0x01, and a witness section whose stacks are all
// empty is refused (a second encoding of the same transaction). Every step checks the bytes left
// first, and every loop iteration consumes at least one byte, so the walk is O(bytes) whatever
// the counts claim. The cursor lives in a local (module globals cost a memory access each).

/** A CompactSize that is short, not minimal, or larger than any length in a block. */
const BAD: u64 = 0xffffffffffffffff;

/** Bytes of the CompactSize whose first byte is `f`. */
// @ts-ignore: decorator
@inline function csWidth(f: u32): usize {
  return f < 0xfd ? 1 : f == 0xfd ? 3 : f == 0xfe ? 5 : 9;
}

/** The minimal CompactSize at p (Core ReadCompactSize), BAD if it is short or not minimal. */
// @ts-ignore: decorator
@inline function cs(p: usize, e: usize): u64 {
  if (p >= e) return BAD;
  const f = <u32>load<u8>(p);
  if (f < 0xfd) return f;
  if (e - p < csWidth(f)) return BAD;
  if (f == 0xfd) {
    const v = <u64>load<u16>(p, 1);
    return v < 0xfd ? BAD : v;
  }
  if (f == 0xfe) {
    const v = <u64>load<u32>(p, 1);
    return v < 0x10000 ? BAD : v;
  }
  const v = load<u64>(p, 1);
  return v < 0x100000000 ? BAD : v;
}

/**
 * Past a CompactSize length at p, that many bytes and `after` more; 0 when the bytes run out (no
 * length from a block can reach 2^64, so the sums are checked without overflow).
 */
// @ts-ignore: decorator
@inline function skipVar(p: usize, e: usize, after: u64): usize {
  const len = cs(p, e);
  if (len == BAD) return 0;
  p += csWidth(load<u8>(p));
  const left = <u64>(e - p);
  if (len > left || left - len < after) return 0;
  return p + <usize>len + <usize>after;
}

/**
 * Past `count` entries at p, each `before` fixed bytes, a CompactSize-prefixed script and `after`
 * fixed bytes (inputs, outputs); 0 when the bytes run out.
 */
// @ts-ignore: decorator
@inline function skipEntries(p: usize, e: usize, count: u64, before: usize, after: u64): usize {
  for (let k: u64 = 0; k < count; k++) {
    if (e - p < before + 1) return 0;
    p = skipVar(p + before, e, after);
    if (p == 0) return 0;
  }
  return p;
}

/**
 * Walks the `len`-byte block at `block` (80-byte header, tx count, transactions) and writes each
 * transaction's offsets (relative to `block`) to `out` + 16 i: start, end (past the lock time),
 * inputs start, outputs end; and its witness flag (0/1) to `witness` + i. `maxTxs` bounds the
 * count (the caller's output room). Returns the transaction count, or -1 if the bytes are not
 * exactly a header and that many transactions.
 */
export function walkBlock(block: usize, len: u32, maxTxs: u32, out: usize, witness: usize): i32 {
  const e = block + <usize>len;
  if (len < 81) return -1;
  let p = block + 80;
  const n = cs(p, e);
  if (n == BAD) return -1;
  p += csWidth(load<u8>(p));
  // At least 10 bytes per transaction (version, two counts, lock time).
  if (n > <u64>maxTxs || n * 10 > <u64>(e - p)) return -1;
  for (let i: usize = 0; i < <usize>n; i++) {
    const start = p;
    if (e - p < 5) return -1;
    p += 4;
    let segwit = false;
    if (load<u8>(p) == 0) {
      if (e - p < 2 || load<u8>(p, 1) != 1) return -1;
      p += 2;
      segwit = true;
    }
    const inputsStart = p;
    const nIn = cs(p, e);
    if (nIn == BAD) return -1;
    // Inputs: prevout 36, the script, the sequence 4.
    p = skipEntries(p + csWidth(load<u8>(p)), e, nIn, 36, 4);
    if (p == 0) return -1;
    const nOut = cs(p, e);
    if (nOut == BAD) return -1;
    // Outputs: value 8, the script.
    p = skipEntries(p + csWidth(load<u8>(p)), e, nOut, 8, 0);
    if (p == 0) return -1;
    const outputsEnd = p;
    if (segwit) {
      let any = false;
      for (let k: u64 = 0; k < nIn; k++) {
        const items = cs(p, e);
        if (items == BAD) return -1;
        p += csWidth(load<u8>(p));
        if (items != 0) any = true;
        for (let j: u64 = 0; j < items; j++) {
          p = skipVar(p, e, 0);
          if (p == 0) return -1;
        }
      }
      if (!any) return -1;
    }
    if (e - p < 4) return -1;
    p += 4;
    const o = out + (i << 4);
    store<u32>(o, <u32>(start - block));
    store<u32>(o, <u32>(p - block), 4);
    store<u32>(o, <u32>(inputsStart - block), 8);
    store<u32>(o, <u32>(outputsEnd - block), 12);
    store<u8>(witness + i, segwit ? 1 : 0);
  }
  return p == e ? <i32>n : -1;
}
