// scanFrames / scanConsumed / scanNeed / sealFrames at the ABI level (docs/wasm-abi.md).
import { RECORD_WORDS } from '../../src/wasm/frame-records.js';
import { createHash } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { COMMANDS, MAX_PAYLOAD, NETWORKS, commandId } from '../../src/wire/constants.js';
import { loadWasm, type WasmInstance } from '../../src/wasm/loader.js';
import { Status } from '../../src/wasm/status.js';

const MAINNET = NETWORKS.mainnet.magic;
const dsha = (b: Uint8Array): Buffer => createHash('sha256').update(createHash('sha256').update(b).digest()).digest();

interface FrameOpts {
  magic?: number;
  length?: number;
  checksum?: number;
  commandBytes?: Uint8Array;
}

/** A frame built independently of the code under test. */
function frame(command: string, payload: Uint8Array, opts: FrameOpts = {}): Uint8Array {
  const out = Buffer.alloc(24 + payload.length);
  out.writeUInt32LE((opts.magic ?? MAINNET) >>> 0, 0);
  if (opts.commandBytes) out.set(opts.commandBytes, 4);
  else out.write(command, 4, 'latin1');
  out.writeUInt32LE(opts.length ?? payload.length, 16);
  out.writeUInt32LE(opts.checksum ?? dsha(payload).readUInt32LE(0), 20);
  out.set(payload, 24);
  return out;
}

const cat = (...parts: Uint8Array[]): Uint8Array => Buffer.concat(parts);
const payload = (n: number, seed = 1): Uint8Array => Uint8Array.from({ length: n }, (_, i) => (i * 31 + seed) & 0xff);

interface Scan {
  records: [number, number, number, number][];
  consumed: number;
  need: number;
}

function scan(w: WasmInstance, bytes: Uint8Array, opts: { magic?: number; nativeHashMin?: number; maxResults?: number } = {}): Scan {
  const x = w.exports;
  const p = x.ensureInput(bytes.length) >>> 0;
  w.mem.u8().set(bytes, p);
  const n = x.scanFrames(bytes.length, opts.magic ?? MAINNET, opts.nativeHashMin ?? 0xffffffff, opts.maxResults ?? 0xffffffff) >>> 0;
  const r = x.resultsPtr() >>> 0;
  const u32 = w.mem.u32();
  const records: Scan['records'] = [];
  for (let i = 0; i < n; i++) {
    const b = (r >>> 2) + RECORD_WORDS * i;
    records.push([u32[b]!, u32[b + 1]!, u32[b + 2]!, u32[b + 3]!]);
  }
  return { records, consumed: x.scanConsumed() >>> 0, need: x.scanNeed() >>> 0 };
}

const cmdBytes = (...bytes: number[]): Uint8Array => {
  const b = new Uint8Array(12);
  b.set(bytes);
  return b;
};

for (const debug of [false, true]) {
  describe(`scanFrames (${debug ? 'debug' : 'release'})`, () => {
    const w = loadWasm({ debug });
    const ping = frame('ping', payload(8));

    // One named case per status code, each a single frame.
    const cases: { name: string; bytes: Uint8Array; want: Scan; nativeHashMin?: number }[] = [
      { name: 'OK: ping', bytes: ping, want: { records: [[0, 8, 3, Status.OK]], consumed: 32, need: 0 } },
      {
        name: 'OK: verack is exactly 24 bytes, checksum 5df6e0e2',
        bytes: frame('verack', new Uint8Array(0), { checksum: 0xe2e0f65d }),
        want: { records: [[0, 0, 2, Status.OK]], consumed: 24, need: 0 },
      },
      {
        name: 'UNKNOWN_COMMAND: checksum not checked',
        bytes: frame('filterload', payload(9), { checksum: 0 }),
        want: { records: [[0, 9, 0, Status.UNKNOWN_COMMAND]], consumed: 33, need: 0 },
      },
      {
        name: 'CHECKSUM_DEFERRED: payload >= nativeHashMin',
        bytes: frame('tx', payload(300)),
        nativeHashMin: 300,
        want: { records: [[0, 300, 12, Status.CHECKSUM_DEFERRED]], consumed: 324, need: 0 },
      },
      {
        name: 'BAD_CHECKSUM',
        bytes: frame('ping', payload(8), { checksum: 0x12345678 }),
        want: { records: [[0, 8, 3, Status.BAD_CHECKSUM]], consumed: 32, need: 0 },
      },
      {
        name: 'BAD_COMMAND: non-ASCII byte',
        bytes: frame('', payload(4), { commandBytes: cmdBytes(0x70, 0xe9, 0x6e, 0x67) }),
        want: { records: [[0, 4, 0, Status.BAD_COMMAND]], consumed: 28, need: 0 },
      },
      {
        name: 'BAD_COMMAND: byte after NUL',
        bytes: frame('', payload(8), { commandBytes: cmdBytes(0x70, 0x69, 0x6e, 0x67, 0, 0x78) }),
        want: { records: [[0, 8, 0, Status.BAD_COMMAND]], consumed: 32, need: 0 },
      },
      {
        name: 'BAD_COMMAND: control character',
        bytes: frame('', payload(1), { commandBytes: cmdBytes(0x69, 0x6e, 0x76, 0x0a) }),
        want: { records: [[0, 1, 0, Status.BAD_COMMAND]], consumed: 25, need: 0 },
      },
      {
        name: 'BAD_COMMAND: DEL (0x7f) in the last byte',
        bytes: frame('', payload(1), { commandBytes: cmdBytes(0x61, 0x61, 0x61, 0x61, 0x61, 0x61, 0x61, 0x61, 0x61, 0x61, 0x61, 0x7f) }),
        want: { records: [[0, 1, 0, Status.BAD_COMMAND]], consumed: 25, need: 0 },
      },
      {
        name: 'UNKNOWN_COMMAND: 12 printable characters, no NUL',
        bytes: frame('abcdefghijkl', payload(2)),
        want: { records: [[0, 2, 0, Status.UNKNOWN_COMMAND]], consumed: 26, need: 0 },
      },
      {
        name: 'OVERSIZE: length 4,000,001, on the header alone',
        bytes: frame('tx', new Uint8Array(0), { length: 4_000_001 }),
        want: { records: [[0, 4_000_001, 0, Status.OVERSIZE]], consumed: 24, need: 0 },
      },
      {
        name: 'OVERSIZE is checked before the magic',
        bytes: frame('tx', new Uint8Array(0), { length: 0xffffffff, magic: 0x01020304 }),
        want: { records: [[0, 0xffffffff, 0, Status.OVERSIZE]], consumed: 24, need: 0 },
      },
      {
        name: 'BAD_MAGIC: testnet3 frame on mainnet',
        bytes: frame('ping', payload(8), { magic: NETWORKS.testnet3.magic }),
        want: { records: [[0, 8, 0, Status.BAD_MAGIC]], consumed: 24, need: 0 },
      },
      {
        name: 'COMMAND_OVERSIZE: ping with 9 bytes, on the header alone',
        bytes: frame('ping', new Uint8Array(0), { length: 9 }),
        want: { records: [[0, 9, 3, Status.COMMAND_OVERSIZE]], consumed: 24, need: 0 },
      },
      {
        name: 'COMMAND_OVERSIZE: verack with 1 byte',
        bytes: frame('verack', payload(1)),
        want: { records: [[0, 1, 2, Status.COMMAND_OVERSIZE]], consumed: 24, need: 0 },
      },
    ];

    for (const c of cases) {
      it(c.name, () => {
        expect(scan(w, c.bytes, { nativeHashMin: c.nativeHashMin })).toEqual(c.want);
      });
    }

    it('several frames in one buffer, in wire order', () => {
      const inv = frame('inv', payload(37));
      const verack = frame('verack', new Uint8Array(0));
      const bad = frame('pong', payload(8), { checksum: 1 });
      const unknown = frame('filterload', payload(9));
      const bytes = cat(ping, inv, verack, bad, unknown, ping);
      expect(scan(w, bytes)).toEqual({
        records: [
          [0, 8, 3, Status.OK],
          [32, 37, 9, Status.OK],
          [93, 0, 2, Status.OK],
          [117, 8, 4, Status.BAD_CHECKSUM],
          [149, 9, 0, Status.UNKNOWN_COMMAND],
          [182, 8, 3, Status.OK],
        ],
        consumed: bytes.length,
        need: 0,
      });
    });

    it('many small frames: every checksum goes through the multi-buffer pass', () => {
      const frames: Uint8Array[] = [];
      const want: Scan['records'] = [];
      let at = 0;
      for (let i = 0; i < 1001; i++) {
        const len = (i * 37) % 400;
        const f = i % 7 === 3 ? frame('tx', payload(len, i), { checksum: i }) : frame('tx', payload(len, i));
        frames.push(f);
        want.push([at, len, 12, i % 7 === 3 ? Status.BAD_CHECKSUM : Status.OK]);
        at += f.length;
      }
      const bytes = cat(...frames);
      expect(scan(w, bytes)).toEqual({ records: want, consumed: bytes.length, need: 0 });
    });

    it('a tail with a complete header reports scanNeed', () => {
      const inv = frame('inv', payload(37));
      const bytes = cat(ping, inv.subarray(0, 30));
      expect(scan(w, bytes)).toEqual({ records: [[0, 8, 3, Status.OK]], consumed: 32, need: 61 });
    });

    it('a tail shorter than a header reports need 0', () => {
      const bytes = cat(ping, ping.subarray(0, 23));
      expect(scan(w, bytes)).toEqual({ records: [[0, 8, 3, Status.OK]], consumed: 32, need: 0 });
    });

    it('decode budget: a header claiming 4,000,000 bytes followed by nothing', () => {
      const before = w.exports.inputCapacity() >>> 0;
      const header = frame('tx', new Uint8Array(0), { length: 4_000_000 });
      expect(scan(w, header)).toEqual({ records: [], consumed: 0, need: 4_000_024 });
      expect(w.exports.inputCapacity() >>> 0).toBe(before);
    });

    it('a fatal status stops the scan: later frames are not reported', () => {
      const bytes = cat(ping, frame('ping', payload(8), { magic: 0 }), ping, ping);
      expect(scan(w, bytes)).toEqual({ records: [[0, 8, 3, Status.OK], [32, 8, 0, Status.BAD_MAGIC]], consumed: 56, need: 0 });
    });

    it('a fatal header is reported even when its payload is missing', () => {
      const bytes = cat(ping, frame('inv', new Uint8Array(0), { length: MAX_PAYLOAD.inv + 1 }));
      expect(scan(w, bytes)).toEqual({
        records: [[0, 8, 3, Status.OK], [32, MAX_PAYLOAD.inv + 1, 9, Status.COMMAND_OVERSIZE]],
        consumed: 56,
        need: 0,
      });
    });

    it('maxResults limits the records and consumed', () => {
      const bytes = cat(ping, ping, ping);
      expect(scan(w, bytes, { maxResults: 2 })).toEqual({ records: [[0, 8, 3, Status.OK], [32, 8, 3, Status.OK]], consumed: 64, need: 0 });
    });

    it('every network magic of btcd wire/protocol.go is accepted for its own frames only', () => {
      const wire: Record<string, string> = {
        mainnet: 'f9beb4d9',
        testnet3: '0b110907',
        testnet4: '1c163f28',
        regtest: 'fabfb5da',
        signet: '0a03cf40',
        simnet: '161c1412',
      };
      for (const [name, params] of Object.entries(NETWORKS)) {
        const f = frame('ping', payload(8), { magic: params.magic });
        expect(Buffer.from(f.subarray(0, 4)).toString('hex')).toBe(wire[name]);
        expect(scan(w, f, { magic: params.magic }).records).toEqual([[0, 8, 3, Status.OK]]);
        const other = name === 'mainnet' ? NETWORKS.testnet3.magic : MAINNET;
        expect(scan(w, f, { magic: other }).records).toEqual([[0, 8, 0, Status.BAD_MAGIC]]);
      }
    });

    describe('per-command caps mirror MAX_PAYLOAD', () => {
      for (const command of COMMANDS) {
        const cap = MAX_PAYLOAD[command];
        it(`${command}: ${cap} accepted, ${cap + 1} rejected`, () => {
          const id = commandId(command);
          const atCap = frame(command, new Uint8Array(0), { length: cap });
          const r = scan(w, atCap);
          if (cap === 0) expect(r.records).toEqual([[0, 0, id, Status.OK]]);
          else expect(r).toEqual({ records: [], consumed: 0, need: 24 + cap });
          if (cap < 4_000_000) {
            expect(scan(w, frame(command, new Uint8Array(0), { length: cap + 1 })).records).toEqual([
              [0, cap + 1, id, Status.COMMAND_OVERSIZE],
            ]);
          } else {
            expect(scan(w, frame(command, new Uint8Array(0), { length: cap + 1 })).records).toEqual([[0, cap + 1, 0, Status.OVERSIZE]]);
          }
        });
      }
    });
  });

  describe(`sealFrames (${debug ? 'debug' : 'release'})`, () => {
    const w = loadWasm({ debug });

    it('writes checksums of small frames and reports large ones as deferred', () => {
      const frames = [frame('ping', payload(8), { checksum: 0 }), frame('tx', payload(500), { checksum: 0 }), frame('verack', new Uint8Array(0), { checksum: 0 })];
      const bytes = cat(...frames);
      const p = w.exports.ensureInput(bytes.length) >>> 0;
      w.mem.u8().set(bytes, p);
      const n = w.exports.sealFrames(bytes.length, 500, 0xffffffff) >>> 0;
      expect(n).toBe(1);
      const r = w.exports.resultsPtr() >>> 2;
      expect(Array.from(w.mem.u32().subarray(r, r + 4))).toEqual([32, 500, 12, Status.CHECKSUM_DEFERRED]);
      const dv = w.mem.dv();
      expect(dv.getUint32(p + 20, true)).toBe(dsha(payload(8)).readUInt32LE(0));
      expect(dv.getUint32(p + 32 + 20, true)).toBe(0);
      expect(dv.getUint32(p + 32 + 524 + 20, true)).toBe(0xe2e0f65d);
    });
  });
}
