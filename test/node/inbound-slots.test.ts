/**
 * The inbound slot policy in the accept path, over real sockets: the per-address limit refuses
 * (logged at info), a full node evicts the youngest peer of the most crowded group for a
 * newcomer, and payload decode errors reach wirerelay_frame_errors_total.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { createRelay } from '../../src/node/relay-node.js';
import type { RelayNode } from '../../src/node/relay-node.js';
import type { RelayOptions } from '../../src/node/config.js';
import { Logger } from '../../src/log.js';
import { FrameScanner } from '../../src/wasm/frame-scanner.js';
import { NETWORKS } from '../../src/wire/constants.js';
import { RawPeer, eventually } from '../helpers/raw-peer.js';

const nodes: RelayNode[] = [];
const peers: RawPeer[] = [];
afterEach(async () => {
  for (const p of peers.splice(0)) p.close();
  for (const n of nodes.splice(0)) await n.stop();
});

async function start(opts: RelayOptions): Promise<{ node: RelayNode; port: number; lines: string[] }> {
  const lines: string[] = [];
  const node = createRelay({ listen: '127.0.0.1:0', http: null, workers: 0, targetOutbound: 0, ...opts }, { logger: new Logger('info', (l) => lines.push(l)) });
  await node.start();
  nodes.push(node);
  return { node, port: Number(node.listenAddress!.split(':')[1]), lines };
}

async function open(port: number, ip: string): Promise<RawPeer> {
  const p = await RawPeer.open(port, ip);
  peers.push(p);
  return p;
}

describe('inbound slots in the accept path', () => {
  it('refuses an address over its limit, with an info line that names the reason', async () => {
    const { node, port, lines } = await start({ maxInbound: 8, maxInboundPerAddress: 2 });
    const a = await open(port, '127.0.0.41');
    const b = await open(port, '127.0.0.41');
    await eventually(() => node.peers().length === 2, 'two accepted');
    const c = await open(port, '127.0.0.41');
    await c.until(() => c.closed, 'third from one address refused');
    expect(a.closed || b.closed).toBe(false);
    const refused = lines.filter((l) => l.includes('"refused inbound peer"'));
    expect(refused).toHaveLength(1);
    expect(refused[0]).toMatch(/"level":30,.*"reason":"per_address"/);
    // Another address still gets in.
    const d = await open(port, '127.0.0.42');
    await d.handshake();
  });

  it('when full of established peers, evicts the youngest of the most crowded group for a newcomer', async () => {
    const { node, port } = await start({ maxInbound: 4 });
    const established = async (ip: string): Promise<RawPeer> => {
      const p = await open(port, ip);
      await p.handshake();
      await eventually(() => node.peers().filter((x) => x.state === 'established').length === peers.length, `${ip} established`);
      return p;
    };
    const disconnects: Array<[string, string]> = [];
    node.on('peerDisconnect', (info, reason) => disconnects.push([info.addr, reason]));
    const older = await established('127.0.0.51');
    const younger = await established('127.0.0.51');
    const youngerAddr = `127.0.0.51:${younger.socket.localPort}`;
    const other1 = await established('127.0.0.52');
    const other2 = await established('127.0.0.53');
    const newcomer = await open(port, '127.0.0.56');
    await newcomer.handshake();
    await younger.until(() => younger.closed, 'the youngest of the crowded group evicted');
    expect(disconnects).toEqual([[youngerAddr, 'evicted']]);
    expect([older, other1, other2].some((p) => p.closed)).toBe(false);
  });

  it('counts payload decode errors in wirerelay_frame_errors_total', async () => {
    const { node, port } = await start({});
    const p = await open(port, '127.0.0.61');
    await p.handshake();
    // A checksummed ping whose payload is 3 bytes: frames fine, does not decode.
    p.write(new FrameScanner().encodeFrame(NETWORKS.regtest.magic, 'ping', new Uint8Array(3)));
    await eventually(async () => /wirerelay_frame_errors_total\{code="ERR_PAYLOAD_[A-Z_]+"\} [1-9]/.test(await node.metricsText()), 'payload error counted');
  });
});
