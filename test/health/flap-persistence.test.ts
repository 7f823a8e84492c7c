/**
 * Flap counts across a restart, through the node's own path: the node records an outbound peer
 * going online and offline in its HealthStore, commits the counts to the state log at stop, and
 * imports them from the log at start.
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { createRelay, type RelayNode } from '../../src/node/relay-node.js';
import type { RelayOptions } from '../../src/node/config.js';
import { eventually } from '../helpers/raw-peer.js';

const nodes: RelayNode[] = [];
const dirs: string[] = [];
async function startNode(opts: RelayOptions = {}): Promise<RelayNode> {
  const node = createRelay({ listen: '127.0.0.1:0', http: null, logLevel: 'silent', workers: 0, targetOutbound: 0, ...opts });
  nodes.push(node);
  await node.start();
  return node;
}
afterEach(async () => {
  await Promise.all(nodes.splice(0).map((n) => n.stop()));
  await Promise.all(dirs.splice(0).map((d) => rm(d, { recursive: true, force: true })));
});

const outboundTo = (n: RelayNode, addr: string) => n.peers().some((p) => p.addr === addr && p.direction === 'outbound' && p.state === 'established');

describe('flap state across a restart', () => {
  it('keeps the flap count and tier of a peer the node dialled', async () => {
    const a = await startNode();
    const target = a.listenAddress!;
    const dataDir = await mkdtemp(join(tmpdir(), 'wirerelay-flaps-'));
    dirs.push(dataDir);
    let b = await startNode({ dataDir });
    for (let round = 0; round < 3; round++) {
      b.connect(target);
      await eventually(() => outboundTo(b, target), `b dials a (round ${round})`);
      expect(b.disconnect(target)).toBe(true);
      await eventually(() => !b.peers().some((p) => p.addr === target), `b drops a (round ${round})`);
    }
    const before = b.health(target);
    expect(before?.flapCount).toBeGreaterThan(0);
    // Nothing to rejoin: a's going keeps the restarted b from changing the counts by dialling it.
    for (const n of nodes.splice(0)) await n.stop();

    b = await startNode({ dataDir });
    expect(b.health(target)).toMatchObject({ flapCount: before!.flapCount, lastFlap: before!.lastFlap, tier: before!.tier });
  });

  it('starts without flap history in a fresh data directory', async () => {
    const dataDir = await mkdtemp(join(tmpdir(), 'wirerelay-flaps-'));
    dirs.push(dataDir);
    const b = await startNode({ dataDir });
    expect(b.health('127.0.0.1:8333')).toBeNull();
  });
});
