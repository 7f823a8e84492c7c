/**
 * `--mesh-dns NAME:PORT` over loopback: a mesh link to every A record of NAME (a Kubernetes
 * headless Service's shape), and the link dropped, never redialled, once the record is gone.
 * Resolved through a DNS server of the test's own on 127.0.0.1 (`--dns-server`).
 */
import { afterEach, describe, expect, it } from 'vitest';
import { createRelay } from '../../src/node/relay-node.js';
import type { RelayNode } from '../../src/node/relay-node.js';
import type { RelayOptions } from '../../src/node/config.js';
import { freePort } from '../../bench/load/procs.js';
import { startDnsServer } from '../helpers/dns-server.js';
import { eventually } from '../helpers/raw-peer.js';

const closers: Array<() => Promise<void>> = [];
afterEach(async () => {
  for (const c of closers.splice(0).reverse()) await c();
});

async function startNode(opts: RelayOptions): Promise<RelayNode> {
  const node = createRelay({ dataDir: null, logLevel: 'silent', workers: 0, targetOutbound: 0, ...opts });
  await node.start();
  closers.push(() => node.stop());
  return node;
}

const meshLinks = (n: RelayNode): string[] =>
  n.peers().filter((p) => p.direction === 'outbound' && p.mesh && p.state === 'established').map((p) => p.addr).sort();

describe('--mesh-dns', () => {
  it('links to every instance the name resolves to, and drops the link when its record goes', async () => {
    const port = await freePort();
    await startNode({ listen: `127.0.0.2:${port}` });
    await startNode({ listen: `127.0.0.3:${port}` });
    const records = new Map<string, string[]>([['mesh.test', ['127.0.0.2', '127.0.0.3']]]);
    const dns = await startDnsServer(records);
    closers.push(() => dns.close());
    const a = await startNode({ listen: '127.0.0.1:0', meshDns: `mesh.test:${port}`, dnsServer: dns.addr, meshDnsIntervalMs: 200 });
    await eventually(() => meshLinks(a).length === 2, 'mesh links to both instances');
    expect(meshLinks(a)).toEqual([`127.0.0.2:${port}`, `127.0.0.3:${port}`]);

    records.set('mesh.test', ['127.0.0.2']);
    await eventually(() => !a.peers().some((p) => p.addr === `127.0.0.3:${port}`), 'the link to the instance that left DNS dropped');
    // Later resolutions come and go, and the dropped instance is not dialled again.
    const asked = dns.questions.length;
    await eventually(() => dns.questions.length >= asked + 4, 'two more resolutions');
    expect(a.peers().some((p) => p.addr === `127.0.0.3:${port}`)).toBe(false);
    expect(meshLinks(a)).toEqual([`127.0.0.2:${port}`]);
  });

  it('refuses a meshDns that is not NAME:PORT, naming the option', () => {
    expect(() => createRelay({ meshDns: '10.0.0.1:8333' })).toThrow(/meshDns/);
    expect(() => createRelay({ meshDns: 'mesh.test' })).toThrow(/meshDns/);
  });
});
