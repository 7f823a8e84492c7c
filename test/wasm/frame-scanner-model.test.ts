// FrameScanner against a plain TS model of docs/wasm-abi.md "Framing" on random streams: valid,
// corrupted and truncated frames, small and large (so both staging paths and both checksum paths
// run), with random nativeHashMin.
import { createHash } from 'node:crypto';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { COMMANDS, MAX_PAYLOAD, NETWORKS, commandId } from '../../src/wire/constants.js';
import { FrameScanner } from '../../src/wasm/frame-scanner.js';
import { loadWasm } from '../../src/wasm/loader.js';
import { Status } from '../../src/wasm/status.js';

const MAGIC = NETWORKS.mainnet.magic;
const dsha = (b: Uint8Array): Buffer => createHash('sha256').update(createHash('sha256').update(b).digest()).digest();

interface Model {
  records: number[][];
  consumed: number;
  need: number;
}

/** The ABI's framing rules, written out directly. */
function model(bytes: Buffer, magic: number): Model {
  const records: number[][] = [];
  let pos = 0;
  let need = 0;
  while (bytes.length - pos >= 24) {
    const length = bytes.readUInt32LE(pos + 16);
    if (length > 4_000_000) {
      records.push([pos, length, 0, Status.OVERSIZE]);
      pos += 24;
      break;
    }
    if (bytes.readUInt32LE(pos) !== magic >>> 0) {
      records.push([pos, length, 0, Status.BAD_MAGIC]);
      pos += 24;
      break;
    }
    const cmd = bytes.subarray(pos + 4, pos + 16);
    const nul = cmd.indexOf(0);
    const chars = nul < 0 ? cmd : cmd.subarray(0, nul);
    const bad = chars.some((c) => c < 0x20 || c > 0x7e) || (nul >= 0 && cmd.subarray(nul).some((c) => c !== 0));
    const id = bad ? 0 : commandId(chars.toString('latin1'));
    if (!bad && id !== 0 && length > MAX_PAYLOAD[COMMANDS[id - 1]!]) {
      records.push([pos, length, id, Status.COMMAND_OVERSIZE]);
      pos += 24;
      break;
    }
    if (bytes.length - pos < 24 + length) {
      need = 24 + length;
      break;
    }
    let status: number;
    if (bad) status = Status.BAD_COMMAND;
    else if (id === 0) status = Status.UNKNOWN_COMMAND;
    else status = dsha(bytes.subarray(pos + 24, pos + 24 + length)).readUInt32LE(0) === bytes.readUInt32LE(pos + 20) ? Status.OK : Status.BAD_CHECKSUM;
    records.push([pos, length, id, status]);
    pos += 24 + length;
  }
  return { records, consumed: pos, need };
}

const commandArb = fc.oneof(
  { weight: 6, arbitrary: fc.constantFrom('ping', 'inv', 'tx', 'block', 'verack', 'headers', 'getdata') },
  { weight: 1, arbitrary: fc.constantFrom('filterload', 'abcdefghijkl', '') },
  { weight: 1, arbitrary: fc.uint8Array({ minLength: 12, maxLength: 12 }) },
);

const frameArb = fc.record({
  command: commandArb,
  length: fc.oneof({ weight: 8, arbitrary: fc.nat(600) }, { weight: 1, arbitrary: fc.integer({ min: 100_000, max: 300_000 }) }),
  corrupt: fc.constantFrom('none', 'none', 'none', 'none', 'checksum', 'magic', 'length', 'oversize'),
  seed: fc.nat(255),
});

interface FrameSpec {
  command: string | Uint8Array;
  length: number;
  corrupt: string;
  seed: number;
}

function build(f: FrameSpec): Buffer {
  const payload = Buffer.alloc(f.length, f.seed);
  const out = Buffer.alloc(24 + f.length);
  out.writeUInt32LE(f.corrupt === 'magic' ? 0x0709110b : MAGIC >>> 0, 0);
  if (typeof f.command === 'string') out.write(f.command, 4, 'latin1');
  else out.set(f.command, 4);
  const claimed = f.corrupt === 'length' ? f.length + 1 + f.seed : f.corrupt === 'oversize' ? 4_000_001 + f.seed : f.length;
  out.writeUInt32LE(claimed, 16);
  out.writeUInt32LE(f.corrupt === 'checksum' ? (dsha(payload).readUInt32LE(0) ^ 1) >>> 0 : dsha(payload).readUInt32LE(0), 20);
  payload.copy(out, 24);
  return out;
}

describe('FrameScanner vs model', () => {
  const wasm = loadWasm();
  it('agrees on random streams', () => {
    let large = 0;
    fc.assert(
      fc.property(
        fc.array(frameArb, { maxLength: 12 }),
        fc.nat(100),
        fc.constantFrom(0, 64, 256, 2048, 0xffffffff),
        (frames, cut, nativeHashMin) => {
          const whole = Buffer.concat(frames.map(build));
          const bytes = whole.subarray(0, Math.max(0, whole.length - cut));
          if (bytes.length >= 256 * 1024) large++;
          const scanner = new FrameScanner({ wasm, nativeHashMin });
          const r = scanner.scan(bytes, MAGIC);
          const got = r.records.toArray();
          expect({ records: got, consumed: r.consumed, need: r.need }).toEqual(model(bytes, MAGIC));
        },
      ),
      { numRuns: 300, seed: 424242 },
    );
    // Inputs of 256 KiB and more take the sparse staging path: make sure some did.
    expect(large).toBeGreaterThan(5);
  });
});
