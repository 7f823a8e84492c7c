/**
 * The membership snapshot and the rejoin plan at node level (issue 23): a restart puts the peers
 * it had dialled back into the address table instead of re-dialling them all (only anchors are
 * dialled first, test/conn/feature-anchors.test.ts); a leave is recorded.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createRelay } from '../../src/node/relay-node.js';
import type { RelayNode } from '../../src/node/relay-node.js';
import type { RelayOptions } from '../../src/node/config.js';
import { Logger } from '../../src/log.js';
import { eventually } from '../helpers/raw-peer.js';

const nodes: RelayNode[] = [];
/** Log lines of the nodes started with a recorder (start() decides and logs every rejoin). */
const logged: string[] = [];
const recorder = new Logger('info', (line) => void logged.push(line));
async function startNode(opts: RelayOptions = {}): Promise<RelayNode> {
  const node = createRelay({ listen: '127.0.0.1:0', http: null, logLevel: 'silent', workers: 0, targetOutbound: 0, ...opts }, { logger: recorder });
  nodes.push(node);
  await node.start();
  return node;
}
afterEach(async () => {
  await Promise.all(nodes.splice(0).map((n) => n.stop()));
});

const outboundTo = (n: RelayNode, addr: string) => n.peers().some((p) => p.addr === addr && p.direction === 'outbound' && p.state === 'established');

describe('membership snapshot in the node', () => {
  it('a restart does not re-dial previous full-relay peers wholesale: they go back through normal selection (Core), and a leave is recorded', async () => {
    const a = await startNode();
    const dataDir = mkdtempSync(join(tmpdir(), 'wr-rejoin-'));
    let b = await startNode({ dataDir });
    b.connect(a.listenAddress!);
    await eventually(() => outboundTo(b, a.listenAddress!), 'b dials a');
    await b.stop(); // a shutdown is not a leave
    expect(readFileSync(join(dataDir, 'membership.snapshot'), 'utf8')).toContain(`alive: ${a.listenAddress}`);

    // With no automatic slots, nothing is dialled: the previous peer is only back in the address table.
    logged.length = 0;
    b = await startNode({ dataDir });
    expect(logged.some((l) => l.includes('relay started'))).toBe(true);
    expect(b.peers()).toEqual([]);
    expect(b.status().addresses.new + b.status().addresses.tried).toBeGreaterThanOrEqual(1);
    await b.stop();

    // With an automatic slot, normal selection finds it there.
    b = await startNode({ dataDir, targetOutbound: 1 });
    await eventually(() => outboundTo(b, a.listenAddress!), 'b selects a again through the address table');

    await b.leave();
    await b.whenStopped();
    expect(readFileSync(join(dataDir, 'membership.snapshot'), 'utf8')).toMatch(/^leave$/m);
  });
});
