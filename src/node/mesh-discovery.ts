/**
 * Mesh discovery by DNS (`--mesh-dns NAME:PORT`): the relays of one mesh are the A/AAAA records of
 * NAME — a Kubernetes headless Service, a Consul service, or plain DNS — all listening on PORT.
 * Every `meshDnsIntervalMs` the name is resolved again (through `--dns-server` when given): a new
 * address gets a permanent mesh link, an address that disappeared loses its link. This node's own
 * addresses (its interfaces' IPs on PORT) are left out, as a headless Service lists every pod.
 */
import { networkInterfaces } from 'node:os';
import type { Logger } from '../log.js';
import { seedResolver } from '../conn/discovery.js';
import type { SeedResolver } from '../conn/discovery.js';
import { formatIpPort, requireHostPort } from '../util/host-port.js';
import { parseIp } from '../util/ip.js';
import type { Connector } from './connector.js';
import type { RelayConfig } from '../types.js';

export class MeshDiscovery {
  private readonly name: string;
  private readonly port: number;
  private readonly resolver: SeedResolver;
  /** What the last resolution found (and this part dialled); --mesh peers are not ours to drop. */
  private readonly found = new Set<string>();
  private nextAt = 0;
  private resolving = false;

  constructor(
    private readonly config: RelayConfig & { readonly meshDns: string },
    /** The live mesh set the PeerSet reads (trusted peers). */
    private readonly mesh: Set<string>,
    private readonly connector: Pick<Connector, 'connect' | 'forget'>,
    private readonly log: Logger,
  ) {
    const hp = requireHostPort(config.meshDns, 'meshDns');
    this.name = hp.host;
    this.port = hp.port;
    this.resolver = seedResolver(config.dnsServer);
  }

  /** The 1 s ticker: resolves when due; one resolution at a time. */
  tick(now: number): void {
    if (this.resolving || now < this.nextAt) return;
    this.nextAt = now + this.config.meshDnsIntervalMs;
    this.resolving = true;
    void this.resolve()
      .catch((err: unknown) => this.log.warn('mesh DNS resolution failed; keeping the current links', { name: this.name, err: String(err) }))
      .finally(() => (this.resolving = false));
  }

  private async resolve(): Promise<void> {
    const results = await Promise.allSettled([this.resolver.resolve4(this.name), this.resolver.resolve6(this.name)]);
    const ips = results.flatMap((r) => (r.status === 'fulfilled' ? r.value : []));
    // Both lookups failing (a DNS outage) must not tear the mesh down.
    if (ips.length === 0 && results.every((r) => r.status === 'rejected')) throw (results[0] as PromiseRejectedResult).reason;
    const self = ownAddresses(this.port);
    const now = new Set<string>();
    for (const text of ips) {
      const ip = parseIp(text);
      if (ip === null) continue;
      const addr = formatIpPort(ip, this.port);
      if (!self.has(addr)) now.add(addr);
    }
    for (const addr of now) {
      if (this.found.has(addr) || this.mesh.has(addr)) continue;
      this.found.add(addr);
      this.mesh.add(addr);
      this.log.info('mesh instance found by DNS', { peer: addr, name: this.name });
      this.connector.connect(addr, { permanent: true, mesh: true });
    }
    for (const addr of [...this.found]) {
      if (now.has(addr)) continue;
      this.found.delete(addr);
      this.mesh.delete(addr);
      this.log.info('mesh instance gone from DNS; dropping the link', { peer: addr, name: this.name });
      this.connector.forget(addr);
    }
  }
}

/** This machine's addresses on `port`, as the mesh's records would name them. */
function ownAddresses(port: number): Set<string> {
  const out = new Set<string>();
  for (const list of Object.values(networkInterfaces())) {
    for (const i of list ?? []) {
      const ip = parseIp(i.address);
      if (ip !== null) out.add(formatIpPort(ip, port));
    }
  }
  return out;
}
