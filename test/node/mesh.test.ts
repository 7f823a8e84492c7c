/**
 * Three wirerelay instances as one relay mesh on loopback, with one of them a separate process that
 * is killed (-9) and restarted while traffic flows.
 */
import { afterAll, describe, expect, it } from 'vitest';
import { spawn } from 'node:child_process';
import type { ChildProcess } from 'node:child_process';
import { createServer } from 'node:net';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { createRelay } from '../../src/node/relay-node.js';
import type { RelayNode } from '../../src/node/relay-node.js';
import { RawPeer, eventually } from '../helpers/raw-peer.js';
import type { Message } from '../../src/wire/codec.js';

const bin = fileURLToPath(new URL('../../bin/wirerelay.js', import.meta.url));

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const s = createServer();
    s.once('error', reject);
    s.listen(0, '127.0.0.1', () => {
      const { port } = s.address() as { port: number };
      s.close(() => resolve(port));
    });
  });
}

function rawTx(tag: number): Uint8Array {
  const hex = '02000000' + '01' + tag.toString(16).padStart(8, '0').repeat(8) + '00000000' + '00' + 'ffffffff' + '01' + '50c3000000000000' + '0151' + '00000000';
  return new Uint8Array(Buffer.from(hex, 'hex'));
}

/** A raw local peer that fetches everything announced to it. */
async function sinkPeer(port: number, ip: string): Promise<RawPeer & { txs: () => number }> {
  const p = await RawPeer.open(port, ip);
  await p.handshake();
  let fetched = 0;
  const onData = (): void => {
    for (; fetched < p.received.length; fetched++) {
      const m = p.received[fetched]!;
      if (m.command === 'inv') p.send({ command: 'getdata', inventory: m.inventory } as Message);
    }
  };
  p.socket.on('data', () => setImmediate(onData));
  return Object.assign(p, { txs: () => p.received.filter((m) => m.command === 'tx').length });
}

const cleanup: Array<() => Promise<void> | void> = [];
afterAll(async () => {
  for (const f of cleanup.reverse()) await f();
});

describe('relay mesh', () => {
  it('spreads items to every instance once, never back into the mesh, and survives a killed instance', async () => {
    const [p1, p2, p3] = await Promise.all([freePort(), freePort(), freePort()]);
    const addr = (p: number) => `127.0.0.1:${p}`;
    // Mesh dials only: no automatic outbound, and nothing but loopback may be dialled.
    const common = {
      http: null, logLevel: 'silent' as const, workers: 0, trickleIntervalMs: 0, retryBaseMs: 200, retryMaxMs: 1000,
      targetOutbound: 0, onlynet: ['loopback' as const],
    };
    const m1: RelayNode = createRelay({ ...common, listen: addr(p1), mesh: [addr(p2), addr(p3)] });
    const m3: RelayNode = createRelay({ ...common, listen: addr(p3), mesh: [addr(p1), addr(p2)] });
    await m1.start();
    await m3.start();
    cleanup.push(() => m1.stop(), () => m3.stop());

    const dataDir = mkdtempSync(join(tmpdir(), 'wr-mesh-'));
    const startM2 = (): ChildProcess => {
      const child = spawn(
        process.execPath,
        [bin, 'start', '--listen', addr(p2), '--http', 'off', '--data-dir', dataDir, '--log-level', 'silent', '--workers', '0', '--trickle-ms', '0',
          '--retry-base-ms', '200', '--retry-max-ms', '1000', '--target-outbound', '0', '--onlynet', 'loopback',
          '--mesh', addr(p1), '--mesh', addr(p3)],
        { stdio: 'ignore' },
      );
      cleanup.push(() => {
        child.kill('SIGKILL');
      });
      return child;
    };
    let m2 = startM2();

    const meshLinks = (n: RelayNode, direction?: 'inbound' | 'outbound') =>
      n.peers().filter((p) => p.mesh && p.state === 'established' && (direction === undefined || p.direction === direction));
    // Each instance dials the other two and accepts their dials: 2 links out and 2 in, each.
    const meshUp = () => [m1, m3].every((n) => meshLinks(n, 'outbound').length === 2 && meshLinks(n, 'inbound').length === 2);
    await eventually(meshUp, 'mesh links up', 20_000);

    const source = await RawPeer.open(p1, '127.0.0.41');
    await source.handshake();
    const sink = await sinkPeer(p3, '127.0.0.43');
    cleanup.push(() => source.close(), () => sink.close());

    source.send({ command: 'tx', raw: rawTx(1) } as Message);
    await eventually(() => sink.txs() === 1, 'tx reaches the local peer of another instance');
    // M3 got it once (over M1's outbound link), and M3 never pushed it back into the mesh.
    const m1Flows = m1.flows(50, 'bytes');
    const toMesh = m1Flows.filter((f) => f.packetsMesh > 0);
    expect(toMesh.length).toBe(2); // source → M2 and source → M3
    expect(toMesh.every((f) => f.packetsMesh === 1)).toBe(true);
    expect(m3.flows(50, 'bytes').every((f) => f.packetsMesh === 0)).toBe(true);

    // Kill M2 hard while traffic flows, then bring it back: txs are sent before the kill, while M2
    // is dying, and while it restarts, each phase started by an event rather than a clock.
    const send = (from: number, to: number) => {
      for (let i = from; i <= to; i++) source.send({ command: 'tx', raw: rawTx(i) } as Message);
    };
    send(2, 10);
    await eventually(() => sink.txs() >= 5, 'traffic flows before the kill');
    m2.kill('SIGKILL');
    send(11, 25);
    await eventually(() => meshLinks(m1).length === 2, 'm1 notices m2 is gone');
    m2 = startM2();
    send(26, 40);
    await eventually(meshUp, 'mesh healed', 20_000);
    await eventually(() => sink.txs() === 40, 'every tx reached the sink');

    // Nothing stuck: no requests in flight, queues empty; counters consistent.
    for (const n of [m1, m3]) {
      expect(n.flowAudit()).toEqual([]);
      for (const p of n.peers()) expect(p.sendQueueBytes).toBe(0);
    }
    source.send({ command: 'tx', raw: rawTx(99) } as Message);
    await eventually(() => sink.txs() === 41, 'traffic still flows after the restart');
  });
});
