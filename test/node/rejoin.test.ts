/**
 * The membership snapshot at node level: a restarted node rejoins the peers it had dialled, and a
 * node that left does not.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createRelay } from '../../src/node/relay-node.js';
import type { RelayNode } from '../../src/node/relay-node.js';
import type { RelayOptions } from '../../src/node/config.js';
import { eventually } from '../helpers/raw-peer.js';

const nodes: RelayNode[] = [];
async function startNode(opts: RelayOptions = {}): Promise<RelayNode> {
  const node = createRelay({ listen: '127.0.0.1:0', http: null, logLevel: 'silent', workers: 0, targetOutbound: 0, ...opts });
  nodes.push(node);
  await node.start();
  return node;
}
afterEach(async () => {
  await Promise.all(nodes.splice(0).map((n) => n.stop()));
});

const outboundTo = (n: RelayNode, addr: string) => n.peers().some((p) => p.addr === addr && p.direction === 'outbound' && p.state === 'established');

describe('membership snapshot in the node', () => {
  it('rejoins previously connected peers after a restart, but not after a leave', async () => {
    const a = await startNode();
    const dataDir = mkdtempSync(join(tmpdir(), 'wr-rejoin-'));
    let b = await startNode({ dataDir });
    b.connect(a.listenAddress!);
    await eventually(() => outboundTo(b, a.listenAddress!), 'b dials a');
    await b.stop(); // a shutdown is not a leave
    expect(readFileSync(join(dataDir, 'membership.snapshot'), 'utf8')).toContain(`alive: ${a.listenAddress}`);

    b = await startNode({ dataDir });
    await eventually(() => outboundTo(b, a.listenAddress!), 'b rejoins a after a restart');

    await b.leave();
    await b.whenStopped();
    expect(readFileSync(join(dataDir, 'membership.snapshot'), 'utf8')).toMatch(/^leave$/m);
    b = await startNode({ dataDir });
    await new Promise((r) => setTimeout(r, 500));
    expect(outboundTo(b, a.listenAddress!)).toBe(false);
  });
});
