import { describe, expect, it } from 'vitest';
import { randomBytes } from 'node:crypto';
import { inspectStream } from '../../src/inspect/inspect-stream.js';
import { run } from '../../src/cli/commands/inspect.js';
import { FrameScanner } from '../../src/wasm/frame-scanner.js';
import { encodePayload } from '../../src/wire/codec.js';
import { NETWORKS, PROTOCOL_VERSION } from '../../src/wire/constants.js';
import { writeFileSync, mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

const scanner = new FrameScanner();
const magic = NETWORKS.mainnet.magic;
const f = (command: string, payload: Uint8Array) => Buffer.from(scanner.encodeFrame(magic, command, payload));

// Mainnet genesis block header (80 bytes), whose hash is the well-known 000000000019d6…e26f.
const GENESIS_HEADER = Buffer.from(
  '0100000000000000000000000000000000000000000000000000000000000000000000003ba3edfd7a7b12b27ac72c3e67768f617fc81bc3888a51323a9fb8aa4b1e5e4a29ab5f49ffff001d1dac2b7c',
  'hex',
);

describe('inspect', () => {
  it('prints one record per frame with decoded fields, ids in display order and 64-bit values as strings', () => {
    const stream = Buffer.concat([
      f('verack', new Uint8Array(0)),
      f('ping', encodePayload({ command: 'ping', nonce: 0xffff_ffff_ffff_fffen }, PROTOCOL_VERSION)),
    ]);
    // headers with one entry: count 1, the header, its tx count 0
    const headers = f('headers', Buffer.concat([Buffer.from([1]), GENESIS_HEADER, Buffer.from([0])]));
    const recs = [...inspectStream(new Uint8Array(Buffer.concat([stream, headers])), magic)];
    expect(recs[0]).toEqual({ offset: 0, command: 'verack', length: 0, checksumOk: true, message: { command: 'verack' } });
    expect(recs[1]!.message).toEqual({ command: 'ping', nonce: '18446744073709551614' });
    const hdr = recs[2]!.message as { headers: Array<{ hash: string }> };
    expect(hdr.headers[0]!.hash).toBe('000000000019d6689c085ae165831e934ff763ae46a2a6c172b3f1b60a8ce26f');
  });

  it('reports a bad checksum and a payload error, then carries on', () => {
    const bad = f('ping', new Uint8Array(8));
    bad[20] ^= 1;
    const malformed = f('inv', new Uint8Array([2, 1, 0, 0, 0])); // claims 2 entries, has 4 bytes
    const recs = [...inspectStream(new Uint8Array(Buffer.concat([bad, malformed, f('verack', new Uint8Array(0))])), magic)];
    expect(recs.map((r) => r.error?.code ?? r.command)).toEqual(['ERR_FRAME_BAD_CHECKSUM', 'ERR_PAYLOAD_TRUNCATED', 'verack']);
    expect(recs[0]!.checksumOk).toBe(false);
  });

  it('resynchronises on the next magic after garbage and reports a truncated tail', () => {
    const stream = Buffer.concat([f('verack', new Uint8Array(0)), randomBytes(100).fill(0x41), f('verack', new Uint8Array(0)), f('ping', new Uint8Array(8)).subarray(0, 30)]);
    const recs = [...inspectStream(new Uint8Array(stream), magic)];
    expect(recs.map((r) => r.error?.code ?? r.command)).toEqual(['verack', 'ERR_FRAME_OVERSIZE', 'verack', 'ERR_PAYLOAD_TRUNCATED']);
    expect(recs[2]!.offset).toBe(124);
  });

  it('never throws on random input', () => {
    for (let i = 0; i < 200; i++) {
      const junk = randomBytes(1 + (i * 37) % 3000);
      if (i % 3 === 0) Buffer.from([0xf9, 0xbe, 0xb4, 0xd9]).copy(junk, 0);
      expect(() => [...inspectStream(new Uint8Array(junk), magic)]).not.toThrow();
    }
  });

  it('runs as a command on a hex file and exits 1 when the capture has bad frames', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'wr-inspect-'));
    const file = join(dir, 'cap.hex');
    writeFileSync(file, f('verack', new Uint8Array(0)).toString('hex') + '\n' + 'deadbeef'.repeat(8));
    let out = '';
    const code = await run([file, '--hex'], (s) => (out += s));
    const lines = out.trim().split('\n').map((l) => JSON.parse(l));
    expect(lines[0]).toMatchObject({ offset: 0, command: 'verack', checksumOk: true });
    // deadbeef… read as a header: its length field is checked first, and is far over 4 MB.
    expect(lines[1].error.code).toBe('ERR_FRAME_OVERSIZE');
    expect(code).toBe(1);
  });
});
