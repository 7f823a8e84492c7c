/**
 * Peer discovery for a fresh node (Bitcoin Core src/net.cpp ThreadDNSAddressSeed and the fixed
 * seed fallback of ThreadOpenConnections): DNS seeds per network, fixed seeds when nothing else
 * gave an address within a minute, and -seednode style address fetches (connect, ask, leave).
 *
 * Addresses from a DNS seed enter the address table with the seed's name as their source (its
 * own source group, so one seed fills at most its own corner of the new table) and a timestamp
 * 3 to 7 days old, as Core does, so they never look fresher than addresses peers vouch for.
 */
import { Resolver } from 'node:dns/promises';
import { RelayError } from '../errors.js';
import type { AddrEntry } from '../addr/addr-manager.js';
import type { Random } from '../util/random.js';
import type { NetworkName } from '../wire/constants.js';
import { formatIpPort } from '../util/host-port.js';
import { parseIp } from '../util/ip.js';

/**
 * DNS seeds as Bitcoin Core lists them (src/kernel/chainparams.cpp, vSeeds; testnet4 from
 * CTestNet4Params). Regtest and simnet have none. The operator replaces them with --dns-seed.
 */
export const DNS_SEEDS: Readonly<Record<NetworkName, readonly string[]>> = Object.freeze({
  mainnet: [
    'seed.bitcoin.sipa.be',
    'dnsseed.bluematt.me',
    'dnsseed.bitcoin.dashjr.org',
    'seed.bitcoinstats.com',
    'seed.bitcoin.jonasschnelli.ch',
    'seed.btc.petertodd.net',
    'seed.bitcoin.sprovoost.nl',
    'dnsseed.emzy.de',
    'seed.bitcoin.wiz.biz',
  ],
  testnet3: ['testnet-seed.bitcoin.jonasschnelli.ch', 'seed.tbtc.petertodd.net', 'seed.testnet.bitcoin.sprovoost.nl', 'testnet-seed.bluematt.me'],
  testnet4: ['seed.testnet4.bitcoin.sprovoost.nl', 'seed.testnet4.wiz.biz'],
  signet: ['seed.signet.bitcoin.sprovoost.nl'],
  regtest: [],
  simnet: [],
});

/**
 * Fixed seeds, the last resort when DNS gives nothing (Core vFixedSeeds). A handful of IPv4
 * entries per network, one per /16, taken from Bitcoin Core's contrib/seeds lists, which
 * contrib/seeds/generate-seeds.py turns into src/chainparamsseeds.h (chainparams_seed_main,
 * chainparams_seed_testnet4, chainparams_seed_signet): nodes_main.txt, nodes_testnet4.txt and
 * nodes_signet.txt. Core ships several hundred per network, Tor/I2P/CJDNS included. testnet3 has
 * none here: the only copy of Core's testnet3 list available when this was written held Tor v2
 * addresses, which no longer exist. Regtest and simnet have none, as in Core.
 */
export const FIXED_SEEDS: Readonly<Record<NetworkName, readonly string[]>> = Object.freeze({
  mainnet: ['2.39.163.191:8333', '5.2.23.226:8333', '24.6.89.155:8333', '37.60.246.82:8333', '46.23.87.218:8333', '85.214.161.252:8333'],
  testnet3: [],
  testnet4: ['2.59.134.244:48333', '5.182.4.106:48333', '31.220.30.248:48333', '45.94.168.5:48333', '65.108.143.22:48333', '89.58.9.219:48333', '158.69.118.2:48333', '195.154.199.2:48333'],
  signet: ['34.135.189.101:38333', '37.120.177.204:38333', '45.94.168.5:38333', '49.13.117.253:38333', '62.169.29.181:38333', '95.141.35.117:38333', '144.24.238.157:38333', '188.165.201.163:38333'],
  regtest: [],
  simnet: [],
});

/** Core: fixed seeds are added once 60 s have passed with an empty table (ThreadOpenConnections). */
export const FIXED_SEEDS_DELAY_MS = 60_000;
/** Core: DNS seed answers are stamped 3 days old minus up to 4 more days. */
const SEED_AGE_MIN_MS = 3 * 86_400_000;
const SEED_AGE_SPREAD_MS = 4 * 86_400_000;

/** What discovery needs of DNS; node:dns Resolver, or a stub. */
export interface SeedResolver {
  resolve4(host: string): Promise<string[]>;
  resolve6(host: string): Promise<string[]>;
}

/**
 * A resolver for the seeds: the system's, or `--dns-server HOST:PORT` only (node:dns Resolver
 * with setServers). Each query gives up after `timeoutMs` and one retry.
 */
export function seedResolver(server: string | null, timeoutMs = 5000): SeedResolver {
  const r = new Resolver({ timeout: timeoutMs, tries: 2 });
  if (server !== null) r.setServers([server]);
  return r;
}

/** Outcome of querying the seeds. */
export interface SeedResult {
  readonly seed: string;
  readonly addresses: readonly AddrEntry[];
  /** Set when the seed could not be resolved (ERR_DISCOVERY); the others still count. */
  readonly error: RelayError | null;
}

/**
 * Resolves every seed's A and AAAA records (Core shuffles the order; so do we) and returns them
 * as table entries on `port`, each stamped 3–7 days old. A failing seed is reported, never thrown.
 */
export async function querySeeds(seeds: readonly string[], opts: { resolver: SeedResolver; port: number; nowMs: number; random: Random }): Promise<SeedResult[]> {
  const order = [...seeds];
  for (let i = order.length - 1; i > 0; i--) {
    const j = opts.random.int(i + 1);
    [order[i], order[j]] = [order[j]!, order[i]!];
  }
  return Promise.all(
    order.map(async (seed): Promise<SeedResult> => {
      const settled = await Promise.allSettled([opts.resolver.resolve4(seed), opts.resolver.resolve6(seed)]);
      const ips = settled.flatMap((s) => (s.status === 'fulfilled' ? s.value : []));
      const failures = settled.filter((s): s is PromiseRejectedResult => s.status === 'rejected');
      const addresses = ips.flatMap((text) => {
        const ip = parseIp(text);
        if (ip === null) return [];
        const ageMs = SEED_AGE_MIN_MS + Math.floor(opts.random.float() * SEED_AGE_SPREAD_MS);
        return [{ addr: formatIpPort(ip, opts.port), timestamp: Math.floor((opts.nowMs - ageMs) / 1000), services: 0n }];
      });
      const error =
        addresses.length === 0 && failures.length > 0
          ? new RelayError('ERR_DISCOVERY', `DNS seed ${seed}: ${String((failures[0]!.reason as Error)?.message ?? failures[0]!.reason)}`, { seed })
          : null;
      return { seed, addresses, error };
    }),
  );
}

/**
 * Core's rule for the fixed seeds: add them when the table is still empty 60 s after start, or
 * at once when there is no other source (no DNS seeds, no seed nodes, no manual peers).
 */
export function shouldAddFixedSeeds(opts: { tableSize: number; sinceStartMs: number; dnsSeeds: number; seedNodes: number; manualPeers: number; added: boolean }): boolean {
  if (opts.added || opts.tableSize > 0) return false;
  if (opts.sinceStartMs > FIXED_SEEDS_DELAY_MS) return true;
  return opts.dnsSeeds === 0 && opts.seedNodes === 0 && opts.manualPeers === 0;
}
