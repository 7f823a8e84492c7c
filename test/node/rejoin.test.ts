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
  it('rejoins previously connected peers after a restart, but not after a leave', async () => {
    const a = await startNode();
    const dataDir = mkdtempSync(join(tmpdir(), 'wr-rejoin-'));
    let b = await startNode({ dataDir });
    b.connect(a.listenAddress!);
    await eventually(() => outboundTo(b, a.listenAddress!), 'b dials a');
    await b.stop(); // a shutdown is not a leave
    expect(readFileSync(join(dataDir, 'membership.snapshot'), 'utf8')).toContain(`alive: ${a.listenAddress}`);

    logged.length = 0;
    b = await startNode({ dataDir });
    expect(logged.some((l) => l.includes('rejoining previous peer') && l.includes(a.listenAddress!))).toBe(true);
    await eventually(() => outboundTo(b, a.listenAddress!), 'b rejoins a after a restart');

    await b.leave();
    await b.whenStopped();
    expect(readFileSync(join(dataDir, 'membership.snapshot'), 'utf8')).toMatch(/^leave$/m);
    logged.length = 0;
    b = await startNode({ dataDir });
    // Rejoin dials are decided (and logged) inside start(): after a leave, there are none.
    expect(logged.some((l) => l.includes('relay started'))).toBe(true);
    expect(logged.filter((l) => l.includes('rejoining previous peer'))).toEqual([]);
    expect(outboundTo(b, a.listenAddress!)).toBe(false);
  });
});
