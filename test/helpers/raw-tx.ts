/** A syntactically valid one-input, one-output legacy transaction, unique per `tag`. */
export function rawTx(tag: number): Uint8Array {
  const b: number[] = [];
  const u32 = (v: number) => b.push(v & 0xff, (v >>> 8) & 0xff, (v >>> 16) & 0xff, (v >>> 24) & 0xff);
  u32(2); // version
  b.push(1); // one input
  for (let i = 0; i < 32; i++) b.push((tag + i) & 0xff); // previous txid
  u32(0); // previous index
  b.push(0); // empty scriptSig
  u32(0xffffffff); // sequence
  b.push(1); // one output
  u32(50_000);
  u32(0); // value (u64)
  b.push(1, 0x51); // scriptPubKey: OP_TRUE
  u32(0); // locktime
  return new Uint8Array(b);
}

/** A legacy transaction of about `size` bytes, unique per `tag`. */
export function bigTx(tag: number, size: number): Uint8Array {
  const script = Buffer.alloc(size - 60, 0x6a);
  const head = Buffer.alloc(4 + 1 + 32 + 4 + 1 + 4 + 1 + 8);
  let o = head.writeUInt32LE(2, 0);
  head[o++] = 1;
  head.writeUInt32LE(tag, o); // previous txid: unique per tag
  o += 32;
  o = head.writeUInt32LE(0, o);
  head[o++] = 0;
  o = head.writeUInt32LE(0xffffffff, o);
  head[o++] = 1;
  head.writeBigUInt64LE(1000n, o);
  const len = Buffer.from([0xfd, script.length & 0xff, script.length >> 8]);
  return new Uint8Array(Buffer.concat([head, len, script, Buffer.alloc(4)]));
}
