/**
 * Test readers of the v2 receive path's outputs: a V2Session's runs of v1 frames as messages, and
 * the packets one PacketCipher.open decrypted in WASM memory as headers and contents.
 */
import type { V2Message, V2Output } from '../../src/transport/v2/session.js';
import { HEADER_SIZE, readCommand } from '../../src/wire/constants.js';
import type { OpenResult, PacketCipher } from '../../src/wasm/v2-cipher.js';

export function messagesOf(out: Pick<V2Output, 'runs'>): V2Message[] {
  const got: V2Message[] = [];
  for (const { bytes, records } of out.runs) {
    for (let i = 0; i < records.count; i++) {
      const at = records.offset(i);
      const start = at + HEADER_SIZE;
      // A copy as a plain Uint8Array, so it compares equal to what a test sent.
      got.push({ command: readCommand(bytes, at), payload: Uint8Array.from(bytes.subarray(start, start + records.payloadLength(i))) });
    }
  }
  return got;
}

/** PacketCipher.open with every opened packet copied out of WASM memory: headers and contents. */
export function openPackets(cipher: PacketCipher, bytes: Uint8Array, aad?: Uint8Array): OpenResult & { headers: number[]; contents: Uint8Array[] } {
  const headers: number[] = [];
  const contents: Uint8Array[] = [];
  const r = cipher.open(bytes, aad, (count, _last, absent) => {
    const x = cipher.wasm.exports;
    const u8 = cipher.wasm.mem.u8();
    const input = x.inputPtr() >>> 0;
    const rec = new Uint32Array(x.memory.buffer, x.resultsPtr() >>> 0, count * 4);
    for (let i = 0; i < count; i++) {
      const at = input + rec[i * 4]!;
      headers.push(rec[i * 4 + 2]!);
      // A packet node:crypto opened (always a run's last) keeps its contents in `absent`.
      if (absent !== undefined && i === count - 1) contents.push(absent.slice(1));
      else contents.push(u8.slice(at + 1, at + 1 + rec[i * 4 + 1]!));
    }
  });
  return { ...r, headers, contents };
}
