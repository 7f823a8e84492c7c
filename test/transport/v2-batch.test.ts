/**
 * What a v2 transport hands across the seam: batches of v1 frames whose records (command id,
 * status, digest) are built from the decrypted messages without a second scan. Checked against
 * the v1 path — the same frames, scanned and verified by FrameScanner — and against node:crypto.
 */
import { createHash, randomBytes } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import type { RelayError } from '../../src/errors.js';
import { FrameVerifier } from '../../src/framing/frame-verifier.js';
import type { Transport, TransportSink } from '../../src/transport/transport.js';
import { V2Session, type V2Message } from '../../src/transport/v2/session.js';
import { V2Transport } from '../../src/transport/v2/transport.js';
import { commandOfId } from '../../src/wire/v2-message-types.js';
import { FrameScanner } from '../../src/wasm/frame-scanner.js';
import { Status } from '../../src/wasm/status.js';
import { commandId, MAX_PAYLOAD, readCommand } from '../../src/wire/constants.js';
import { REGTEST } from '../helpers/raw-peer.js';

const scanner = new FrameScanner();

interface Frame {
  bytes: Uint8Array;
  commandId: number;
  status: number;
  digest: Uint8Array;
}

/** A v2 initiator (V2Session) wired in memory to an inbound V2Transport; the sink keeps copies. */
function pair(): { client: V2Session; transport: Transport; frames: Frame[]; errors: { err: RelayError; fatal: boolean }[] } {
  const frames: Frame[] = [];
  const errors: { err: RelayError; fatal: boolean }[] = [];
  const client = new V2Session({ initiating: true, magic: REGTEST });
  const toClient: Uint8Array[] = [];
  const sink: TransportSink = {
    onBatch: (b) => {
      for (let i = b.first; i < b.end; i++) {
        const off = b.records.offset(i);
        frames.push({
          bytes: b.bytes.slice(off, off + 24 + b.records.payloadLength(i)),
          commandId: b.records.commandId(i),
          status: b.records.status(i),
          digest: b.records.digest(i),
        });
      }
    },
    onError: (err, fatal) => errors.push({ err, fatal }),
    onReady: () => {},
    writeRaw: (bytes) => toClient.push(bytes),
  };
  const transport = new V2Transport(
    { magic: REGTEST, verifier: new FrameVerifier(undefined), direction: 'inbound', addr: '127.0.0.1:1', sink },
    { acceptV1: true },
  );
  transport.start();
  transport.receive(client.start()!);
  // Exchange handshake bytes until both sides are quiet.
  while (toClient.length > 0) {
    const out = client.receive(toClient.shift()!);
    if (out.send !== undefined) transport.receive(out.send);
  }
  expect(client.established || client.sessionId !== undefined).toBe(true);
  return { client, transport, frames, errors };
}

const hash256 = (b: Uint8Array): Buffer => createHash('sha256').update(createHash('sha256').update(b).digest()).digest();

describe('v2 receive: frame batches built from the decrypted messages', () => {
  it('records carry the command id, status and payload digest the v1 scan gives the same frames', () => {
    const { client, transport, frames, errors } = pair();
    const messages: V2Message[] = [
      { command: 'ping', payload: randomBytes(8) },
      { command: 'tx', payload: randomBytes(250) },
      { command: 'frobnicate', payload: randomBytes(40) }, // unknown, long form
      { command: 'tx', payload: randomBytes(5000) }, // ≥ the native-hash threshold
      { command: 'verack', payload: new Uint8Array(0) },
      { command: 'inv', payload: randomBytes(37) },
    ];
    transport.receive(client.send(messages)!);
    expect(errors).toEqual([]);
    expect(frames.map((f) => f.commandId)).toEqual([commandId('ping'), commandId('tx'), 0, commandId('tx'), commandId('verack'), commandId('inv')]);
    expect(frames.map((f) => f.status)).toEqual([Status.OK, Status.OK, Status.UNKNOWN_COMMAND, Status.OK, Status.OK, Status.OK]);
    for (let i = 0; i < messages.length; i++) {
      const m = messages[i]!;
      // The bytes are the v1 frame a v1 peer would send for the message, checksum included.
      expect(Buffer.from(frames[i]!.bytes).equals(Buffer.from(scanner.encodeFrame(REGTEST, m.command, m.payload)))).toBe(true);
      if (frames[i]!.status === Status.OK) expect(Buffer.from(frames[i]!.digest).equals(hash256(m.payload))).toBe(true);
    }
    // The v1 scan of the same bytes agrees record for record.
    const all = Buffer.concat(frames.map((f) => f.bytes));
    const scanned = scanner.scan(all, REGTEST);
    expect(scanned.count).toBe(messages.length);
    for (let i = 0; i < messages.length; i++) {
      expect(scanned.records.status(i)).toBe(frames[i]!.status);
      expect(scanned.records.commandId(i)).toBe(frames[i]!.commandId);
      if (frames[i]!.status === Status.OK) expect(Buffer.from(scanned.records.digest(i)).equals(Buffer.from(frames[i]!.digest))).toBe(true);
    }
  });

  it('a payload over its command cap is the v1 scan\'s fatal ERR_FRAME_COMMAND_OVERSIZE; earlier messages arrive, later ones never', () => {
    const { client, transport, frames, errors } = pair();
    const tooBig = { command: 'ping', payload: randomBytes(MAX_PAYLOAD.ping + 1) };
    transport.receive(client.send([{ command: 'pong', payload: randomBytes(8) }, tooBig, { command: 'ping', payload: randomBytes(8) }])!);
    expect(frames.map((f) => f.commandId)).toEqual([commandId('pong')]);
    expect(errors).toHaveLength(1);
    expect(errors[0]!.fatal).toBe(true);
    // The same frame on v1 fails the same way.
    const v1 = scanner.scan(scanner.encodeFrame(REGTEST, tooBig.command, tooBig.payload), REGTEST);
    expect(v1.records.status(0)).toBe(Status.COMMAND_OVERSIZE);
    expect(errors[0]!.err.code).toBe('ERR_FRAME_COMMAND_OVERSIZE');
    transport.receive(client.send([{ command: 'ping', payload: randomBytes(8) }])!);
    expect(frames).toHaveLength(1);
    expect(errors).toHaveLength(1);
  });

  it('batches of many small messages, across reads split at every packet boundary', () => {
    const { client, transport, frames, errors } = pair();
    const messages: V2Message[] = Array.from({ length: 300 }, (_, i) => ({ command: i % 3 === 0 ? 'tx' : 'inv', payload: randomBytes(1 + ((i * 37) % 400)) }));
    const wire = client.send(messages)!;
    for (let at = 0; at < wire.length; at += 1000) transport.receive(wire.subarray(at, Math.min(wire.length, at + 1000)));
    expect(errors).toEqual([]);
    expect(frames).toHaveLength(messages.length);
    for (let i = 0; i < messages.length; i++) {
      expect(frames[i]!.commandId).toBe(commandId(messages[i]!.command));
      expect(Buffer.from(frames[i]!.digest).equals(hash256(messages[i]!.payload))).toBe(true);
    }
  });

  it('every BIP324 short id arrives as its command (the WASM type table matches message-types.ts)', () => {
    const asSource = readFileSync(new URL('../../assembly/v2frames.ts', import.meta.url), 'utf8');
    const table = new Map([...asSource.matchAll(/^typeName\((\d+), '([a-z0-9]+)'\);/gm)].map((m) => [Number(m[1]), m[2]!]));
    const ids: number[] = [];
    for (let id = 1; commandOfId(id) !== undefined; id++) ids.push(id);
    expect(ids.length).toBeGreaterThanOrEqual(28);
    expect([...table.keys()]).toEqual(ids);
    for (const id of ids) expect(table.get(id), `id ${id}`).toBe(commandOfId(id));

    const { client, transport, frames, errors } = pair();
    transport.receive(client.send(ids.map((id) => ({ command: commandOfId(id)!, payload: new Uint8Array(0) })))!);
    expect(errors).toEqual([]);
    expect(frames.map((f) => readCommand(f.bytes, 0))).toEqual(ids.map((id) => commandOfId(id)));
  });

  it('packets node:crypto opens (a decoy, a long-form command, a short id) land whole in their frames, between small ones', () => {
    const sent: V2Message[] = [
      { command: 'tx', payload: randomBytes(300) },
      { command: 'frobnicate', payload: randomBytes(9000) }, // long form, opened natively
      { command: 'tx', payload: randomBytes(20) },
      { command: 'block', payload: randomBytes(70000) }, // short id, opened natively
    ];
    // One read (several runs in it, each ending at a natively opened packet), then odd splits.
    for (const piece of [Infinity, 4093]) {
      const { client, transport, frames, errors } = pair();
      const wire = Buffer.concat([client.sendDecoy(9000)!, client.send(sent.slice(0, 2))!, client.sendDecoy(5000)!, client.send(sent.slice(2))!]);
      for (let at = 0; at < wire.length; at += piece) transport.receive(wire.subarray(at, Math.min(wire.length, at + piece)));
      expect(errors).toEqual([]);
      expect(frames).toHaveLength(sent.length);
      for (let i = 0; i < sent.length; i++) {
        expect(readCommand(frames[i]!.bytes, 0)).toBe(sent[i]!.command);
        expect(Buffer.from(frames[i]!.bytes).equals(Buffer.from(scanner.encodeFrame(REGTEST, sent[i]!.command, sent[i]!.payload)))).toBe(true);
      }
      expect(Buffer.from(frames[3]!.digest).equals(hash256(sent[3]!.payload))).toBe(true);
    }
  });

  it('a session made without frame records hands up the same frames with zero checksums and no records', () => {
    const plain = new V2Session({ initiating: true, magic: REGTEST, frameRecords: false });
    const node = new V2Session({ initiating: false, magic: REGTEST });
    let toNode = plain.start();
    while (!plain.established && toNode !== undefined) {
      const back = node.receive(toNode).send;
      toNode = back === undefined ? undefined : plain.receive(back).send;
      if (toNode !== undefined) node.receive(toNode);
    }
    expect(plain.established).toBe(true);
    const sent: V2Message[] = [
      { command: 'tx', payload: randomBytes(250) },
      { command: 'verack', payload: randomBytes(3) }, // over its cap: no caps are applied here
      { command: 'block', payload: randomBytes(20000) }, // opened natively
    ];
    const out = plain.receive(node.send(sent)!);
    expect(out.error).toBeUndefined();
    const bytes = Buffer.concat(out.runs.map((r) => r.bytes));
    expect(out.runs.every((r) => r.records.count === 0)).toBe(true);
    const expected = Buffer.concat(sent.map((m) => {
      const f = Buffer.from(scanner.encodeFrame(REGTEST, m.command, m.payload));
      f.fill(0, 20, 24);
      return f;
    }));
    expect(bytes.equals(expected)).toBe(true);
  });
});
